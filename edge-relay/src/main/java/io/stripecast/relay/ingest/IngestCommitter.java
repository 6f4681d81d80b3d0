package io.stripecast.relay.ingest;

import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.push.ShardValidator;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.window.WindowEntry;
import org.jboss.logging.Logger;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The HLS ingest of one stream (PUT or pull): uploads by name in one {@link UploadStore}, each media playlist committed
 * into its rendition by a {@link RenditionCommitter}, in playlist order, in either order of arrival (ffmpeg often
 * sends the playlist first).
 *
 * <p><b>One playlist or a ladder.</b> A stream whose publisher never sends a master playlist is rendition 0, numbered
 * from the stream's counter, exactly as before renditions existed. A master ({@code -var_stream_map} with
 * {@code -master_pl_name}) maps each variant's media playlist name to a rendition (master order) and the stream's
 * ladder is published from it. ffmpeg uploads the master only after the first segment and media playlist of every
 * variant, so until a master arrives the first media playlist name seen is rendition 0 (a single-playlist stream
 * loses nothing waiting), and any other name is held unlisted (its newest playlist, its uploads in the store) until
 * a master maps it, or dropped with the store's bounds: two variants are never mixed into one rendition. If the master
 * then maps the first name elsewhere, rendition 0 forgets it and goes on, after a discontinuity, with the master's
 * first variant. Under a ladder each segment's media sequence is the run's base plus the encoder's own media sequence
 * (EXT-X-MEDIA-SEQUENCE + position), the base chosen so that what rendition 0 already published keeps its numbers:
 * the renditions of one moment share a media sequence, and players switch on it.
 *
 * <p>On a standby ingest (a forest member that takes the same uploads as the primary) nothing is published: an
 * upload waits until the forest has brought the segment with the same upstream sequence, and is then let go. When
 * the controller makes the standby the root, it continues the primary's numbering from the newest segment its
 * window holds and publishes the uploads the forest never brought, so that no relay misses the segment the primary
 * had in hand when it died. (Built for rendition 0; other renditions are released the same way, by their own
 * newest forwarded segment.)
 *
 * <p>The publisher's end (a playlist with {@code #EXT-X-ENDLIST}, as ffmpeg's HLS muxer uploads last, or a
 * {@code DELETE} of the playlist) is published as one end-of-stream marker once every rendition ended and every
 * segment listed before is committed or given up on, so the marker follows the run's last segment on the data
 * plane. A rendition that never ends is waited for at most the pending-segment bound after the first ended. A later
 * playlist that is not that same ended one starts a new run: its first segment carries a discontinuity, sequence
 * numbers go on from where they were (the publisher is kept), a fresh init segment is published.
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

    private record Held(MediaPlaylist playlist, long heldMillis) {
    }

    private final StreamRuntime runtime;
    private final SegmentPublisher publisher;
    private final RelayMetrics metrics;
    private final long timeoutMillis;
    private final UploadStore uploads;
    private final RenditionCommitter[] renditions = new RenditionCommitter[ShardValidator.MAX_RENDITIONS];
    /** The publisher's master; null while it sent none (a single-playlist stream). */
    private HlsMaster master;
    /** Before any master: the media playlist name that feeds rendition 0. */
    private String firstName;
    /** Before any master: other names' newest playlists, unlisted until a master maps them. */
    private final Map<String, Held> held = new LinkedHashMap<>();
    /** Every name's newest playlist, replayed into its rendition when a master maps it anew. */
    private final Map<String, MediaPlaylist> newest = new LinkedHashMap<>();
    /** Under a ladder: media sequence = runBase + upstream sequence; -1 until the run's first segment. */
    private long runBase = -1;
    private final long[] lastMediaSequence = new long[ShardValidator.MAX_RENDITIONS];
    private final long[] lastUpstream = new long[ShardValidator.MAX_RENDITIONS];
    private final LadderPublication ladder;
    /** When the first rendition's end was drained while others were still going; -1 when none. */
    private long firstEndMillis = -1;
    /** Whether the last commit ran as the root: the standby-to-root step happens once, on the change. */
    private boolean wasRoot;

    IngestCommitter(StreamRuntime runtime, SegmentPublisher publisher, RelayMetrics metrics, long timeoutMillis,
                    int maxUnlisted, int maxListed) {
        this.runtime = runtime;
        this.publisher = publisher;
        this.metrics = metrics;
        this.timeoutMillis = timeoutMillis;
        this.uploads = new UploadStore(maxUnlisted);
        this.ladder = new LadderPublication(runtime.spec().name(), publisher, metrics);
        RenditionCommitter.Numbering numbering = new RenditionCommitter.Numbering() {
            @Override
            public long mediaSequence(int rendition, PlaylistEntry entry, long nowMillis) {
                return IngestCommitter.this.mediaSequence(rendition, entry, nowMillis);
            }

            @Override
            public void published(int rendition, long mediaSequence, long upstreamSequence) {
                lastMediaSequence[rendition] = mediaSequence;
                lastUpstream[rendition] = upstreamSequence;
            }
        };
        for (int r = 0; r < renditions.length; r++) {
            renditions[r] = new RenditionCommitter(r, runtime, publisher, metrics, uploads, numbering, timeoutMillis, maxListed);
            lastMediaSequence[r] = -1;
        }
    }

    synchronized void onFile(String name, byte[] bytes, long nowMillis) {
        int evicted = uploads.put(name, bytes, nowMillis);
        for (int i = 0; i < evicted; i++) {
            metrics.ingestDropped(runtime.spec().name(), "unlisted");
        }
        commit(nowMillis);
    }

    /** A media playlist without a name (tests, one-playlist callers): rendition 0. */
    synchronized void onPlaylist(MediaPlaylist playlist, long nowMillis) {
        feed(0, playlist, nowMillis);
        commit(nowMillis);
    }

    /** A media playlist by its name (the PUT's file name, or the pulled variant's URL). */
    synchronized void onPlaylist(String name, MediaPlaylist playlist, long nowMillis) {
        remember(name, playlist);
        int r = renditionOf(name);
        if (r >= 0) {
            feed(r, playlist, nowMillis);
        } else if (master != null) {
            // Not a variant of the master: never committed, so never mixed into a rendition.
            metrics.ingestDropped(runtime.spec().name(), "not_in_ladder");
        } else {
            held.remove(name);
            held.put(name, new Held(playlist, nowMillis));
            while (held.size() > ShardValidator.MAX_RENDITIONS) {
                held.remove(held.keySet().iterator().next());
                metrics.ingestDropped(runtime.spec().name(), "no_master");
            }
        }
        commit(nowMillis);
    }

    /** The publisher's master: names are mapped to renditions anew, held playlists go to theirs, the ladder is published. */
    synchronized void onMaster(HlsMaster next, long nowMillis) {
        HlsMaster previous = master;
        String previousFirst = firstName;
        master = next;
        firstName = null;
        for (int r = 0; r < next.variants().size(); r++) {
            String name = next.variants().get(r).uri();
            String before = previous != null
                    ? (r < previous.variants().size() ? previous.variants().get(r).uri() : null)
                    : (r == 0 ? previousFirst : null);
            if (before != null && !before.equals(name)) {
                // This rendition carried another variant: it goes on with this one, after a discontinuity.
                renditions[r].forget();
            }
            MediaPlaylist latest = newest.get(name);
            if (latest != null && !name.equals(before)) {
                feed(r, latest, nowMillis);
            }
        }
        for (Map.Entry<String, Held> h : held.entrySet()) {
            if (next.renditionOf(h.getKey()) < 0) {
                metrics.ingestDropped(runtime.spec().name(), "not_in_ladder");
            }
        }
        held.clear();
        if (previous == null || !previous.equals(next)) {
            LOG.infof("stream %s: master playlist with %d variants, published as renditions 0-%d",
                    runtime.spec().name(), next.variants().size(), next.variants().size() - 1);
        }
        if (runtime.isRoot() && anyLive()) {
            publishLadder(nowMillis, false);
        }
        commit(nowMillis);
    }

    /**
     * Pull refused this file (issue 16, SSRF guard): the entries that need it are dropped at once, counted, instead of
     * holding every later segment until they time out.
     */
    synchronized void onRefused(String uri, long nowMillis) {
        for (RenditionCommitter r : renditions) {
            r.onRefused(uri);
        }
        uploads.take(uri);
        commit(nowMillis);
    }

    /** The publisher DELETEd the playlist: the stream ends after what it listed (segment DELETEs mean nothing here). */
    synchronized void onPlaylistDeleted(long nowMillis) {
        onPlaylistDeleted(null, nowMillis);
    }

    /**
     * Under a ladder a DELETE of a variant's playlist ends that rendition, of the master (or of anything else) every
     * rendition; without one, any playlist's DELETE ends the stream, as it always did.
     */
    synchronized void onPlaylistDeleted(String name, long nowMillis) {
        int r = name == null ? -1 : renditionOf(name);
        if (master != null && r >= 0) {
            renditions[r].requestEnd(EndCause.DELETE);
        } else {
            for (int i = 0; i < active(); i++) {
                renditions[i].requestEnd(EndCause.DELETE);
            }
        }
        commit(nowMillis);
    }

    /** Periodic: drops what waited too long, publishes the ladder again before the window forgets it. */
    synchronized void expire(long nowMillis) {
        if (firstEndMillis >= 0 && nowMillis - firstEndMillis > timeoutMillis) {
            // A rendition that never ended (its encoder output died): the stream ends without it.
            for (int i = 0; i < active(); i++) {
                if (!renditions[i].ended) {
                    renditions[i].requestEnd(EndCause.ENDLIST);
                    renditions[i].forget();
                }
            }
        }
        commit(nowMillis);
        int stale = uploads.expire(nowMillis, timeoutMillis);
        for (int i = 0; i < stale; i++) {
            metrics.ingestDropped(runtime.spec().name(), "unlisted");
        }
        held.values().removeIf(h -> {
            boolean old = nowMillis - h.heldMillis() > timeoutMillis;
            if (old) {
                metrics.ingestDropped(runtime.spec().name(), "no_master");
            }
            return old;
        });
        if (runtime.isRoot() && ladder.dueAgain(nowMillis, runtime.spec().window().toMillis() / 2)) {
            publishLadder(nowMillis, true);
        }
    }

    private int renditionOf(String name) {
        if (master != null) {
            return master.renditionOf(name);
        }
        if (firstName == null) {
            firstName = name;
        }
        return firstName.equals(name) ? 0 : -1;
    }

    private void remember(String name, MediaPlaylist playlist) {
        newest.remove(name);
        newest.put(name, playlist);
        while (newest.size() > ShardValidator.MAX_RENDITIONS + 1) {
            newest.remove(newest.keySet().iterator().next());
        }
    }

    private void feed(int rendition, MediaPlaylist playlist, long nowMillis) {
        RenditionCommitter r = renditions[rendition];
        if (r.startsRun(playlist) && !anyLive()) {
            // The first rendition of a new run: its numbering base is chosen afresh.
            runBase = -1;
        }
        r.onPlaylist(playlist, nowMillis);
    }

    /** Renditions this stream has now: the master's variants, or rendition 0 alone. */
    private int active() {
        return master == null ? 1 : master.variants().size();
    }

    private boolean anyLive() {
        for (RenditionCommitter r : renditions) {
            if (r.live) {
                return true;
            }
        }
        return false;
    }

    /** -1 (the stream's counter) without a ladder; else the run's base plus the encoder's media sequence. */
    private long mediaSequence(int rendition, PlaylistEntry entry, long nowMillis) {
        if (master == null) {
            return -1;
        }
        if (!ladder.isPublished()) {
            // The ladder goes out before the first segment of a run that has one.
            publishLadder(nowMillis, false);
        }
        if (runBase < 0) {
            // Rendition 0 may have published before the master came (ffmpeg uploads it after the first segments):
            // the base keeps its numbers; else the publisher's next one, as the DASH ingest numbers.
            runBase = lastMediaSequence[0] >= 0 && renditions[0].live
                    ? lastMediaSequence[0] - lastUpstream[0]
                    : publisher.mediaSequenceBase();
        }
        long ms = runBase + entry.upstreamSequence();
        if (ms <= lastMediaSequence[rendition]) {
            // The encoder restarted its numbering without an end: a new base above everything spent (the other
            // renditions follow as their restarted numbers come in).
            runBase = publisher.mediaSequenceBase();
            ms = runBase + entry.upstreamSequence();
        }
        return ms;
    }

    private void commit(long nowMillis) {
        if (!runtime.isRoot()) {
            wasRoot = false;
            if (runtime.isStandbyIngest()) {
                for (int r = 0; r < active(); r++) {
                    renditions[r].releaseForwarded(newestForwarded(r));
                }
            }
            return;
        }
        if (!wasRoot) {
            wasRoot = true;
            takeOver();
        }
        for (int r = 0; r < active(); r++) {
            renditions[r].commit(nowMillis);
        }
        maybeEnd(nowMillis);
    }

    /** The stream's one end marker, once every rendition's end is drained (after the last segment of all of them). */
    private void maybeEnd(long nowMillis) {
        EndCause cause = null;
        boolean all = true;
        for (int r = 0; r < active(); r++) {
            RenditionCommitter c = renditions[r];
            if (c.endedBy != null && cause == null) {
                cause = c.endedBy;
            }
            all &= c.ended;
        }
        if (cause == null) {
            return;
        }
        if (!all) {
            if (firstEndMillis < 0) {
                firstEndMillis = nowMillis;
            }
            return;
        }
        if (anyLive()) {
            if (master != null) {
                // The ladder again, so that it outlives the run's last segments in every window.
                publishLadder(nowMillis, true);
            }
            long seq = publisher.publishEnd(nowMillis);
            metrics.streamEnded(runtime.spec().name(), cause.label);
            LOG.infof("stream %s: publisher ended it (%s); end-of-stream marker %d sent down every stripe",
                    runtime.spec().name(), cause.label, seq);
        }
        for (RenditionCommitter c : renditions) {
            c.live = false;
            c.endedBy = null;
            c.ended = true;
        }
        firstEndMillis = -1;
        runBase = -1;
        java.util.Arrays.fill(lastMediaSequence, -1);
        // The ended run's window is released: the next run's ladder is published even if it reads the same.
        ladder.forget();
    }

    private void publishLadder(long nowMillis, boolean again) {
        if (master == null) {
            return;
        }
        ladder.publish(master.render(), nowMillis, again);
    }

    /**
     * The newest complete media segment of a rendition in the window that names its upstream sequence, or null.
     * Complete only: a segment the lost primary had begun to send is published again, whole, from this relay's upload.
     */
    private WindowEntry newestForwarded(int rendition) {
        WindowEntry newest = null;
        for (WindowEntry e : runtime.window().snapshot()) {
            if (e.isMedia() && e.isComplete() && e.meta().getRendition() == rendition && e.meta().hasUpstreamSequence()
                    && (newest == null || e.sequence() > newest.sequence())) {
                newest = e;
            }
        }
        return newest;
    }

    /**
     * This relay just became the root. If its window holds segments another ingest numbered (it was the standby),
     * continue that numbering after the newest one and publish only the uploads past it; a fresh ingest (empty
     * window) keeps its clock-based numbering.
     */
    private void takeOver() {
        WindowEntry newest = newestForwarded(0);
        if (newest == null) {
            return;
        }
        long newestSequence = newest.sequence();
        for (int r = 1; r < active(); r++) {
            WindowEntry n = newestForwarded(r);
            if (n != null) {
                newestSequence = Math.max(newestSequence, n.sequence());
                renditions[r].takeOver(n);
            }
        }
        publisher.continueAfter(newestSequence, newest.meta().getMediaSequence());
        if (master != null) {
            // The primary numbered the ladder base + upstream sequence: so does this relay from now on.
            runBase = newest.meta().getMediaSequence() - newest.meta().getUpstreamSequence();
        }
        renditions[0].takeOver(newest);
        metrics.ingestTakeover(runtime.spec().name());
    }
}
