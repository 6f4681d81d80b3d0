package io.stripecast.relay.ingest;

import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.window.WindowEntry;
import org.jboss.logging.Logger;

import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Pairs uploaded files with playlist entries for one stream. A segment is committed when both its
 * bytes are complete and a playlist lists it, in either order (ffmpeg often sends the playlist
 * first), and segments are committed in playlist order. A listed segment whose bytes never arrive
 * is dropped after a bound and counted; unlisted uploads are bounded in number and age.
 *
 * <p>On a standby ingest (a forest member that takes the same uploads as the primary) nothing is published: an
 * upload waits until the forest has brought the segment with the same upstream sequence, and is then let go. When
 * the controller makes the standby the root, it continues the primary's numbering from the newest segment its
 * window holds and publishes the uploads the forest never brought, so that no relay misses the segment the primary
 * had in hand when it died.
 *
 * <p>The publisher's end (a playlist with {@code #EXT-X-ENDLIST}, as ffmpeg's HLS muxer uploads last, or a
 * {@code DELETE} of the playlist) is published as an end-of-stream marker once every segment listed before
 * it is committed or given up on, so the marker follows the run's last segment on the data plane. A later
 * playlist that is not that same ended one starts a new run: its first segment carries a discontinuity,
 * sequence numbers go on from where they were (the publisher is kept), a fresh init segment is published.
 */
final class IngestCommitter {
    private static final Logger LOG = Logger.getLogger(IngestCommitter.class);

    /** Why a stream ended, as the ingest saw it (a metric label). */
    enum EndCause {
        ENDLIST("endlist"), DELETE("delete"), MPD_STATIC("mpd_static");

        final String label;

        EndCause(String label) {
            this.label = label;
        }
    }
    private record Upload(byte[] bytes, long arrivedMillis) {
    }

    private record Listed(PlaylistEntry entry, long listedMillis) {
    }

    private final StreamRuntime runtime;
    private final SegmentPublisher publisher;
    private final RelayMetrics metrics;
    private final long timeoutMillis;
    private final int maxUnlisted;
    private final int maxListed;
    private final Map<String, Upload> uploads = new LinkedHashMap<>();
    private final ArrayDeque<Listed> listed = new ArrayDeque<>();
    /** Init segments by name: ffmpeg uploads one once and lists it for the whole session. */
    private final Map<String, byte[]> initFiles = new LinkedHashMap<>();
    private long lastListedUpstream = -1;
    private boolean nextIsDiscontinuity;
    private byte[] committedInitSha;
    private long committedInitSequence;
    /** Whether the last commit ran as the root: the standby-to-root step happens once, on the change. */
    private boolean wasRoot;
    /** A media segment was published since the start or the last end: an end then has something to end. */
    private boolean live;
    /** The publisher ended the run; the marker goes out once {@link #listed} is drained. */
    private EndCause endRequested;
    /** The run ended and its marker went out (or there was nothing to end); the next new playlist starts a run. */
    private boolean ended;

    IngestCommitter(StreamRuntime runtime, SegmentPublisher publisher, RelayMetrics metrics, long timeoutMillis,
                    int maxUnlisted, int maxListed) {
        this.runtime = runtime;
        this.publisher = publisher;
        this.metrics = metrics;
        this.timeoutMillis = timeoutMillis;
        this.maxUnlisted = maxUnlisted;
        this.maxListed = maxListed;
    }

    synchronized void onFile(String name, byte[] bytes, long nowMillis) {
        uploads.remove(name);
        uploads.put(name, new Upload(bytes, nowMillis));
        while (uploads.size() > maxUnlisted) {
            Iterator<String> eldest = uploads.keySet().iterator();
            eldest.next();
            eldest.remove();
            metrics.ingestDropped(runtime.spec().name(), "unlisted");
        }
        commit(nowMillis);
    }

