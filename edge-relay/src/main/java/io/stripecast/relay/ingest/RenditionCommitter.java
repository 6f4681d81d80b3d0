package io.stripecast.relay.ingest;

import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.window.WindowEntry;
import org.jboss.logging.Logger;

import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Commits one rendition's media playlist: pairs its entries with uploads from the stream's shared {@link UploadStore},
 * in playlist order, in either order of arrival; a listed segment whose bytes never arrive is dropped after a bound.
 * Its end (ENDLIST, DELETE) is noted once everything listed before it is in; the stream's one end marker is
 * {@link IngestCommitter}'s, after every rendition ended. Not thread-safe: called under the stream committer's lock.
 */
final class RenditionCommitter {
    private static final Logger LOG = Logger.getLogger(RenditionCommitter.class);

    /** How a committed segment is numbered: the stream decides, so that renditions line up. */
    interface Numbering {
        /** The media sequence for this entry of this rendition; -1 takes the stream's next one (single playlist). */
        long mediaSequence(int rendition, PlaylistEntry entry, long nowMillis);

        void published(int rendition, long mediaSequence, long upstreamSequence);
    }

    private record Listed(PlaylistEntry entry, long listedMillis) {
    }

    private final int rendition;
    private final StreamRuntime runtime;
    private final SegmentPublisher publisher;
    private final RelayMetrics metrics;
    private final UploadStore uploads;
    private final Numbering numbering;
    private final long timeoutMillis;
    private final int maxListed;
    private final ArrayDeque<Listed> listed = new ArrayDeque<>();
    /** Init segments by name: ffmpeg uploads one once and lists it for the whole session. */
    private final Map<String, byte[]> initFiles = new LinkedHashMap<>();
    private long lastListedUpstream = -1;
    private boolean nextIsDiscontinuity;
    private byte[] committedInitSha;
    private long committedInitSequence;
    /** A media segment was published since the start or the last end: an end then has something to end. */
    boolean live;
    /** The publisher ended this rendition; noted as {@link #endedBy} once {@link #listed} is drained. */
    private IngestCommitter.EndCause endRequested;
    /** This rendition's end is drained: the stream's marker goes out when every rendition's is. */
    IngestCommitter.EndCause endedBy;
    /** The run ended (or this rendition's part of it); the next new playlist starts a run. */
    boolean ended;

    RenditionCommitter(int rendition, StreamRuntime runtime, SegmentPublisher publisher, RelayMetrics metrics,
                       UploadStore uploads, Numbering numbering, long timeoutMillis, int maxListed) {
        this.rendition = rendition;
        this.runtime = runtime;
        this.publisher = publisher;
        this.metrics = metrics;
        this.uploads = uploads;
        this.numbering = numbering;
        this.timeoutMillis = timeoutMillis;
        this.maxListed = maxListed;
    }

    /** Whether this playlist starts a new run after the end (the ended run's own playlist again does not). */
    boolean startsRun(MediaPlaylist playlist) {
        if (!ended) {
            return false;
        }
        long newest = newest(playlist);
        return !(newest < 0 || (playlist.endList() && newest == lastListedUpstream));
    }

    void onPlaylist(MediaPlaylist playlist, long nowMillis) {
        if (ended) {
            if (!startsRun(playlist)) {
                // The ended run's own playlist again (pull ingest re-reads it every poll): nothing new.
                return;
            }
            startRun(newest(playlist));
        }
        if (!playlist.entries().isEmpty() && newest(playlist) < lastListedUpstream) {
            // The encoder restarted its numbering: a new session, so a discontinuity.
            listed.clear();
            lastListedUpstream = -1;
            nextIsDiscontinuity = true;
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
            requestEnd(IngestCommitter.EndCause.ENDLIST);
        }
    }

    private static long newest(MediaPlaylist playlist) {
        return playlist.entries().isEmpty() ? -1 : playlist.entries().get(playlist.entries().size() - 1).upstreamSequence();
    }

    /** Pull refused this file: the entries that need it are dropped at once; the segment after a gap is discontinuous. */
    void onRefused(String uri) {
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
    }

    void requestEnd(IngestCommitter.EndCause cause) {
        if (!ended && endRequested == null) {
            endRequested = cause;
        }
    }

