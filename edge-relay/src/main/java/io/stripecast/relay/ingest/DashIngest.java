package io.stripecast.relay.ingest;

import io.stripecast.protocol.shard.Shards;
import io.stripecast.relay.ingest.cmaf.CmafException;
import io.stripecast.relay.ingest.cmaf.DashManifest;
import io.stripecast.relay.ingest.cmaf.Fragments;
import io.stripecast.relay.ingest.cmaf.MasterPlaylist;
import io.stripecast.relay.ingest.cmaf.TrackInit;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.push.ShardValidator;
import io.stripecast.relay.stream.StreamRuntime;
import org.jboss.logging.Logger;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Low-latency ingest of one stream from ffmpeg's DASH muxer (issue 18): publishes each part of a segment the moment its
 * upload has it whole, the segment's PARTS_END when its upload ends, each rendition's init when its content is new, and
 * the ladder (master playlist) from the manifest. Shares the stream's one {@link SegmentPublisher} with the HLS path, so
 * transport sequences stay strictly increasing whatever feeds the stream.
 *
 * <p><b>Numbering.</b> A run takes a media sequence base once (the publisher's, or past every media sequence this
 * ingest gave out); a segment's media sequence is that base plus the encoder's segment number from the file name, so
 * the renditions of one moment share a media sequence. A segment number that does not go forwards on a rendition means
 * the encoder started again without ending: a new run, its segments after a discontinuity.
 *
 * <p><b>The end.</b> A manifest with {@code type="static"} (ffmpeg's last) or a DELETE of the manifest ends the stream
 * after what was sent: the end-of-stream marker goes out once every open upload has ended or been cut, exactly as the
 * HLS path's {@link IngestCommitter} sends it after the last listed segment. The next upload starts a new run.
 *
 * <p><b>Cut uploads.</b> What was published of a segment whose upload was cut off (closed early, past its deadline, a
 * lie in a box) stays: its parts are real fragments. The segment gets no PARTS_END, so edges treat it as incomplete
 * and never list it as a whole segment.
 *
 * <p>Not built: a standby ingest takes DASH uploads and publishes nothing (the HLS path's take-over, which continues a
 * lost primary's numbering, has no counterpart for parts yet).
 */
final class DashIngest {
    private static final Logger LOG = Logger.getLogger(DashIngest.class);
    /**
     * A stream counts as fed by DASH this long after its last DASH request: the HLS playlists ffmpeg's DASH muxer
     * uploads beside its manifest ({@code -hls_playlist 1}, after the final manifest too) are then ignored.
     */
    static final long FEEDING_MILLIS = 30_000;

    /** What the ingest knows of one rendition. */
    private static final class Rendition {
        TrackInit track;
        byte[] initSha;
        long initSequence;
        long highestNumber = -1;
        boolean discontinuity;
        final MediaClock clock = new MediaClock();
        /** Uploads whose parts wait for this rendition's init. */
        final Set<ChunkUpload> waiting = new LinkedHashSet<>();
    }

    private final StreamRuntime runtime;
    private final SegmentPublisher publisher;
    private final RelayMetrics metrics;
    private final int maxOpenUploads;
    private final Rendition[] renditions = new Rendition[ShardValidator.MAX_RENDITIONS];
    /** This run's media sequence base; -1 when the next upload starts a run. */
    private long base = -1;
    /** Highest media sequence given to an upload: a new base goes past it. */
    private long highestAssigned = -1;
    /** A run ended or restarted before: the next run's first segments follow a discontinuity. */
    private boolean hadRun;
    /** A part was published in this run: an end then has something to end. */
    private boolean live;
    /** Written under the lock; read without it by {@link #feeding}, on the event loop. */
    private volatile int open;
    private final AtomicLong lastRequestMillis = new AtomicLong(Long.MIN_VALUE / 2);
    private IngestCommitter.EndCause endRequested;
    private DashManifest manifest;
    private final LadderPublication ladder;
    private String refusedReps = "";

    DashIngest(StreamRuntime runtime, SegmentPublisher publisher, RelayMetrics metrics, int maxOpenUploads) {
        this.runtime = runtime;
        this.publisher = publisher;
        this.metrics = metrics;
        this.maxOpenUploads = maxOpenUploads;
        this.ladder = new LadderPublication(runtime.spec().name(), publisher, metrics);
        for (int i = 0; i < renditions.length; i++) {
            renditions[i] = new Rendition();
        }
    }

    /**
     * A DASH request for this stream began (before its body): its HLS playlists are ignored from now on. Without the
     * lock: the event loop must not wait for a worker publishing a part.
     */
    void touched(long nowMillis) {
        lastRequestMillis.accumulateAndGet(nowMillis, Math::max);
    }

    /** Whether this stream is fed by DASH now (an upload open, or a DASH request lately). */
    boolean feeding(long nowMillis) {
        return open > 0 || nowMillis - lastRequestMillis.get() < FEEDING_MILLIS;
    }

    /** Segment uploads open now. */
    int openUploads() {
        return open;
    }

    /**
     * A segment's upload opens; null when the stream has {@code maxOpenUploads} open already (the caller answers 429).
     * {@code rendition} is below {@link ShardValidator#MAX_RENDITIONS} (the caller refused others).
     */
    synchronized ChunkUpload open(int rendition, long number, long nowMillis) {
        if (open >= maxOpenUploads) {
            return null;
        }
        touched(nowMillis);
        startRunIfNeeded();
        Rendition r = renditions[rendition];
        if (number <= r.highestNumber) {
            // The encoder numbers from the start again without having ended: a new session of it.
            LOG.infof("stream %s: DASH segment %d of rendition %d after %d: the encoder started again, a new run starts (discontinuity)",
                    runtime.spec().name(), number, rendition, r.highestNumber);
            // Its inits stay: the new session uploaded them before this segment, and the window still holds them.
            newRun(false);
            startRunIfNeeded();
        }
        r.highestNumber = number;
        boolean discontinuity = r.discontinuity;
        r.discontinuity = false;
        long mediaSequence = base + number;
        highestAssigned = Math.max(highestAssigned, mediaSequence);
        open++;
        return new ChunkUpload(rendition, number, mediaSequence, discontinuity);
    }

    /** An init segment, already parsed; published when its content is new for its rendition. */
    synchronized void onInit(int rendition, TrackInit track, byte[] bytes, long nowMillis) {
        touched(nowMillis);
        startRunIfNeeded();
        Rendition r = renditions[rendition];
        r.track = track;
        if (!track.isVideo()) {
            // Audio (or anything but video) is refused, not carried: the ladder is video renditions only (yet).
            LOG.warnf("stream %s: DASH stream %d is '%s', not video: its uploads are dropped (only video renditions are carried)",
                    runtime.spec().name(), rendition, track.handler().replaceAll("[^A-Za-z0-9]", "?"));
        } else if (runtime.isRoot()) {
            byte[] sha = Shards.sha256(bytes);
            if (r.initSha == null || !MessageDigest.isEqual(sha, r.initSha)) {
                r.initSequence = publisher.publishInit(rendition, bytes, nowMillis);
                r.initSha = sha;
            }
        }
        List<ChunkUpload> waiting = new ArrayList<>(r.waiting);
        r.waiting.clear();
        for (ChunkUpload u : waiting) {
            drain(u, nowMillis);
        }
    }

    /** A manifest: the ladder it describes, and the end of the stream when it is the final one. */
    synchronized void onManifest(DashManifest m, long nowMillis) {
        touched(nowMillis);
        manifest = m;
        publishLadder(nowMillis, false);
        if (m.ended()) {
            requestEnd(IngestCommitter.EndCause.MPD_STATIC, nowMillis);
        }
    }

    /** The publisher DELETEd its manifest: the stream ends after what was sent. */
    synchronized void onManifestDeleted(long nowMillis) {
        touched(nowMillis);
        requestEnd(IngestCommitter.EndCause.DELETE, nowMillis);
    }

    /** Publishes what the upload has queued, in order, as far as it can (a part waits for its rendition's init). */
    synchronized void drain(ChunkUpload u, long nowMillis) {
        Rendition r = renditions[u.rendition];
        ChunkUpload.Item item;
        while ((item = u.items.peek()) != null) {
            if (item instanceof ChunkUpload.Part part) {
                if (u.dropped == null && !publishPart(u, r, part, nowMillis)) {
                    return;
                }
            } else if (item instanceof ChunkUpload.End) {
                if (u.dropped == null && u.partsPublished > 0) {
                    publisher.publishPartsEnd(u.rendition, u.mediaSequence, u.partsPublished, u.durationMicros, u.initSequence, nowMillis);
                }
                close(u, nowMillis);
            } else if (item instanceof ChunkUpload.Cut cut) {
                // Its parts so far stay published; no PARTS_END, so edges treat the segment as incomplete.
                drop(u, cut.reason());
                close(u, nowMillis);
            }
            u.items.poll();
        }
    }

    /** Once a second: the ladder again before the window forgets it. */
    synchronized void tick(long nowMillis) {
        long halfWindow = runtime.spec().window().toMillis() / 2;
        if (base >= 0 && ladder.dueAgain(nowMillis, halfWindow)) {
            publishLadder(nowMillis, true);
        }
    }

    /** False when the part has to wait for its rendition's init; true when it was published or dropped. */
    private boolean publishPart(ChunkUpload u, Rendition r, ChunkUpload.Part part, long nowMillis) {
        if (!runtime.isRoot()) {
            drop(u, "not_root");
            return true;
        }
        boolean initKnown = r.track != null && (!r.track.isVideo() || r.initSha != null);
        if (!initKnown) {
            if (!u.finished) {
                r.waiting.add(u);
                return false;
            }
            // The upload ended and its init never came (ffmpeg sends it before the first segment's upload opens), or
            // came while this relay was not the root and so was never published: nothing to refer to.
            drop(u, "init_never_arrived");
            return true;
        }
        if (!r.track.isVideo()) {
            drop(u, "not_video");
            return true;
        }
        Fragments.Timing timing;
        try {
            timing = Fragments.read(part.bytes(), r.track);
        } catch (CmafException e) {
            drop(u, e.reason());
            ChunkUpload.Listener l = u.listener;
            if (l != null) {
                l.refused(e.reason(), e.getMessage());
            }
            return true;
        }
        u.initSequence = r.initSequence;
        if (timing.hasStart()) {
            if (u.discontinuity && u.partsPublished == 0) {
                r.clock.reset();
            }
            long date = r.clock.learn(timing.startMicros(), timing.durationMicros(), part.arrivalMillis());
            if (u.partsPublished == 0) {
                u.programDateTimeMillis = date;
            }
        }
        publisher.publishPart(u.rendition, u.mediaSequence, u.partsPublished, timing.independent(), timing.durationMicros(),
                u.discontinuity && u.partsPublished == 0, r.initSequence, u.number, u.programDateTimeMillis, part.bytes(), nowMillis);
        u.partsPublished++;
        u.durationMicros += timing.durationMicros();
        live = true;
        return true;
    }

    private void drop(ChunkUpload u, String reason) {
        if (u.dropped == null) {
            u.dropped = reason;
            metrics.ingestDropped(runtime.spec().name(), reason);
        }
    }

    private void close(ChunkUpload u, long nowMillis) {
        open--;
        renditions[u.rendition].waiting.remove(u);
        ChunkUpload.Listener l = u.listener;
        if (l != null) {
            l.done(u.dropped);
        }
        maybeEnd(nowMillis);
    }

    private void requestEnd(IngestCommitter.EndCause cause, long nowMillis) {
        if (endRequested == null) {
            endRequested = cause;
        }
        maybeEnd(nowMillis);
    }

    /** The end goes out once nothing is open: after every part and PARTS_END of the run. */
    private void maybeEnd(long nowMillis) {
        if (endRequested == null || open > 0) {
            return;
        }
        if (live && runtime.isRoot()) {
            // The ladder again, so that it outlives the run's last parts in every window.
            publishLadder(nowMillis, true);
            long seq = publisher.publishEnd(nowMillis);
            metrics.streamEnded(runtime.spec().name(), endRequested.label);
            LOG.infof("stream %s: publisher ended it (%s); end-of-stream marker %d sent down every stripe",
                    runtime.spec().name(), endRequested.label, seq);
        }
        endRequested = null;
        newRun(true);
    }

    /**
     * Forgets the run: the next upload starts another, after a discontinuity. After an end its inits are published
     * afresh (an ended stream's window is released, and the next session's init must not be borrowed from it).
     */
    private void newRun(boolean forgetInits) {
        // Only a run that published something is one to be discontinuous with.
        hadRun |= live;
        base = -1;
        live = false;
        for (Rendition r : renditions) {
            r.highestNumber = -1;
            if (forgetInits) {
                r.initSha = null;
            }
        }
        if (forgetInits) {
            // The ended run's window is released: the next run's ladder is published even if it reads the same.
            ladder.forget();
        }
    }

    private void startRunIfNeeded() {
        if (base >= 0) {
            return;
        }
        base = Math.max(publisher.mediaSequenceBase(), highestAssigned + 1);
        for (Rendition r : renditions) {
            r.discontinuity = hadRun;
        }
    }

    /** Publishes the ladder when it changed, or when {@code again} (it must not age out of the window). */
    private void publishLadder(long nowMillis, boolean again) {
        if (manifest == null || !runtime.isRoot()) {
            return;
        }
        List<MasterPlaylist.Rendition> rungs = new ArrayList<>();
        StringBuilder refused = new StringBuilder();
        for (DashManifest.Representation rep : manifest.representations()) {
            if (!rep.kind().equals("video")) {
                refused.append(' ').append(rep.id()).append(':').append(rep.kind());
            } else if (rep.id() >= ShardValidator.MAX_RENDITIONS) {
                refused.append(' ').append(rep.id()).append(":past_bound");
            } else {
                rungs.add(new MasterPlaylist.Rendition(rep.id(), rep));
            }
        }
        if (!refused.toString().equals(refusedReps)) {
            refusedReps = refused.toString();
            if (!refusedReps.isEmpty()) {
                LOG.warnf("stream %s: representations left out of the ladder (only video, stream index < %d):%s",
                        runtime.spec().name(), ShardValidator.MAX_RENDITIONS, refusedReps);
            }
        }
        if (rungs.isEmpty()) {
            return;
        }
        rungs.sort((a, b) -> Integer.compare(a.index(), b.index()));
        ladder.publish(MasterPlaylist.render(rungs), nowMillis, again);
    }
}
