package io.stripecast.relay.playback;

import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.relay.playback.PlaylistRenderer.Parts;
import io.stripecast.relay.playback.PlaylistRenderer.Rendered;
import io.stripecast.relay.window.WindowEntry;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The text of a low-latency media playlist (RFC 8216bis: EXT-X-PART, EXT-X-PART-INF, EXT-X-PRELOAD-HINT,
 * EXT-X-SERVER-CONTROL, EXT-X-RENDITION-REPORT) for a rendition sent as parts: whole segments as any playlist lists
 * them, the parts of the segments near the live edge before each one's EXTINF, the parts of the segment in progress,
 * and a hint for the next part.
 */
final class PartPlaylistFormat {
    /** Parts are listed for the segments that start at most this many target durations before the playlist's end (6.2.2). */
    private static final int PART_WINDOW_TARGET_DURATIONS = 3;
    /** PART-HOLD-BACK in part targets: RFC 8216bis 4.4.3.8 asks for at least 2, recommends at least 3. */
    private static final int PART_HOLD_BACK_PART_TARGETS = 3;
    private static final DateTimeFormatter DATE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    /** Another rendition's newest part, for EXT-X-RENDITION-REPORT (a player switching to it asks for the part after). */
    record Report(int rendition, long lastMediaSequence, int lastPart) {
    }

    private PartPlaylistFormat() {
    }

