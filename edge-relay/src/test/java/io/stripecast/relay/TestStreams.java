package io.stripecast.relay;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.rebuild.Regenerator;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.stream.StreamSpec;
import io.stripecast.relay.window.WindowMemory;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** Streams for unit tests: real windows and assemblers, metrics in a simple registry. */
public final class TestStreams {
    public static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "test-timer");
        t.setDaemon(true);
        return t;
    });

    public final MeterRegistry registry = new SimpleMeterRegistry();
    public final RelayMetrics metrics = new RelayMetrics(registry);
    /** One budget and one regeneration worker for the streams of this instance, as a relay has. */
    public final WindowMemory memory;
    public final Regenerator regenerator = new Regenerator(metrics);

    public TestStreams() {
        this(Long.MAX_VALUE, 10_000);
    }

    public TestStreams(long windowMemory, long incompleteTimeoutMillis) {
        memory = new WindowMemory(windowMemory, incompleteTimeoutMillis, metrics.windowMemoryEvents());
    }

    public StreamRuntime stream(String name, int k, int m, Duration window) {
        return stream(name, k, m, window, 50);
    }

    /** With {@code regenerateGraceMillis} before a shard still expected from a parent is regenerated instead. */
    public StreamRuntime stream(String name, int k, int m, Duration window, long regenerateGraceMillis) {
        return StreamRuntime.create(new StreamSpec(name, k, m, window, Optional.empty(), Optional.empty(), Duration.ofSeconds(1)),
                64L * 1024 * 1024, 32 * 1024 * 1024, metrics, TIMER, regenerateGraceMillis, memory, regenerator);
    }

    public double count(String name, String... tags) {
        var search = registry.find(name);
        if (tags.length > 0) {
            search = search.tags(tags);
        }
        return search.counters().stream().mapToDouble(c -> c.count()).sum();
    }
}
