package io.stripecast.relay.ingest;

import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.PostConstruct;
import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.stream.StreamRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** Ingest for every configured stream: the committer behind PUTs, and pull ingest where configured. */
@ApplicationScoped
public class IngestService {
    @Inject
    RelaySettings settings;
    @Inject
    StreamRegistry streams;
    @Inject
    RelayMetrics metrics;

    private final Map<String, IngestCommitter> committers = new TreeMap<>();
    private final List<PullIngest> pulls = new ArrayList<>();
    private ScheduledFuture<?> expiry;

    @PostConstruct
    void init() {
        long now = System.currentTimeMillis();
        for (StreamRuntime runtime : streams.all()) {
            SegmentPublisher publisher = new SegmentPublisher(runtime, metrics, now);
            committers.put(runtime.spec().name(), new IngestCommitter(runtime, publisher, metrics,
                    settings.limits().pendingSegmentTimeout().toMillis(), settings.limits().maxUnlistedFiles(),
                    settings.limits().maxPlaylistEntries()));
        }
        expiry = streams.timer().scheduleWithFixedDelay(this::expireAll, 1, 1, TimeUnit.SECONDS);
    }

    /** Pull ingest starts once assignments say which relay is the root (see DataPlane). */
    public synchronized void startPulls() {
        if (!pulls.isEmpty()) {
            return;
        }
        for (StreamRuntime runtime : streams.all()) {
            if (runtime.spec().pullUrl().isPresent() && runtime.isRoot()) {
                PullIngest pull = new PullIngest(runtime, committers.get(runtime.spec().name()), metrics, settings.limits());
                pulls.add(pull);
                pull.start();
            }
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        pulls.forEach(PullIngest::stop);
        if (expiry != null) {
            expiry.cancel(false);
        }
    }

    Optional<IngestCommitter> committer(String stream) {
        return Optional.ofNullable(committers.get(stream));
    }

    private void expireAll() {
        long now = System.currentTimeMillis();
        committers.values().forEach(c -> c.expire(now));
    }
}
