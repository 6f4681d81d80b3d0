package io.stripecast.relay.playback;

import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.control.ControllerClient;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.push.DataPlane;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.stream.StreamRuntime;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * On-demand carriage: a viewer asking this relay for a stream it does not carry makes the relay
 * ask the controller to join that stream's forest; a stream nobody watched for a while is left.
 *
 * <p>Viewers choose the names they ask for, so nothing here follows a name blindly: a Demand goes only for a
 * stream the controller announced as on-demand (any other name is a 404 at once), one is outstanding per stream
 * at a time, and all of them together pass a token bucket ({@code demand-rate}, {@code demand-burst}). Every
 * map here holds carried or announced streams only, and at most {@link #MAX_TRACKED} of them.
 */
@ApplicationScoped
public class OnDemand {
    private static final Logger LOG = Logger.getLogger(OnDemand.class);
    /** Viewers waiting at once for streams to arrive; more get 503 rather than pile up. */
    static final int MAX_WAITING = 256;
    /** Streams remembered at most per map: a backstop, since only carried or announced streams get in. */
    static final int MAX_TRACKED = 1024;

    @Inject
    DataPlane dataPlane;
    @Inject
    StreamRegistry streams;
    @Inject
    RelaySettings settings;
    @Inject
    RelayMetrics metrics;

    private final Map<String, Long> lastViewed = new ConcurrentHashMap<>();
    /** Stream -> when its outstanding Demand went; cleared once the stream is here or the wait is over. */
    private final Map<String, Long> outstanding = new ConcurrentHashMap<>();
    private final AtomicInteger waiting = new AtomicInteger();
    private Bucket bucket;

    @PostConstruct
    void init() {
        bucket = new Bucket(settings.relay().demandRate(), settings.relay().demandBurst());
        metrics.watchOnDemand(() -> lastViewed.size() + outstanding.size());
        streams.everySecond(this::leaveIdle);
    }

    /**
     * True when a missing stream can be asked for: controller mode, and either a carried on-demand stream with
     * nothing playable yet, or a stream the controller announced as on-demand. Anything else is counted as
     * {@code unknown_stream} when no runtime exists.
     */
    boolean canAsk(String name, Optional<StreamRuntime> runtime) {
        Optional<ControllerClient> controller = dataPlane.controller();
        if (controller.isEmpty()) {
            return false;
        }
        if (runtime.isPresent()) {
            return runtime.get().spec().onDemand();
        }
        if (!controller.get().announcedOnDemand(name)) {
            metrics.demand("unknown_stream");
            return false;
        }
        return true;
    }

    void viewed(String stream) {
        if (lastViewed.size() < MAX_TRACKED || lastViewed.containsKey(stream)) {
            lastViewed.put(stream, System.currentTimeMillis());
        }
    }

    /** A viewer's first request: asks the controller for the stream unless a Demand for it is outstanding. */
    void ask(String stream) {
        viewed(stream);
        if (outstanding.containsKey(stream)) {
            metrics.demand("coalesced");
            return;
        }
        send(stream);
    }

    /** While a viewer waits: asks again only when its earlier Demand was throttled (none outstanding). */
    void askAgainIfThrottled(String stream) {
        if (!outstanding.containsKey(stream)) {
            send(stream);
        }
    }

    private void send(String stream) {
        Optional<ControllerClient> controller = dataPlane.controller();
        if (controller.isEmpty()) {
            return;
        }
        if (outstanding.size() >= MAX_TRACKED || !bucket.take()) {
            metrics.demand("throttled");
            return;
        }
        if (outstanding.putIfAbsent(stream, System.currentTimeMillis()) != null) {
            bucket.giveBack();
            metrics.demand("coalesced");
            return;
        }
        metrics.demand("sent");
        controller.get().demand(stream, true);
    }

    /** Outstanding Demands (for tests and the map-size bound). */
    int outstandingDemands() {
        return outstanding.size();
    }

    /** Streams whose last view is remembered (for tests and the map-size bound). */
    int trackedViews() {
        return lastViewed.size();
    }

    boolean startWaiting() {
        if (waiting.incrementAndGet() > MAX_WAITING) {
            waiting.decrementAndGet();
            return false;
        }
        return true;
    }

    void stopWaiting() {
        waiting.decrementAndGet();
    }

    long waitMillis() {
        return settings.relay().onDemandWait().toMillis();
    }

    private void leaveIdle() {
        long now = System.currentTimeMillis();
        long wait = waitMillis();
        // A Demand stops being outstanding when its stream is here, or when nobody could still be waiting for it.
        outstanding.entrySet().removeIf(e -> streams.find(e.getKey()).isPresent() || now - e.getValue() > wait);
        Optional<ControllerClient> controller = dataPlane.controller();
        if (controller.isEmpty()) {
            return;
        }
        long idle = settings.relay().onDemandIdle().toMillis();
        for (StreamRuntime runtime : streams.all()) {
            String name = runtime.spec().name();
            if (!runtime.spec().onDemand() || runtime.isRoot()) {
                continue;
            }
            long seen = lastViewed.computeIfAbsent(name, n -> now);
            if (now - seen > idle && bucket.take()) {
                LOG.infof("stream %s: no viewer for %d s, leaving its forest", name, idle / 1000);
                lastViewed.remove(name);
                controller.get().demand(name, false);
            }
        }
        // Views of streams neither carried nor announced any more are forgotten.
        lastViewed.keySet().removeIf(n -> streams.find(n).isEmpty() && !controller.get().announcedOnDemand(n));
    }

    /** A token bucket: {@code rate} tokens a second up to {@code burst}. */
    static final class Bucket {
        private final double rate;
        private final double burst;
        private double tokens;
        private long refilledNanos = System.nanoTime();

        Bucket(double rate, int burst) {
            this.rate = rate;
            this.burst = Math.max(1, burst);
            this.tokens = this.burst;
        }

        synchronized boolean take() {
            long now = System.nanoTime();
            tokens = Math.min(burst, tokens + (now - refilledNanos) * rate / 1e9);
            refilledNanos = now;
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }

        synchronized void giveBack() {
            tokens = Math.min(burst, tokens + 1);
        }
    }
}
