package io.stripecast.controller.control;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.stripecast.controller.forest.Relaxation;
import io.stripecast.controller.forest.Relaxations;
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
    private final Map<String, AtomicInteger> relaxed = new ConcurrentHashMap<>();

    /** Planned max, planned sum, measured max, measured sum (Mbit/s), relays over planned, over measured. */
    private final double[] egress = new double[6];

    @Inject
    public ControllerMetrics(MeterRegistry registry) {
        this.registry = registry;
        registry.gauge("stripecast.controller.relays", relays);
        registry.gauge("stripecast.controller.streams", streams);
        // One uplink, many streams: what the controller plans relays to send (shards to children in every stream plus
        // their measured playback) and what they report sending, the largest relay's and the pool's sum.
        Gauge.builder("stripecast.controller.relay.planned.egress.mbps", egress, e -> read(e, 0)).tags("stat", "max")
                .description("Largest planned egress of one relay over all its streams plus playback, Mbit/s").register(registry);
        Gauge.builder("stripecast.controller.relay.planned.egress.mbps", egress, e -> read(e, 1)).tags("stat", "sum")
                .description("Planned egress summed over relays, Mbit/s").register(registry);
        Gauge.builder("stripecast.controller.relay.measured.egress.mbps", egress, e -> read(e, 2)).tags("stat", "max")
                .description("Largest egress one relay reports (shards plus playback, ~10 s), Mbit/s").register(registry);
        Gauge.builder("stripecast.controller.relay.measured.egress.mbps", egress, e -> read(e, 3)).tags("stat", "sum")
                .description("Reported egress summed over relays, Mbit/s").register(registry);
        Gauge.builder("stripecast.controller.relays.over.uplink", egress, e -> read(e, 4)).tags("kind", "planned")
                .description("Relays planned above uplink x target utilisation").register(registry);
        Gauge.builder("stripecast.controller.relays.over.uplink", egress, e -> read(e, 5)).tags("kind", "measured")
                .description("Relays reporting egress above uplink x target utilisation").register(registry);
    }

    private static double read(double[] values, int i) {
        synchronized (values) {
            return values[i];
        }
    }

    /** The egress figures of {@link UplinkLedger#publish}. */
    public void egress(double plannedMax, double plannedSum, double measuredMax, double measuredSum, int plannedOver,
                       int measuredOver) {
        synchronized (egress) {
            egress[0] = plannedMax;
            egress[1] = plannedSum;
            egress[2] = measuredMax;
            egress[3] = measuredSum;
            egress[4] = plannedOver;
            egress[5] = measuredOver;
        }
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

    /**
     * {@code stripecast_controller_forest_relaxed_relays{stream, relaxation}}: relays of the stream placed only by
     * relaxing that bound (depth, fanout, interior_shared; DESIGN.md "Never go dark"). All three series exist per
     * stream, at 0 when nothing is relaxed, so an alert can say {@code > 0}.
     */
    public void relaxed(String stream, Relaxations relaxations) {
        for (Relaxation r : Relaxation.values()) {
            relaxed.computeIfAbsent(stream + "/" + r.label(), k -> registry.gauge("stripecast.controller.forest.relaxed.relays",
                    Tags.of("stream", stream, "relaxation", r.label()), new AtomicInteger())).set(relaxations.count(r));
        }
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

    /** A message dropped for its relay's rate ({@code stripecast_controller_throttled_messages_total{kind}}); the session stays. */
    public void throttled(String kind) {
        registry.counter("stripecast.controller.throttled.messages", "kind", kind).increment();
    }

    public void rejected(String reason) {
        registry.counter("stripecast.controller.rejected", "reason", reason).increment();
    }
}
