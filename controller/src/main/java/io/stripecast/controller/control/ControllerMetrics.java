package io.stripecast.controller.control;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code stripecast_controller_*}: low-cardinality labels only (stream, stripe, a fixed word). */
@Singleton
public class ControllerMetrics {
    private final MeterRegistry registry;
    private final AtomicInteger relays = new AtomicInteger();
    private final AtomicInteger streams = new AtomicInteger();
    private final Map<String, AtomicInteger> depths = new ConcurrentHashMap<>();

    @Inject
    public ControllerMetrics(MeterRegistry registry) {
        this.registry = registry;
        registry.gauge("stripecast.controller.relays", relays);
        registry.gauge("stripecast.controller.streams", streams);
    }

    public void relays(int n) {
        relays.set(n);
    }

    public void streams(int n) {
        streams.set(n);
    }

    public void depth(String stream, int stripe, int depth) {
        depths.computeIfAbsent(stream + "/" + stripe, k -> registry.gauge("stripecast.controller.stripe.depth",
                Tags.of("stream", stream, "stripe", Integer.toString(stripe)), new AtomicInteger())).set(depth);
    }

    /** A repair: the cause (death, leave, drain, report) and detection-to-assignments-sent time. */
    public void repair(String stream, String cause, Duration detectionToSent) {
        registry.counter("stripecast.controller.repairs", "stream", stream, "cause", cause).increment();
        Timer.builder("stripecast.controller.repair.duration").publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofSeconds(5)).register(registry).record(detectionToSent);
    }

    public void plan(Duration took) {
        Timer.builder("stripecast.controller.plan.duration").publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofSeconds(5)).register(registry).record(took);
    }

    public void message(String direction, String kind, int bytes) {
        registry.counter("stripecast.controller.control.messages", "direction", direction, "kind", kind).increment();
        registry.counter("stripecast.controller.control.bytes", "direction", direction).increment(bytes);
    }

    public void rejected(String reason) {
        registry.counter("stripecast.controller.rejected", "reason", reason).increment();
    }
}
