package io.stripecast.relay.playback;

import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.relay.push.ShardValidator;
import io.stripecast.relay.window.WindowEntry;

/**
 * One media segment of one rendition as a window holds it: either a whole segment (one entry), or a segment sent as
 * parts (its part entries by index and its {@code SEGMENT_KIND_PARTS_END}). A segment sent as parts is complete when
 * its end and every part the end counts are; until then it is the segment in progress, whose leading complete parts a
 * low-latency playlist lists.
 */
final class HeldSegment {
    private final int rendition;
    private final long mediaSequence;
    private WindowEntry whole;
    private WindowEntry[] parts;
    private WindowEntry end;
    private int highestPart = -1;
    private long firstIngestMillis = Long.MAX_VALUE;

    HeldSegment(int rendition, long mediaSequence) {
        this.rendition = rendition;
        this.mediaSequence = mediaSequence;
    }

    /** Whether {@code e} is a piece of some media segment: the whole segment, one of its parts, or its parts' end. */
    static boolean isPiece(WindowEntry e) {
        return e.isMedia() || e.isPart() || e.isPartsEnd();
    }

    /** Adds a whole segment, a part or a parts end of this segment; a second entry for the same place is ignored. */
    void add(WindowEntry e) {
        firstIngestMillis = Math.min(firstIngestMillis, e.meta().getIngestTimeMillis());
        if (e.isMedia()) {
            if (whole == null) {
                whole = e;
            }
        } else if (e.isPartsEnd()) {
            if (end == null) {
                end = e;
            }
        } else if (e.isPart()) {
            int index = e.meta().getPartIndex();
            if (index >= ShardValidator.MAX_PARTS_PER_SEGMENT) {
                return;
            }
            if (parts == null) {
                parts = new WindowEntry[ShardValidator.MAX_PARTS_PER_SEGMENT];
            }
            if (parts[index] == null) {
                parts[index] = e;
                highestPart = Math.max(highestPart, index);
            }
        }
    }

    int rendition() {
        return rendition;
    }

    long mediaSequence() {
        return mediaSequence;
    }

    /** Sent as parts (a low-latency segment), not as one entry. */
    boolean parted() {
        return whole == null;
    }

    /** The whole segment's entry, or null for a segment sent as parts. */
    WindowEntry whole() {
        return whole;
    }

    /** Part {@code index}'s entry, or null when none is held. */
    WindowEntry part(int index) {
        return parts == null || index < 0 || index >= parts.length ? null : parts[index];
    }

    /** The number of parts the segment's end declares, -1 while its end is not complete here. */
    int partCount() {
        return end != null && end.isComplete() ? end.meta().getPartIndex() : -1;
    }

    /** How many parts from part 0 on are complete here with none missing between (at most the declared count). */
    int leadingCompleteParts() {
        int limit = partCount() >= 0 ? partCount() : ShardValidator.MAX_PARTS_PER_SEGMENT;
        int n = 0;
        while (n < limit && part(n) != null && part(n).isComplete()) {
            n++;
        }
        return n;
    }

    /** Every byte of the segment is here: the whole entry, or the end and every part it counts. */
    boolean isComplete() {
        if (whole != null) {
            return whole.isComplete();
        }
        int count = partCount();
        return count > 0 && leadingCompleteParts() == count;
    }

    /** The metadata the segment's tags come from: the whole entry's, or part 0's (null while part 0 is missing). */
    SegmentMeta head() {
        if (whole != null) {
            return whole.meta();
        }
        WindowEntry first = part(0);
        return first == null ? null : first.meta();
    }

    /** The segment's duration: the whole entry's, or the one its end declares (0 while unknown). */
    long durationMicros() {
        if (whole != null) {
            return whole.meta().getDurationMicros();
        }
        return end == null ? 0 : end.meta().getDurationMicros();
    }

    boolean discontinuity() {
        SegmentMeta head = head();
        return head != null && head.getDiscontinuity();
    }

    /** The init segment it needs, from whichever of its entries is here (they all name the same one). */
    long initSequence() {
        if (whole != null) {
            return whole.meta().getInitSequence();
        }
        if (end != null) {
            return end.meta().getInitSequence();
        }
        for (int i = 0; i <= highestPart; i++) {
            if (parts[i] != null) {
                return parts[i].meta().getInitSequence();
            }
        }
        return 0;
    }

    boolean fmp4() {
        return whole == null || whole.meta().getKind() == SegmentKind.SEGMENT_KIND_FMP4_MEDIA;
    }

    long firstIngestMillis() {
        return firstIngestMillis;
    }

    /**
     * The ingest time from which this incomplete segment counts as given up on, {@link Long#MAX_VALUE} while nothing
     * says a piece of it is late: an incomplete entry of it is late from its own ingest time; a part never seen while a
     * later part (or the end) is here, from the later one's (the ingest sent the missing one first); an end never seen
     * while the next segment has begun, from the next segment's first ingest time.
     */
    long lateSince(HeldSegment next) {
        if (whole != null) {
            return whole.isComplete() ? Long.MAX_VALUE : whole.meta().getIngestTimeMillis();
        }
        long since = Long.MAX_VALUE;
        int count = partCount();
        // Parts past the declared count are not the segment's: only the counted ones can be missing.
        int known = count >= 0 ? count - 1 : highestPart;
        long laterIngest = end == null ? Long.MAX_VALUE : end.meta().getIngestTimeMillis();
        if (end != null && !end.isComplete()) {
            since = laterIngest;
        }
        for (int i = known; i >= 0; i--) {
            WindowEntry p = part(i);
            if (p == null) {
                since = Math.min(since, laterIngest);
            } else {
                long ingest = p.meta().getIngestTimeMillis();
                if (!p.isComplete()) {
                    since = Math.min(since, ingest);
                }
                laterIngest = Math.min(laterIngest, ingest);
            }
        }
        if (end == null && next != null) {
            since = Math.min(since, next.firstIngestMillis());
        }
        return since;
    }

    /** Parts {@code 0..count-1}, in order (each complete: see {@link #leadingCompleteParts}). */
    java.util.List<WindowEntry> parts(int count) {
        return java.util.Arrays.asList(parts).subList(0, count);
    }
}
