package io.stripecast.relay.stream;

import io.stripecast.protocol.trust.PublisherKeys;
import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.rebuild.Regenerator;
import io.stripecast.relay.window.WindowMemory;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The streams this relay carries: from configuration at start (static topology mode), and as the
 * controller assigns them (controller mode).
 */
@ApplicationScoped
public class StreamRegistry {
    private static final Logger LOG = Logger.getLogger(StreamRegistry.class);

    private final Map<String, StreamRuntime> streams = new ConcurrentSkipListMap<>();
    private final ScheduledExecutorService timer;
    private final SecondTick everySecond;
    private final Runnable stopMemoryExpiry;
    private final RelaySettings settings;
    private final RelayMetrics metrics;
    /** One budget for every stream's window (see {@link WindowMemory}), one regeneration worker for every stream. */
    private final WindowMemory memory;
    private final Regenerator regenerator;
    /** Salts the verifiers of configured keys: random per process, the same for a stream all along. */
    private final byte[] keySalt = PublisherKeys.newSalt();

    @Inject
    public StreamRegistry(RelaySettings settings, RelayMetrics metrics) {
        this.settings = settings;
        this.metrics = metrics;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "stripecast-timer");
            t.setDaemon(true);
            return t;
        });
        long maxHeap = Runtime.getRuntime().maxMemory();
        this.memory = new WindowMemory(WindowMemory.parseBudget(settings.limits().windowMemory(), maxHeap),
                settings.limits().incompleteSegmentTimeout().toMillis(), metrics.windowMemoryEvents());
        this.everySecond = new SecondTick(timer);
        stopMemoryExpiry = everySecond.add(() -> memory.expireIncomplete(System.currentTimeMillis()));
        metrics.watchWindowMemory(memory);
        this.regenerator = new Regenerator(metrics);
        metrics.watchRegenerator(regenerator);
        LOG.infof("window memory: %d MB for all streams (%s of a %d MB heap); incomplete segments expire after %s",
                memory.budget() >> 20, settings.limits().windowMemory(), maxHeap >> 20, settings.limits().incompleteSegmentTimeout());
        // An ended stream's window is kept for viewers one window long, then released (SegmentWindow.expireEnded).
        everySecond.add(this::expireEnded);
        for (var e : settings.streams().entrySet()) {
            RelaySettings.StreamSettings s = e.getValue();
            // A configured key too short stops the relay here (PublisherKeys.problem); only its verifier is kept.
            byte[] salt = PublisherKeys.saltFor(keySalt, e.getKey());
            // A configured playback signing key out of bounds stops the relay too (PlaybackSigning checks it).
            ensure(new StreamSpec(e.getKey(), s.k(), s.m(), s.window(), s.key().map(k -> PublisherKeys.verifier(k, salt)),
                    s.pullUrl(), s.pullInterval(), false, null, s.playbackSigningKey().map(StreamSpec.PlaybackSigning::new).orElse(null)));
        }
    }

    /**
     * The runtime of a stream with these parameters, created when new. A stream whose stripes or
     * window changed starts over with an empty window (its shards no longer fit).
     */
    public synchronized StreamRuntime ensure(StreamSpec spec) {
        StreamRuntime current = streams.get(spec.name());
        if (current != null && current.spec().sameShape(spec)) {
            current.updateSpec(spec);
            return current;
        }
        if (current != null) {
            LOG.infof("stream %s: parameters changed (k=%d m=%d -> k=%d m=%d), starting over", spec.name(),
                    current.spec().k(), current.spec().m(), spec.k(), spec.m());
        }
        StreamRuntime runtime = StreamRuntime.create(spec, settings.limits().maxWindowBytes(), settings.limits().maxSegmentBytes(),
                metrics, timer, settings.relay().regenerateGrace().toMillis(), memory, regenerator);
        if (current != null) {
            current.window().close();
        }
        streams.put(spec.name(), runtime);
        metrics.watchWindow(spec.name(), () -> find(spec.name()).map(StreamRuntime::window).orElse(null));
        return runtime;
    }

    public synchronized void remove(String name) {
        StreamRuntime gone = streams.remove(name);
        if (gone != null) {
            gone.window().close();
            LOG.infof("stream %s: no longer carried here", name);
        }
    }

    public Optional<StreamRuntime> find(String name) {
        return Optional.ofNullable(streams.get(name));
    }

    public Collection<StreamRuntime> all() {
        return new ArrayList<>(streams.values());
    }

    private void expireEnded() {
        long now = System.currentTimeMillis();
        for (StreamRuntime runtime : all()) {
            if (runtime.window().expireEnded(now)) {
                LOG.infof("stream %s: ended %s ago; its window is released", runtime.spec().name(), runtime.spec().window());
            }
        }
    }

    /** Runs {@code task} once a second with the relay's other housekeeping (one wake-up for all); returns its stop. */
    public Runnable everySecond(Runnable task) {
        return everySecond.add(task);
    }

    /** Shared timer for short deferred work (regeneration grace, reconnect backoff, ingest timeouts). */
    public ScheduledExecutorService timer() {
        return timer;
    }

    /** The budget every stream's window shares. */
    public WindowMemory memory() {
        return memory;
    }

    @PreDestroy
    void stop() {
        stopMemoryExpiry.run();
        regenerator.close();
        timer.shutdownNow();
    }
}