    /**
     * This rendition now carries another variant's playlist (the master mapped names anew): what it listed is
     * forgotten, and its next segment follows a discontinuity.
     */
    void forget() {
        listed.clear();
        lastListedUpstream = -1;
        nextIsDiscontinuity = true;
        committedInitSha = null;
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
        if (rendition == 0) {
            metrics.streamRestarted(runtime.spec().name());
            LOG.infof("stream %s: published again after its end, a new run starts (discontinuity)", runtime.spec().name());
        }
    }

    /** Commits what can be (this relay is the root): in playlist order, waiting for bytes up to the bound. */
    void commit(long nowMillis) {
        while (!listed.isEmpty()) {
            Listed head = listed.peekFirst();
            PlaylistEntry entry = head.entry();
            boolean expired = nowMillis - head.listedMillis() > timeoutMillis;
            long initSequence = 0;
            if (entry.mapUri() != null) {
                UploadStore.Upload fresh = uploads.take(entry.mapUri());
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
                    drop("init_never_arrived");
                    continue;
                }
                byte[] sha = Shards.sha256(init);
                if (committedInitSha == null || !MessageDigest.isEqual(sha, committedInitSha)) {
                    committedInitSequence = publisher.publishInit(rendition, init, nowMillis);
                    committedInitSha = sha;
                }
                initSequence = committedInitSequence;
            }
            UploadStore.Upload media = uploads.take(entry.uri());
            if (media == null) {
                if (!expired && !overtaken(head, nowMillis)) {
                    return;
                }
                drop("bytes_never_arrived");
                continue;
            }
            SegmentKind kind = entry.mapUri() != null ? SegmentKind.SEGMENT_KIND_FMP4_MEDIA : SegmentKind.SEGMENT_KIND_MPEG_TS;
            long ms = publisher.publishMedia(rendition, numbering.mediaSequence(rendition, entry, nowMillis), kind, media.bytes(),
                    entry.durationMicros(), entry.discontinuity() || nextIsDiscontinuity, initSequence, entry.upstreamSequence(),
                    nowMillis);
            numbering.published(rendition, ms, entry.upstreamSequence());
            nextIsDiscontinuity = false;
            live = true;
            listed.removeFirst();
        }
        if (endRequested != null) {
            // Everything listed before the end is in (or given up on): the stream's marker may follow.
            endedBy = endRequested;
            endRequested = null;
            ended = true;
        }
    }

    /**
     * Whether a listed segment still without its bytes has waited long enough, given that one listed after it has its
     * bytes: an encoder uploads a segment before the playlist that lists it, in order, so bytes that have not come
     * while a later segment's did were lost (a failed PUT, an upload let go); waiting the full timeout for them held
     * every later segment back, and while held back their uploads were let go in turn, so that one lost upload at two
     * segments a second stopped the stream for good (issue 17, seen at 300 Mbit/s). Twice the segment's duration still
     * lets an out-of-order uploader finish.
     */
    private boolean overtaken(Listed head, long nowMillis) {
        if (nowMillis - head.listedMillis() <= 2 * head.entry().durationMicros() / 1000) {
            return false;
        }
        boolean first = true;
        for (Listed later : listed) {
            if (!first && uploads.holds(later.entry().uri())) {
                return true;
            }
            first = false;
        }
        return false;
    }

    /** Standby: uploads the forest already carries are let go, with their bytes. */
    void releaseForwarded(WindowEntry newest) {
        if (newest == null) {
            return;
        }
        long upTo = newest.meta().getUpstreamSequence();
        while (!listed.isEmpty() && listed.peekFirst().entry().upstreamSequence() <= upTo) {
            uploads.take(listed.removeFirst().entry().uri());
        }
        lastListedUpstream = Math.max(lastListedUpstream, upTo);
    }

    /** This relay became the root after a standby: continue from {@code newest}, the segment the forest brought last. */
    void takeOver(WindowEntry newest) {
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
    }

    private void drop(String reason) {
        listed.removeFirst();
        metrics.ingestDropped(runtime.spec().name(), reason);
        nextIsDiscontinuity = true;
    }
}
