package io.stripecast.relay.playback;

import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.relay.playback.MediaNames.Media;
import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowEntry;

import java.util.List;

/**
 * The entries a served name stands for in a window, served wrapped and never copied ({@link EntryBody}: a complete
 * entry's array never changes while it is held, and copying megabytes per request is what the data path avoids): a
 * whole segment; a segment sent as parts, as its parts' arrays in order behind one composite buffer; a part; an init
 * segment.
 */
final class MediaFiles {
    private MediaFiles() {
    }

    /**
     * The complete media segment the name stands for, whole or sent as parts, or null when not here (yet, or any
     * more). Takes only that segment's entries from the window, in one pass that copies nothing else: a large
     * low-latency window holds thousands of parts.
     */
    static HeldSegment complete(SegmentWindow window, Media media) {
        int rendition = media.rendition();
        long mediaSequence = media.mediaSequence();
        List<WindowEntry> own = window.matching(e -> HeldSegment.isPiece(e) && e.rendition() == rendition
                && e.meta().getMediaSequence() == mediaSequence);
        if (own.isEmpty()) {
            return null;
        }
        // Added in transport order, as RenditionEntries adds them when it sorts the whole window.
        HeldSegment s = new HeldSegment(rendition, mediaSequence);
        own.forEach(s::add);
        return !s.isComplete() || s.fmp4() != media.fmp4() ? null : s;
    }

    /** {@code s}'s bytes, whole or joined from its parts, entered until written; null when they left the window. */
    static EntryBody body(HeldSegment s) {
        return EntryBody.of(s.parted() ? s.parts(s.partCount()) : List.of(s.whole()));
    }

    /** A complete part, or null; looked for from the live edge back, where viewers ask. */
    static WindowEntry part(SegmentWindow window, Media media) {
        return window.newest(e -> e.isPart() && e.isComplete() && e.rendition() == media.rendition()
                && e.meta().getMediaSequence() == media.mediaSequence() && e.meta().getPartIndex() == media.part());
    }

    /** A complete init segment by transport sequence (unique in the stream, whatever its rendition), or null. */
    static WindowEntry init(SegmentWindow window, long sequence) {
        WindowEntry e = window.entry(sequence);
        return e != null && e.meta().getKind() == SegmentKind.SEGMENT_KIND_FMP4_INIT && e.isComplete() ? e : null;
    }

    /**
     * The highest bit rate of rendition 0's complete segments, bits per second, rounded up (a one-variant master's
     * BANDWIDTH, RFC 8216bis 4.4.6.2: the peak segment bit rate); 0 when none is held.
     */
    static long peakBitRate(List<WindowEntry> entries) {
        long peak = 0;
        for (HeldSegment s : RenditionEntries.of(entries).rendition(0).segments()) {
            if (!s.isComplete() || s.durationMicros() <= 0) {
                continue;
            }
            long bytes = 0;
            if (s.parted()) {
                for (int i = 0; i < s.partCount(); i++) {
                    bytes += s.part(i).meta().getLength();
                }
            } else {
                bytes = s.whole().meta().getLength();
            }
            peak = Math.max(peak, (bytes * 8 * 1_000_000 + s.durationMicros() - 1) / s.durationMicros());
        }
        return peak;
    }
}
