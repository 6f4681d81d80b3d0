package io.stripecast.relay.playback;

import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.control.ControllerClient;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * On-demand carriage: a viewer asking this relay for a stream it does not carry makes the relay
 * ask the controller to join that stream's forest; a stream nobody watched for a while is left.
 */
@ApplicationScoped
public class OnDemand {
    private static final Logger LOG = Logger.getLogger(OnDemand.class);
    /** Viewers waiting at once for streams to arrive; more get 503 rather than pile up. */
    static final int MAX_WAITING = 256;

    @Inject
    DataPlane dataPlane;
    @Inject
    StreamRegistry streams;
    @Inject
    RelaySettings settings;

    private final Map<String, Long> lastViewed = new ConcurrentHashMap<>();
    private final Map<String, Long> lastAsked = new ConcurrentHashMap<>();
    private final AtomicInteger waiting = new AtomicInteger();

    @PostConstruct
    void init() {
        streams.timer().scheduleWithFixedDelay(this::leaveIdle, 1, 1, TimeUnit.SECONDS);
    }

    /** True when a missing stream can be asked for (controller mode). */
    boolean canAsk(Optional<StreamRuntime> runtime) {
        return dataPlane.controller().isPresent() && (runtime.isEmpty() || runtime.get().spec().onDemand());
    }

    void viewed(String stream) {
        lastViewed.put(stream, System.currentTimeMillis());
    }

    /** Asks the controller for the stream (at most once a second per stream). */
    void ask(String stream) {
        viewed(stream);
        long now = System.currentTimeMillis();
        Long last = lastAsked.get(stream);
        if (last == null || now - last > 1000) {
            lastAsked.put(stream, now);
            dataPlane.controller().ifPresent(c -> c.demand(stream, true));
        }
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
        Optional<ControllerClient> controller = dataPlane.controller();
        if (controller.isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        long idle = settings.relay().onDemandIdle().toMillis();
        for (StreamRuntime runtime : streams.all()) {
            String name = runtime.spec().name();
            if (!runtime.spec().onDemand() || runtime.isRoot()) {
                continue;
            }
            long seen = lastViewed.computeIfAbsent(name, n -> now);
            if (now - seen > idle) {
                LOG.infof("stream %s: no viewer for %d s, leaving its forest", name, idle / 1000);
                lastViewed.remove(name);
                lastAsked.remove(name);
                controller.get().demand(name, false);
            }
        }
    }
}