    synchronized void onPlaylist(MediaPlaylist playlist, long nowMillis) {
        if (ended) {
            long newest = playlist.entries().isEmpty() ? -1 : playlist.entries().get(playlist.entries().size() - 1).upstreamSequence();
            if (newest < 0 || (playlist.endList() && newest == lastListedUpstream)) {
                // The ended run's own playlist again (pull ingest re-reads it every poll): nothing new.
                return;
            }
            startRun(newest);
        }
        if (!playlist.entries().isEmpty()) {
            long newest = playlist.entries().get(playlist.entries().size() - 1).upstreamSequence();
            if (newest < lastListedUpstream) {
                // The encoder restarted its numbering: a new session, so a discontinuity.
                listed.clear();
                lastListedUpstream = -1;
                nextIsDiscontinuity = true;
            }
        }
        for (PlaylistEntry e : playlist.entries()) {
            if (e.upstreamSequence() > lastListedUpstream) {
                listed.add(new Listed(e, nowMillis));
                lastListedUpstream = e.upstreamSequence();
            }
        }
        while (listed.size() > maxListed) {
            listed.removeFirst();
            metrics.ingestDropped(runtime.spec().name(), "backlog");
            nextIsDiscontinuity = true;
        }
        if (playlist.endList()) {
            requestEnd(EndCause.ENDLIST);
        }
        commit(nowMillis);
    }

    /**
     * Pull ingest refused to fetch this file (issue 16, SSRF guard): the entries that need it are dropped at once,
     * counted, instead of holding every later segment until they time out; the segment after a gap is a discontinuity.
     */
    synchronized void onRefused(String uri, long nowMillis) {
        ArrayDeque<Listed> kept = new ArrayDeque<>(listed.size());
        boolean gap = false;
        for (Listed l : listed) {
            PlaylistEntry e = l.entry();
            if (uri.equals(e.uri()) || uri.equals(e.mapUri())) {
                metrics.ingestDropped(runtime.spec().name(), "refused");
                gap = true;
                continue;
            }
            if (gap) {
                e = new PlaylistEntry(e.upstreamSequence(), e.uri(), e.durationMicros(), true, e.mapUri());
                gap = false;
            }
            kept.add(new Listed(e, l.listedMillis()));
        }
        if (gap) {
            nextIsDiscontinuity = true;
        }
        listed.clear();
        listed.addAll(kept);
        uploads.remove(uri);
        commit(nowMillis);
    }

    /** The publisher DELETEd the playlist: the stream ends after what it listed (segment DELETEs mean nothing here). */
    synchronized void onPlaylistDeleted(long nowMillis) {
        if (!ended) {
            requestEnd(EndCause.DELETE);
        }
        commit(nowMillis);
    }

    private void requestEnd(EndCause cause) {
        if (endRequested == null) {
            endRequested = cause;
        }
    }

    /**
     * A publish after the end. The encoder usually numbers from 0 again, but may not (epoch numbering, or a
     * first run of one segment listed again as 0): after an end every playlist entry is new, so numbering
     * starts over unless it went on above the ended run's.
     */
    private void startRun(long newest) {
        ended = false;
        if (newest <= lastListedUpstream) {
            lastListedUpstream = -1;
        }
        nextIsDiscontinuity = true;
        // A new encoder session: its init segment is published afresh, never borrowed from the ended run.
        committedInitSha = null;
        metrics.streamRestarted(runtime.spec().name());
        LOG.infof("stream %s: published again after its end, a new run starts (discontinuity)", runtime.spec().name());
    }

    /** Periodic: drops what waited too long. */
    synchronized void expire(long nowMillis) {
        commit(nowMillis);
        uploads.values().removeIf(u -> {
            boolean stale = nowMillis - u.arrivedMillis() > timeoutMillis;
            if (stale) {
                metrics.ingestDropped(runtime.spec().name(), "unlisted");
            }
            return stale;
        });
    }

