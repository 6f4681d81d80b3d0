package io.stripecast.relay.playback;

import io.stripecast.relay.playback.PlaylistRenderer.Rendered;
import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowEntry;

import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One rendition's media playlist of a stream as this relay serves it: rendered from the window, and the requests held
 * until it lists a given media sequence, or a given part of it (LL-HLS blocking playlist reload, RFC 8216bis 6.2.5.2).
 * Segments and parts are pushed to this relay, so a held request can be answered the moment its segment or part
 * completes here; a polling player learns of it only at its next reload.
 */
public final class LivePlaylist {
    /** How long an incomplete segment (or part) may hold the playlist back before it is skipped. */
    private static final long STALE_MILLIS = 6_000;

    /** A request waiting for a media sequence (or a part of it); exactly one of its release and its timeout answers it. */
    public static final class Hold {
        private final long mediaSequence;
        /** -1: the whole segment. */
        private final long part;
        private final boolean offerBlockingReload;
        private final Consumer<Rendered> onListed;
        private final AtomicBoolean answered = new AtomicBoolean();

        private Hold(long mediaSequence, long part, boolean offerBlockingReload, Consumer<Rendered> onListed) {
            this.mediaSequence = mediaSequence;
            this.part = part;
            this.offerBlockingReload = offerBlockingReload;
            this.onListed = onListed;
        }

        /** True for the one caller that may answer this request. */
        public boolean claim() {
            return answered.compareAndSet(false, true);
        }
    }

    /** A render and how long it stays what the window would render: until the window changes or a segment goes stale. */
    private record Cached(long windowVersion, boolean offerBlockingReload, long currentUntilMillis, Rendered rendered) {
    }

    private final PlaylistRenderer renderer = new PlaylistRenderer(STALE_MILLIS);
    private final SegmentWindow window;
    private final int rendition;
    private final Queue<Hold> holds = new ConcurrentLinkedQueue<>();
    /** Every viewer of the stream polls the same playlist: render it once per change, not once per request. */
    private volatile Cached cached;

    /** Rendition 0's playlist: the only one of a stream without renditions. */
    public LivePlaylist(SegmentWindow window) {
        this(window, 0);
    }

    public LivePlaylist(SegmentWindow window, int rendition) {
        this.window = window;
        this.rendition = rendition;
        window.addCompletionListener(seq -> release());
    }

    public int rendition() {
        return rendition;
    }

    /** The playlist now, or null while nothing is playable (see {@link PlaylistRenderer#render} for the flag). */
    public Rendered render(boolean offerBlockingReload) {
        long now = System.currentTimeMillis();
        // Read before the snapshot: the snapshot is then at least this new, so a cached render is never older than its label.
        long version = window.version();
        Cached c = cached;
        if (c != null && c.windowVersion() == version && c.offerBlockingReload() == offerBlockingReload && now < c.currentUntilMillis()) {
            return c.rendered();
        }
        List<WindowEntry> entries = window.snapshot();
        Rendered rendered = renderer.render(entries, rendition, window.evictedDiscontinuities(rendition), now, offerBlockingReload);
        cached = new Cached(version, offerBlockingReload, currentUntil(entries, rendition, now), rendered);
        return rendered;
    }

    /**
     * An incomplete segment holds the playlist back until it goes stale: the render changes at the first such moment. A
     * part or parts end may also mark an earlier piece of its segment late (see {@link HeldSegment#lateSince}), so each
     * one's moment counts: parts arrive several times a second anyway, each a window change.
     */
    private static long currentUntil(List<WindowEntry> entries, int rendition, long now) {
        long until = Long.MAX_VALUE;
        for (WindowEntry e : entries) {
            long staleAt = e.meta().getIngestTimeMillis() + STALE_MILLIS;
            boolean counts = e.isMedia() && !e.isComplete() || e.isPart() || e.isPartsEnd();
            if (counts && e.rendition() == rendition && staleAt > now) {
                until = Math.min(until, staleAt);
            }
        }
        return until;
    }

    /**
     * Calls {@code onListed} (on the thread that completed the segment) once the playlist lists
     * {@code mediaSequence} or ends, unless the returned hold is claimed first. Checks once more after
     * queueing, so a segment completing meanwhile is not missed.
     */
    public Hold hold(long mediaSequence, boolean offerBlockingReload, Consumer<Rendered> onListed) {
        return hold(mediaSequence, -1, offerBlockingReload, onListed);
    }

    /** As {@link #hold(long, boolean, Consumer)} for part {@code part} of the segment ({@code -1}: the whole segment). */
    public Hold hold(long mediaSequence, long part, boolean offerBlockingReload, Consumer<Rendered> onListed) {
        Hold hold = new Hold(mediaSequence, part, offerBlockingReload, onListed);
        holds.add(hold);
        release();
        return hold;
    }

    /** Drops a hold answered otherwise (timed out, or its viewer left). */
    public void forget(Hold hold) {
        holds.remove(hold);
    }

    private void release() {
        if (holds.isEmpty()) {
            return;
        }
        for (Iterator<Hold> it = holds.iterator(); it.hasNext(); ) {
            Hold hold = it.next();
            // Rendered once for every request it releases (the cache answers the rest).
            Rendered now = render(hold.offerBlockingReload);
            // An ended playlist will never list more: a player waiting for a later segment gets it now and sees ENDLIST.
            if (now != null && now.lists(hold.mediaSequence, hold.part)) {
                it.remove();
                if (hold.claim()) {
                    hold.onListed.accept(now);
                }
            }
        }
    }
}