    static Rendered format(RenditionListing listing, int rendition, long discontinuitySequence, long targetDuration,
                           long partTargetMicros, List<Report> reports) {
        List<HeldSegment> run = listing.run();
        HeldSegment inProgress = listing.inProgress();
        int inProgressParts = listing.inProgressParts();
        boolean[] withParts = partWindow(listing, targetDuration);
        StringBuilder out = new StringBuilder(512 + run.size() * 64 + 64 * 8 * PART_WINDOW_TARGET_DURATIONS);
        out.append("#EXTM3U\n");
        // EXT-X-MAP needs version 6; the LL-HLS tags need no more (only EXT-X-SKIP, unused here, needs 9). 7 as every
        // fMP4 playlist of this relay.
        out.append("#EXT-X-VERSION:7\n");
        out.append("#EXT-X-TARGETDURATION:").append(targetDuration).append('\n');
        // Always offered, mesh or not: a player in low-latency mode learns of new parts by blocking reloads, and
        // PART-HOLD-BACK is required with EXT-X-PART-INF. Pages of part streams turn their mesh off (page.html).
        out.append("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=");
        PlaylistRenderer.appendSeconds(out, PART_HOLD_BACK_PART_TARGETS * partTargetMicros);
        out.append('\n');
        out.append("#EXT-X-PART-INF:PART-TARGET=");
        PlaylistRenderer.appendSeconds(out, partTargetMicros);
        out.append('\n');
        out.append("#EXT-X-MEDIA-SEQUENCE:").append(run.get(0).mediaSequence()).append('\n');
        if (discontinuitySequence > 0) {
            out.append("#EXT-X-DISCONTINUITY-SEQUENCE:").append(discontinuitySequence).append('\n');
        }
        out.append("#EXT-X-INDEPENDENT-SEGMENTS\n");
        long[] currentInit = {0};
        for (int i = 0; i < run.size(); i++) {
            HeldSegment s = run.get(i);
            segmentTags(out, s, i == 0, currentInit);
            if (withParts[i] && s.parted()) {
                appendParts(out, s, s.partCount());
            }
            out.append("#EXTINF:");
            PlaylistRenderer.appendSeconds(out, s.durationMicros());
            out.append(",\n");
            out.append(MediaNames.segment(rendition, s.mediaSequence(), s.fmp4())).append('\n');
        }
        if (inProgress != null && inProgressParts > 0) {
            segmentTags(out, inProgress, false, currentInit);
            appendParts(out, inProgress, inProgressParts);
        }
        RenditionListing.PartRef hint = listing.hint();
        if (hint != null) {
            // The tags of a segment not begun yet (a discontinuity, a new init) may still precede this part (4.4.5.3).
            out.append("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"").append(MediaNames.part(rendition, hint.mediaSequence(), hint.part()))
                    .append("\"\n");
        }
        if (listing.ended()) {
            out.append("#EXT-X-ENDLIST\n");
        } else {
            for (Report r : reports) {
                out.append("#EXT-X-RENDITION-REPORT:URI=\"").append(MediaNames.playlist(r.rendition())).append("\",LAST-MSN=")
                        .append(r.lastMediaSequence()).append(",LAST-PART=").append(r.lastPart()).append('\n');
            }
        }
        RenditionListing.PartRef newest = listing.newestPart();
        Parts parts = new Parts(newest == null ? listing.lastMediaSequence() : newest.mediaSequence(), newest == null ? -1 : newest.part(),
                partTargetMicros, hint == null ? -1 : hint.mediaSequence(), hint == null ? -1 : hint.part());
        return new Rendered(out.toString(), listing.lastMediaSequence(), targetDuration, listing.ended(), parts);
    }

    /**
     * Which listed segments get their parts listed: those that start at most three target durations before the
     * playlist's end (parts further back SHOULD be removed, RFC 8216bis 6.2.2; they stay downloadable while in the window).
     */
    private static boolean[] partWindow(RenditionListing listing, long targetDuration) {
        List<HeldSegment> run = listing.run();
        boolean[] with = new boolean[run.size()];
        long reach = PART_WINDOW_TARGET_DURATIONS * targetDuration * 1_000_000;
        long fromEnd = 0;
        HeldSegment inProgress = listing.inProgress();
        for (int i = 0; i < listing.inProgressParts(); i++) {
            fromEnd += inProgress.part(i).meta().getDurationMicros();
        }
        for (int i = run.size() - 1; i >= 0; i--) {
            fromEnd += run.get(i).durationMicros();
            if (fromEnd > reach) {
                break;
            }
            with[i] = true;
        }
        return with;
    }

    /**
     * The tags that apply to a segment and so to its first part (4.4.4.9: they precede its first EXT-X-PART): a
     * discontinuity, its date, a new init.
     *
     * <p>Every segment carries its own date: the ingest dates each segment as it starts, and its dates need not add up
     * exactly to the durations in between (the ingest's clock learns, an encoder's timeline drifts). With a date on the
     * first segment only, a player dated the newest parts by the oldest segment's date plus the durations since, up to
     * ~0.5 s off over a 60 s window in the lab, and "behind live" read that much better than it was.
     */
    private static void segmentTags(StringBuilder out, HeldSegment s, boolean first, long[] currentInit) {
        if (s.discontinuity() && !first) {
            out.append("#EXT-X-DISCONTINUITY\n");
        }
        out.append("#EXT-X-PROGRAM-DATE-TIME:").append(DATE_TIME.format(Instant.ofEpochMilli(startMillis(s)))).append('\n');
        long init = s.initSequence();
        if (init != 0 && init != currentInit[0]) {
            out.append("#EXT-X-MAP:URI=\"").append(MediaNames.init(init)).append("\"\n");
            currentInit[0] = init;
        }
    }

    /**
     * When the segment's first sample was at the ingest: the date the ingest gave it by the encoder's media timeline
     * (ingest/MediaClock), else, for parts without one, the time its first part was whole there less that part's
     * duration. Every rendition's part 0 of one moment gives the same time to within the ingest's jitter, so their
     * dates agree (RFC 8216bis 6.2.4).
     */
    private static long startMillis(HeldSegment s) {
        SegmentMeta head = s.head();
        if (head.getProgramDateTimeMillis() > 0) {
            return head.getProgramDateTimeMillis();
        }
        return head.getIngestTimeMillis() - head.getDurationMicros() / 1000;
    }

    private static void appendParts(StringBuilder out, HeldSegment s, int count) {
        for (int i = 0; i < count; i++) {
            WindowEntry p = s.part(i);
            SegmentMeta m = p.meta();
            out.append("#EXT-X-PART:DURATION=");
            PlaylistRenderer.appendSeconds(out, m.getDurationMicros());
            out.append(",URI=\"").append(MediaNames.part(s.rendition(), s.mediaSequence(), i)).append('"');
            if (m.getIndependent()) {
                out.append(",INDEPENDENT=YES");
            }
            out.append('\n');
        }
    }
}
