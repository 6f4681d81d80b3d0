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
 * One stream's playlist as this relay serves it: rendered from the window, and the requests held
 * until it lists a given media sequence (LL-HLS blocking playlist reload, RFC 8216bis 6.2.5.2).
 * Segments are pushed to this relay, so a held request can be answered the moment its segment
 * completes here; a polling player learns of it only at its next reload.
 */
public final class LivePlaylist {
    /** How long an incomplete segment may hold the playlist back before it is skipped. */
    private static final long STALE_MILLIS = 6_000;

    /** A request waiting for a media sequence; exactly one of its release and its timeout answers it. */
    public static final class Hold {
        private final long mediaSequence;
        private final boolean offerBlockingReload;
        private final Consumer<Rendered> onListed;
        private final AtomicBoolean answered = new AtomicBoolean();

        private Hold(long mediaSequence, boolean offerBlockingReload, Consumer<Rendered> onListed) {
            this.mediaSequence = mediaSequence;
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
    private final Queue<Hold> holds = new ConcurrentLinkedQueue<>();
    /** Every viewer of the stream polls the same playlist: render it once per change, not once per request. */
    private volatile Cached cached;

    public LivePlaylist(SegmentWindow window) {
        this.window = window;
        window.addCompletionListener(seq -> release());
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
        Rendered rendered = renderer.render(entries, window.evictedDiscontinuities(), now, offerBlockingReload);
        cached = new Cached(version, offerBlockingReload, currentUntil(entries, now), rendered);
        return rendered;
    }

    /** An incomplete segment holds the playlist back until it goes stale: the render changes at the first such moment. */
    private static long currentUntil(List<WindowEntry> entries, long now) {
        long until = Long.MAX_VALUE;
        for (WindowEntry e : entries) {
            long staleAt = e.meta().getIngestTimeMillis() + STALE_MILLIS;
            if (e.isMedia() && !e.isComplete() && staleAt > now) {
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
        Hold hold = new Hold(mediaSequence, offerBlockingReload, onListed);
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
            if (now != null && (hold.mediaSequence <= now.lastMediaSequence() || now.ended())) {
                it.remove();
                if (hold.claim()) {
                    hold.onListed.accept(now);
                }
            }
        }
    }
}
