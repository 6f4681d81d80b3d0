package io.stripecast.relay.playback;

import io.stripecast.relay.playback.RenditionEntries.Rendition;
import io.stripecast.relay.window.WindowEntry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which of one rendition's segments its playlist lists now: complete segments in media-sequence order; an incomplete one
 * still in flight ends the list for now, one given up on (late for longer than the stale bound) starts a new run after
 * a gap. For a rendition sent as parts, the segment in progress right after the run is listed by its leading complete
 * parts (stopping at the first missing or incomplete one), and the part after them is the one to hint.
 */
final class RenditionListing {
    /** A part of a segment by media sequence and index. */
    record PartRef(long mediaSequence, int part) {
    }

    private final List<HeldSegment> run;
    private final HeldSegment inProgress;
    private final int inProgressParts;
    private final long discontinuitiesDropped;
    private final boolean ended;
    /** Nothing unlisted holds the list back except the segment in progress: the next part is known. */
    private final boolean nextKnown;

    private RenditionListing(List<HeldSegment> run, HeldSegment inProgress, int inProgressParts, long discontinuitiesDropped,
                             boolean ended, boolean nextKnown) {
        this.run = run;
        this.inProgress = inProgress;
        this.inProgressParts = inProgressParts;
        this.discontinuitiesDropped = discontinuitiesDropped;
        this.ended = ended;
        this.nextKnown = nextKnown;
    }

    /**
     * @param bySequence the window's entries by transport sequence (a segment is playable once its init is here too)
     * @param evictedDiscontinuities discontinuities of this rendition that left the window (EXT-X-DISCONTINUITY-SEQUENCE)
     */
    static RenditionListing of(Rendition rendition, Map<Long, WindowEntry> bySequence, long evictedDiscontinuities, long nowMillis,
                               long staleMillis) {
        List<HeldSegment> segments = rendition.segments();
        List<HeldSegment> run = new ArrayList<>();
        HeldSegment inProgress = null;
        long expected = -1;
        long dropped = evictedDiscontinuities;
        boolean nextKnown = true;
        boolean stopped = false;
        for (int i = 0; i < segments.size(); i++) {
            HeldSegment s = segments.get(i);
            boolean playable = s.isComplete() && initReady(s.initSequence(), bySequence);
            boolean jumped = expected >= 0 && s.mediaSequence() != expected;
            if (!playable) {
                long lateSince = s.isComplete() ? s.firstIngestMillis() : s.lateSince(i + 1 < segments.size() ? segments.get(i + 1) : null);
                if (lateSince == Long.MAX_VALUE || nowMillis - lateSince < staleMillis) {
                    // Still in flight: it ends the list for now. Sent as parts and next in line, its complete parts are listed.
                    if (s.parted() && !run.isEmpty() && !jumped) {
                        inProgress = s;
                    } else {
                        nextKnown = false;
                    }
                    stopped = true;
                    break;
                }
                dropped += countDiscontinuities(run) + (s.discontinuity() ? 1 : 0);
                run.clear();
                expected = s.mediaSequence() + 1;
                continue;
            }
            if (jumped) {
                dropped += countDiscontinuities(run);
                run.clear();
            }
            run.add(s);
            expected = s.mediaSequence() + 1;
        }
        int parts = inProgress == null ? 0 : listableParts(inProgress, bySequence);
        // An end behind a segment still in flight waits for it: the playlist ends once everything before the end is listed.
        return new RenditionListing(run, inProgress, parts, dropped, rendition.ended() && !stopped, nextKnown);
    }

    /** The segment in progress's leading complete parts, none while its init is not here. */
    private static int listableParts(HeldSegment s, Map<Long, WindowEntry> bySequence) {
        return initReady(s.initSequence(), bySequence) ? s.leadingCompleteParts() : 0;
    }

    private static boolean initReady(long initSequence, Map<Long, WindowEntry> bySequence) {
        if (initSequence == 0) {
            return true;
        }
        WindowEntry init = bySequence.get(initSequence);
        return init != null && init.isComplete();
    }

    private static long countDiscontinuities(List<HeldSegment> run) {
        return run.stream().filter(HeldSegment::discontinuity).count();
    }

    /** Complete segments listed, in order; empty when nothing is playable yet. */
    List<HeldSegment> run() {
        return run;
    }

    boolean isEmpty() {
        return run.isEmpty();
    }

    /** The segment whose parts are listed after the run, or null. */
    HeldSegment inProgress() {
        return inProgress;
    }

    int inProgressParts() {
        return inProgressParts;
    }

    long discontinuitiesDropped() {
        return discontinuitiesDropped;
    }

    boolean ended() {
        return ended;
    }

    long lastMediaSequence() {
        return run.get(run.size() - 1).mediaSequence();
    }

    /** Whether the rendition is listed with parts: its newest listed segment or the one in progress was sent as parts. */
    boolean listsParts() {
        return inProgress != null || !run.isEmpty() && run.get(run.size() - 1).parted();
    }

    /** The newest part listed: in the segment in progress, else the last part of the newest segment; null without parts. */
    PartRef newestPart() {
        if (inProgress != null && inProgressParts > 0) {
            return new PartRef(inProgress.mediaSequence(), inProgressParts - 1);
        }
        HeldSegment last = run.isEmpty() ? null : run.get(run.size() - 1);
        if (last == null || !last.parted()) {
            return null;
        }
        return new PartRef(last.mediaSequence(), last.partCount() - 1);
    }

    /**
     * The part a player should ask for next (EXT-X-PRELOAD-HINT): the first part of the segment in progress not listed,
     * or part 0 of the segment after the newest; null after the end, or while something else than the segment in
     * progress holds the list back (its next part is not known).
     */
    PartRef hint() {
        if (ended || !listsParts() || !nextKnown) {
            return null;
        }
        if (inProgress != null) {
            return new PartRef(inProgress.mediaSequence(), inProgressParts);
        }
        return new PartRef(lastMediaSequence() + 1, 0);
    }
}
