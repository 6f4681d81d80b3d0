package io.stripecast.relay.playback;

import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowEntry;

import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Requests for parts not here yet, held until they complete here (RFC 8216bis 6.2.6: a player fetches the part an
 * EXT-X-PRELOAD-HINT names before it exists, and the server answers once it can send the whole part). Parts are pushed
 * to this relay, so the answer leaves the moment the part is rebuilt here. A held part that will never exist (its
 * segment ended with fewer parts, or the publisher ended the stream) is answered at once as gone. Which requests may
 * be held, and for how long, is the caller's to bound.
 */
public final class PartHolds {
    /** A request for one part; exactly one of its arrival, its refusal and the caller's timeout answers it. */
    public static final class Hold {
        private final int rendition;
        private final long mediaSequence;
        private final int part;
        private final Consumer<WindowEntry> onArrived;
        private final Consumer<Integer> onGone;
        private final AtomicBoolean answered = new AtomicBoolean();

        private Hold(int rendition, long mediaSequence, int part, Consumer<WindowEntry> onArrived, Consumer<Integer> onGone) {
            this.rendition = rendition;
            this.mediaSequence = mediaSequence;
            this.part = part;
            this.onArrived = onArrived;
            this.onGone = onGone;
        }

        /** True for the one caller that may answer this request. */
        public boolean claim() {
            return answered.compareAndSet(false, true);
        }
    }

    private final SegmentWindow window;
    private final Queue<Hold> holds = new ConcurrentLinkedQueue<>();

    public PartHolds(SegmentWindow window) {
        this.window = window;
        window.addCompletionListener(this::completed);
    }

    /**
     * Calls {@code onArrived} with the part's entry (on the thread that completed it) once part {@code part} of segment
     * {@code mediaSequence} of {@code rendition} is complete here, or {@code onGone} with the segment's part count once
     * its end says there is no such part (-1 once the stream ended), unless the returned hold is claimed first. Looks once more after queueing, so
     * a part completing meanwhile is not missed.
     */
    public Hold hold(int rendition, long mediaSequence, int part, Consumer<WindowEntry> onArrived, Consumer<Integer> onGone) {
        Hold hold = new Hold(rendition, mediaSequence, part, onArrived, onGone);
        holds.add(hold);
        // Only the held segment's entries can answer (an end already held is an earlier run's: the caller holds only
        // while the playlist hints a part, so not ended). Taken without copying the window: one hold per hinted part.
        for (WindowEntry e : window.matching(
                candidate -> !candidate.isEnd() && candidate.rendition() == rendition && candidate.meta().getMediaSequence() == mediaSequence)) {
            answer(hold, e);
        }
        return hold;
    }

    /** Drops a hold answered otherwise (timed out, or its viewer left). */
    public void forget(Hold hold) {
        holds.remove(hold);
    }

    /** Requests held now (for tests). */
    public int size() {
        return holds.size();
    }

    private void completed(long sequence) {
        if (holds.isEmpty()) {
            return;
        }
        WindowEntry e = window.entry(sequence);
        if (e == null || !e.isPart() && !e.isPartsEnd() && !e.isEnd()) {
            return;
        }
        for (Hold hold : holds) {
            answer(hold, e);
        }
    }

    private void answer(Hold hold, WindowEntry e) {
        if (e.isEnd() && e.isComplete()) {
            // Held parts come after everything the publisher sent: once its end is here, none of them will.
            if (holds.remove(hold) && hold.claim()) {
                hold.onGone.accept(-1);
            }
            return;
        }
        if (!e.isComplete() || e.rendition() != hold.rendition || e.meta().getMediaSequence() != hold.mediaSequence) {
            return;
        }
        boolean arrived = e.isPart() && e.meta().getPartIndex() == hold.part;
        boolean gone = e.isPartsEnd() && e.meta().getPartIndex() <= hold.part;
        if ((arrived || gone) && holds.remove(hold) && hold.claim()) {
            if (arrived) {
                hold.onArrived.accept(e);
            } else {
                hold.onGone.accept(e.meta().getPartIndex());
            }
        }
    }
}
