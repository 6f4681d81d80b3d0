package io.stripecast.relay.stream;

import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.playback.LivePlaylist;
import io.stripecast.relay.playback.StreamPlaylists;
import io.stripecast.relay.push.ShardValidator;
import io.stripecast.relay.rebuild.Regenerator;
import io.stripecast.relay.rebuild.SegmentAssembler;
import io.stripecast.relay.trust.SegmentSigner;
import io.stripecast.relay.trust.SegmentTrust;
import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowMemory;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;

/** Everything one relay holds for one stream: its window, its assembler, and per-stripe upstream state. */
public final class StreamRuntime {
    private volatile StreamSpec spec;
    private final SegmentWindow window;
    private final SegmentAssembler assembler;
    private final ShardValidator validator;
    private final AtomicReferenceArray<Boolean> receiving;
    private final AtomicBoolean root = new AtomicBoolean();
    private final AtomicBoolean standbyIngest = new AtomicBoolean();
    private final StreamPlaylists playlists;
    private final SegmentTrust trust;
    /** Made the first time this relay signs for the stream (as its ingest or standby), never before. */
    private SegmentSigner signer;

    private StreamRuntime(StreamSpec spec, SegmentWindow window, SegmentAssembler assembler, ShardValidator validator,
                         AtomicReferenceArray<Boolean> receiving, SegmentTrust trust) {
        this.spec = spec;
        this.trust = trust;
        this.window = window;
        this.assembler = assembler;
        this.validator = validator;
        this.receiving = receiving;
        this.playlists = new StreamPlaylists(window);
    }

    /**
     * Wires a stream's window, validator and assembler together; the window shares the relay's {@code memory}
     * and the assembler the relay's {@code regenerator} with every other stream.
     */
    public static StreamRuntime create(StreamSpec spec, long maxWindowBytes, int maxSegmentBytes, RelayMetrics metrics,
                                       ScheduledExecutorService timer, long regenerateGraceMillis, WindowMemory memory,
                                       Regenerator regenerator) {
        SegmentWindow window = new SegmentWindow(spec, maxWindowBytes, memory);
        AtomicReferenceArray<Boolean> receiving = new AtomicReferenceArray<>(spec.stripes());
        SegmentAssembler assembler = new SegmentAssembler(window, metrics, stripe -> Boolean.TRUE.equals(receiving.get(stripe)),
                timer, regenerateGraceMillis, regenerator);
        SegmentTrust trust = new SegmentTrust(spec.name());
        return new StreamRuntime(spec, window, assembler, new ShardValidator(spec, maxSegmentBytes, trust), receiving, trust);
    }

    /** Which ingest keys this stream's segments must be signed with, and the check. */
    public SegmentTrust trust() {
        return trust;
    }

    /** This relay's signing key for the stream (made at first call): for its ingest and standby ingest role. */
    public synchronized SegmentSigner signer() {
        if (signer == null) {
            signer = new SegmentSigner(spec.name());
        }
        return signer;
    }

    public StreamSpec spec() {
        return spec;
    }

    /** New key, pull URL or carriage with the same stripes and window (see {@link StreamSpec#sameShape}). */
    public void updateSpec(StreamSpec newSpec) {
        this.spec = newSpec;
    }

    public SegmentWindow window() {
        return window;
    }

    /** Rendition 0's playlist: the one viewers of a stream without renditions get from this relay. */
    public LivePlaylist playlist() {
        return playlists.rendition(0);
    }

    /** Every rendition's playlist, the ladder, and the requests held for parts. */
    public StreamPlaylists playlists() {
        return playlists;
    }

    public SegmentAssembler assembler() {
        return assembler;
    }

    public ShardValidator validator() {
        return validator;
    }

    /** True when this relay is the stream's ingest (root of every stripe tree). */
    public boolean isRoot() {
        return root.get();
    }

    public void setRoot(boolean isRoot) {
        root.set(isRoot);
    }

    /**
     * True when this relay is the stream's standby ingest: it takes the publisher's uploads too and holds them, so
     * that it can publish what the forest lacks the moment it is made the root.
     */
    public boolean isStandbyIngest() {
        return standbyIngest.get();
    }

    public void setStandbyIngest(boolean standby) {
        standbyIngest.set(standby);
    }

    public void setReceiving(int stripe, boolean value) {
        receiving.set(stripe, value);
    }

    public boolean isReceiving(int stripe) {
        return Boolean.TRUE.equals(receiving.get(stripe));
    }
}