    private void commit(long nowMillis) {
        if (!runtime.isRoot()) {
            wasRoot = false;
            if (runtime.isStandbyIngest()) {
                releaseForwarded(newestForwarded());
            }
            return;
        }
        if (!wasRoot) {
            wasRoot = true;
            takeOver();
        }
        while (!listed.isEmpty()) {
            Listed head = listed.peekFirst();
            PlaylistEntry entry = head.entry();
            boolean expired = nowMillis - head.listedMillis() > timeoutMillis;
            long initSequence = 0;
            if (entry.mapUri() != null) {
                Upload fresh = uploads.remove(entry.mapUri());
                if (fresh != null) {
                    initFiles.remove(entry.mapUri());
                    initFiles.put(entry.mapUri(), fresh.bytes());
                    while (initFiles.size() > 4) {
                        initFiles.remove(initFiles.keySet().iterator().next());
                    }
                }
                byte[] init = initFiles.get(entry.mapUri());
                if (init == null) {
                    if (!expired) {
                        return;
                    }
                    drop(head, "init_never_arrived");
                    continue;
                }
                byte[] sha = Shards.sha256(init);
                if (committedInitSha == null || !MessageDigest.isEqual(sha, committedInitSha)) {
                    committedInitSequence = publisher.publishInit(init, nowMillis);
                    committedInitSha = sha;
                }
                initSequence = committedInitSequence;
            }
            Upload media = uploads.remove(entry.uri());
            if (media == null) {
                if (!expired) {
                    return;
                }
                drop(head, "bytes_never_arrived");
                continue;
            }
            SegmentKind kind = entry.mapUri() != null ? SegmentKind.SEGMENT_KIND_FMP4_MEDIA : SegmentKind.SEGMENT_KIND_MPEG_TS;
            publisher.publishMedia(kind, media.bytes(), entry.durationMicros(), entry.discontinuity() || nextIsDiscontinuity,
                    initSequence, entry.upstreamSequence(), nowMillis);
            nextIsDiscontinuity = false;
            live = true;
            listed.removeFirst();
        }
        if (endRequested != null) {
            // Everything listed before the end is in (or given up on): the marker follows the last segment.
            if (live) {
                long seq = publisher.publishEnd(nowMillis);
                metrics.streamEnded(runtime.spec().name(), endRequested.label);
                LOG.infof("stream %s: publisher ended it (%s); end-of-stream marker %d sent down every stripe",
                        runtime.spec().name(), endRequested.label, seq);
            }
            endRequested = null;
            ended = true;
            live = false;
        }
    }

    /**
     * The newest complete media segment of the window that names its upstream sequence, or null. Complete only: a
     * segment the lost primary had begun to send is published again, whole, from this relay's own upload.
     */
    private WindowEntry newestForwarded() {
        WindowEntry newest = null;
        for (WindowEntry e : runtime.window().snapshot()) {
            if (e.isMedia() && e.isComplete() && e.meta().hasUpstreamSequence() && (newest == null || e.sequence() > newest.sequence())) {
                newest = e;
            }
        }
        return newest;
    }

    /** Standby: uploads the forest already carries are let go, with their bytes. */
    private void releaseForwarded(WindowEntry newest) {
        if (newest == null) {
            return;
        }
        long upTo = newest.meta().getUpstreamSequence();
        while (!listed.isEmpty() && listed.peekFirst().entry().upstreamSequence() <= upTo) {
            uploads.remove(listed.removeFirst().entry().uri());
        }
        lastListedUpstream = Math.max(lastListedUpstream, upTo);
    }

    /**
     * This relay just became the root. If its window holds segments another ingest numbered (it was the standby),
     * continue that numbering after the newest one and publish only the uploads past it; a fresh ingest (empty
     * window) keeps its clock-based numbering.
     */
    private void takeOver() {
        WindowEntry newest = newestForwarded();
        if (newest == null) {
            return;
        }
        publisher.continueAfter(newest.sequence(), newest.meta().getMediaSequence());
        if (newest.meta().getInitSequence() != 0) {
            WindowEntry init = runtime.window().entry(newest.meta().getInitSequence());
            if (init != null) {
                committedInitSha = init.meta().getSha256().toByteArray();
                committedInitSequence = init.sequence();
            }
        }
        releaseForwarded(newest);
        // A gap between what the forest brought and the oldest upload still held is a discontinuity, nothing else.
        nextIsDiscontinuity = !listed.isEmpty() && listed.peekFirst().entry().upstreamSequence() > newest.meta().getUpstreamSequence() + 1;
        metrics.ingestTakeover(runtime.spec().name());
    }

    private void drop(Listed head, String reason) {
        listed.removeFirst();
        metrics.ingestDropped(runtime.spec().name(), reason);
        nextIsDiscontinuity = true;
    }
}
