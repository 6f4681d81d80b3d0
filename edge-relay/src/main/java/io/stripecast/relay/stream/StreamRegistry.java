package io.stripecast.relay.stream;

import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.metrics.RelayMetrics;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** The streams this relay carries, built from configuration at start. */
@ApplicationScoped
public class StreamRegistry {
    private final Map<String, StreamRuntime> streams = new TreeMap<>();
    private final ScheduledExecutorService timer;

    @Inject
    public StreamRegistry(RelaySettings settings, RelayMetrics metrics) {
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "stripecast-timer");
            t.setDaemon(true);
            return t;
        });
        for (var e : settings.streams().entrySet()) {
            RelaySettings.StreamSettings s = e.getValue();
            StreamSpec spec = new StreamSpec(e.getKey(), s.k(), s.m(), s.window(), s.key(), s.pullUrl(), s.pullInterval());
            StreamRuntime runtime = StreamRuntime.create(spec, settings.limits().maxWindowBytes(), settings.limits().maxSegmentBytes(),
                    metrics, timer, settings.relay().regenerateGrace().toMillis());
            streams.put(spec.name(), runtime);
            metrics.watchWindow(spec.name(), runtime.window());
        }
    }

    public Optional<StreamRuntime> find(String name) {
        return Optional.ofNullable(streams.get(name));
    }

    public Collection<StreamRuntime> all() {
        return streams.values();
    }

    /** Shared timer for short deferred work (regeneration grace, reconnect backoff, ingest timeouts). */
    public ScheduledExecutorService timer() {
        return timer;
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }
}
