package io.stripecast.relay.playback;

import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.window.WindowEntry;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The relay's {@link SegmentCopies}, when {@code stripecast.playback.segment-files-dir} names a directory; without
 * one (or when it cannot be used) every segment is served from the window, as before.
 */
@ApplicationScoped
@Startup // its directory is set up (and a dead relay's deleted) at boot, never on an event loop at a first request
public class SegmentFiles {
    private static final Logger LOG = Logger.getLogger(SegmentFiles.class);

    @Inject
    RelaySettings settings;
    @Inject
    RelayMetrics metrics;
    @Inject
    StreamRegistry streams;

    private SegmentCopies copies;
    private Runnable stopTick = () -> { };

    @PostConstruct
    void init() {
        Optional<String> dir = settings.playback().segmentFilesDir();
        if (dir.isEmpty()) {
            return;
        }
        long budget = settings.playback().segmentFilesMaxBytes();
        try {
            copies = new SegmentCopies(Path.of(dir.get()), budget, settings.playback().segmentFilesMinViewers(), metrics,
                    System::currentTimeMillis);
        } catch (IOException | RuntimeException e) {
            LOG.warnf("segment files: %s cannot be used (%s); segments are served from memory", dir.get(), e.toString());
            return;
        }
        LOG.infof("segment files: watched streams' segments are copied to %s (at most %d MB) and sent from there",
                copies.dir(), budget >> 20);
        stopTick = streams.everySecond(() -> copies.tick(name -> streams.find(name).map(StreamRuntime::window).orElse(null)));
    }

    /** The file to send for a complete whole segment of {@code runtime}, or null (serve it from the window). */
    Path find(StreamRuntime runtime, WindowEntry entry) {
        return copies == null ? null : copies.find(runtime.spec().name(), runtime.window(), entry);
    }

    @PreDestroy
    void close() {
        stopTick.run();
        if (copies != null) {
            copies.close();
        }
    }
}
