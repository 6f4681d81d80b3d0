package io.stripecast.relay.playback;

import io.stripecast.relay.push.ShardValidator;
import io.stripecast.relay.window.WindowEntry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A window's entries sorted by rendition: each rendition's media segments (whole, or sent as parts) in the order their
 * first entry arrived, and whether the publisher's end follows them. Transport sequences are shared by every
 * rendition, so one pass over the window in transport order serves all of them.
 */
final class RenditionEntries {
    /** One rendition's segments; {@code ended}: an end-of-stream marker follows its last media entry. */
    record Rendition(int rendition, List<HeldSegment> segments, boolean ended, boolean carriesParts) {
        /** The segment with this media sequence, or null. */
        HeldSegment segment(long mediaSequence) {
            for (HeldSegment s : segments) {
                if (s.mediaSequence() == mediaSequence) {
                    return s;
                }
            }
            return null;
        }
    }

    private final Rendition[] renditions;
    private final long partTargetMicros;

    private RenditionEntries(Rendition[] renditions, long partTargetMicros) {
        this.renditions = renditions;
        this.partTargetMicros = partTargetMicros;
    }

    static RenditionEntries of(List<WindowEntry> entries) {
        int n = ShardValidator.MAX_RENDITIONS;
        List<List<HeldSegment>> segments = new ArrayList<>(n);
        List<Map<Long, HeldSegment>> bySequence = new ArrayList<>(n);
        for (int r = 0; r < n; r++) {
            segments.add(null);
            bySequence.add(null);
        }
        boolean[] ended = new boolean[n];
        boolean[] parts = new boolean[n];
        boolean endComplete = false;
        long partTarget = 0;
        for (WindowEntry e : entries) {
            if (e.isEnd()) {
                // Entries are in transport order: an end with no media after it ends what is listed, in every rendition.
                endComplete = e.isComplete();
                for (int r = 0; r < n; r++) {
                    ended[r] = endComplete;
                }
                continue;
            }
            boolean media = HeldSegment.isPiece(e);
            int r = e.rendition();
            if (!media || r >= n) {
                continue;
            }
            // Media after an end: the stream was published again, the end is history.
            ended[r] = false;
            if (segments.get(r) == null) {
                segments.set(r, new ArrayList<>());
                bySequence.set(r, new HashMap<>());
            }
            long msn = e.meta().getMediaSequence();
            HeldSegment s = bySequence.get(r).get(msn);
            if (s == null) {
                s = new HeldSegment(r, msn);
                bySequence.get(r).put(msn, s);
                segments.get(r).add(s);
            }
            s.add(e);
            if (e.isPart()) {
                parts[r] = true;
                partTarget = Math.max(partTarget, e.meta().getDurationMicros());
            } else if (e.isPartsEnd()) {
                parts[r] = true;
            }
        }
        Rendition[] out = new Rendition[n];
        for (int r = 0; r < n; r++) {
            out[r] = segments.get(r) == null ? new Rendition(r, List.of(), endComplete, false)
                    : new Rendition(r, segments.get(r), ended[r], parts[r]);
        }
        return new RenditionEntries(out, partTarget);
    }

    Rendition rendition(int r) {
        return renditions[r];
    }

    int count() {
        return renditions.length;
    }

    /**
     * The longest part any rendition holds: one Part Target Duration for every rendition, as RFC 8216bis 6.2.4 wants the
     * same EXT-X-SERVER-CONTROL (whose PART-HOLD-BACK follows from it) in every Media Playlist of a Multivariant Playlist.
     */
    long partTargetMicros() {
        return partTargetMicros;
    }

    /** The longest segment of any rendition but {@code except}: every rendition's playlist gets the same target duration. */
    long longestSegmentMicrosExcept(int except) {
        long longest = 0;
        for (Rendition r : renditions) {
            if (r.rendition() == except) {
                continue;
            }
            for (HeldSegment s : r.segments()) {
                longest = Math.max(longest, s.durationMicros());
            }
        }
        return longest;
    }
}
