package io.stripecast.relay.playback;

import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.relay.window.WindowEntry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a live HLS media playlist of one rendition from the segment metadata in a window (playlists are never
 * forwarded as files). Lists complete media segments in media-sequence order; an incomplete one
 * still in flight ends the list for now, one given up on (stale) starts a new run after a gap
 * ({@link RenditionListing}). A rendition sent as parts gets a low-latency playlist ({@link PartPlaylistFormat}).
 *
 * <p>The publisher's end (an end-of-stream marker after the last segment) ends the playlist with
 * {@code #EXT-X-ENDLIST}: players stop reloading, and the window is served as it is until it expires. When
 * the stream is published again, its next segment (flagged as a discontinuity by the ingest) follows the
 * ended run in the same playlist after {@code #EXT-X-DISCONTINUITY}, and ENDLIST is gone.
 */
public final class PlaylistRenderer {
    /**
     * A playlist as served, with what a held request needs to know of it. {@code ended}: the playlist ends with
     * {@code #EXT-X-ENDLIST}; nothing more will be listed in it. {@code parts}: null unless the rendition is sent as parts.
     */
    public record Rendered(String text, long lastMediaSequence, long targetDurationSeconds, boolean ended, Parts parts) {
        /**
         * Whether this playlist answers a blocking reload for segment {@code mediaSequence} ({@code part} < 0), or for
         * that part of it (RFC 8216bis 6.2.5.2: a part index past a segment's last is part 0 of the next segment, which
         * comparing positions gives without knowing how many parts the segment has). An ended playlist answers all.
         */
        public boolean lists(long mediaSequence, long part) {
            if (ended) {
                return true;
            }
            if (part < 0 || parts == null || parts.newestPart() < 0) {
                return mediaSequence <= lastMediaSequence;
            }
            return mediaSequence < parts.newestMediaSequence()
                    || mediaSequence == parts.newestMediaSequence() && part <= parts.newestPart();
        }
    }

    /**
     * A rendition sent as parts: its newest part listed ({@code newestPart} -1 when none is), the Part Target Duration,
     * and the part its preload hint names ({@code hintPart} -1 when there is none).
     */
    public record Parts(long newestMediaSequence, int newestPart, long partTargetMicros, long hintMediaSequence, int hintPart) {
        /**
         * RFC 8216bis 6.2.5.2's Advance Part Limit: how far past the newest part a request may ask, three target
         * durations' worth (3 / PART-TARGET parts when the part target is under a second, else 3).
         */
        public long advancePartLimit() {
            return partTargetMicros < 1_000_000 ? 3_000_000 / Math.max(1, partTargetMicros) : 3;
        }

        public boolean hasHint() {
            return hintPart >= 0;
        }
    }

    private final long staleMillis;

    /** @param staleMillis how long an incomplete segment (or part) may hold the playlist back before it is skipped */
    public PlaylistRenderer(long staleMillis) {
        this.staleMillis = staleMillis;
    }

    public static String segmentName(SegmentMeta meta) {
        return MediaNames.segment(meta);
    }

    public static String initName(long initSequence) {
        return MediaNames.init(initSequence);
    }

    /** Rendition 0's playlist (a stream without renditions has only that one); see {@link #render(List, int, long, long, boolean)}. */
    public Rendered render(List<WindowEntry> entries, long evictedDiscontinuities, long nowMillis, boolean offerBlockingReload) {
        return render(entries, 0, evictedDiscontinuities, nowMillis, offerBlockingReload);
    }

    /**
     * One rendition's media playlist from the window's entries, null when nothing of it is playable yet.
     * {@code offerBlockingReload}: advertise LL-HLS blocking reload (the relay honours {@code _HLS_msn} either way); a
     * rendition sent as parts always advertises it, as LL-HLS needs it.
     */
    public Rendered render(List<WindowEntry> entries, int rendition, long evictedDiscontinuities, long nowMillis,
                           boolean offerBlockingReload) {
        RenditionEntries all = RenditionEntries.of(entries);
        Map<Long, WindowEntry> bySequence = new HashMap<>();
        for (WindowEntry e : entries) {
            bySequence.put(e.sequence(), e);
        }
        RenditionEntries.Rendition own = all.rendition(rendition);
        RenditionListing listing = RenditionListing.of(own, bySequence, evictedDiscontinuities, nowMillis, staleMillis);
        if (listing.isEmpty()) {
            return null;
        }
        List<HeldSegment> run = listing.run();
        // A discontinuity on the first listed segment is counted, not tagged (RFC 8216 6.2.2).
        long discontinuitySequence = listing.discontinuitiesDropped() + (run.get(0).discontinuity() ? 1 : 0);
        long longest = Math.max(all.longestSegmentMicrosExcept(rendition),
                run.stream().mapToLong(HeldSegment::durationMicros).max().orElse(1_000_000));
        long targetDuration = (longest + 999_999) / 1_000_000;
        if (!own.carriesParts()) {
            List<WindowEntry> wholes = run.stream().map(HeldSegment::whole).toList();
            return format(wholes, discontinuitySequence, targetDuration, offerBlockingReload, listing.ended());
        }
        List<PartPlaylistFormat.Report> reports = new ArrayList<>();
        for (int r = 0; r < all.count(); r++) {
            RenditionEntries.Rendition other = all.rendition(r);
            if (r == rendition || !other.carriesParts()) {
                continue;
            }
            // The others' discontinuity counts do not matter here: a report names a position only.
            RenditionListing theirs = RenditionListing.of(other, bySequence, 0, nowMillis, staleMillis);
            RenditionListing.PartRef newest = theirs.isEmpty() ? null : theirs.newestPart();
            if (newest != null) {
                reports.add(new PartPlaylistFormat.Report(r, newest.mediaSequence(), newest.part()));
            }
        }
        return PartPlaylistFormat.format(listing, rendition, discontinuitySequence, targetDuration, all.partTargetMicros(), reports);
    }

    private static Rendered format(List<WindowEntry> run, long discontinuitySequence, long targetDuration, boolean offerBlockingReload,
                                   boolean ended) {
        boolean fmp4 = run.stream().anyMatch(e -> e.meta().getKind() == SegmentKind.SEGMENT_KIND_FMP4_MEDIA);
        StringBuilder out = new StringBuilder(256 + run.size() * 48);
        out.append("#EXTM3U\n");
        out.append("#EXT-X-VERSION:").append(fmp4 ? 7 : 3).append('\n');
        out.append("#EXT-X-TARGETDURATION:").append(targetDuration).append('\n');
        if (offerBlockingReload) {
            // Players that know LL-HLS ask for the next segment with _HLS_msn and are answered the moment it is here.
            out.append("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES\n");
        }
        out.append("#EXT-X-MEDIA-SEQUENCE:").append(run.get(0).meta().getMediaSequence()).append('\n');
        if (discontinuitySequence > 0) {
            out.append("#EXT-X-DISCONTINUITY-SEQUENCE:").append(discontinuitySequence).append('\n');
        }
        out.append("#EXT-X-INDEPENDENT-SEGMENTS\n");
        long currentInit = 0;
        boolean first = true;
        for (WindowEntry e : run) {
            SegmentMeta m = e.meta();
            if (m.getDiscontinuity() && !first) {
                out.append("#EXT-X-DISCONTINUITY\n");
            }
            if (m.getInitSequence() != 0 && m.getInitSequence() != currentInit) {
                out.append("#EXT-X-MAP:URI=\"").append(initName(m.getInitSequence())).append("\"\n");
                currentInit = m.getInitSequence();
            }
            out.append("#EXTINF:");
            appendSeconds(out, m.getDurationMicros());
            out.append(",\n");
            out.append(segmentName(m)).append('\n');
            first = false;
        }
        if (ended) {
            out.append("#EXT-X-ENDLIST\n");
        }
        return new Rendered(out.toString(), run.get(run.size() - 1).meta().getMediaSequence(), targetDuration, ended, null);
    }

    /**
     * The playlist with {@code query} appended to every URI it lists: URI lines (segments, variant playlists), and the
     * {@code URI="..."} attribute of any tag ({@code EXT-X-MAP}, {@code EXT-X-PART}, {@code EXT-X-PRELOAD-HINT},
     * {@code EXT-X-RENDITION-REPORT}, a master's {@code EXT-X-MEDIA}). A player resolves a relative URI against the
     * playlist's URL without its query, so a signed viewer's token would otherwise stop at the playlist. {@code query} is
     * a checked token ({@code exp=..&sig=..}): nothing in it needs quoting. Lines may end in CRLF (a master playlist is
     * served as the ingest published it).
     */
    public static String withQuery(String text, String query) {
        StringBuilder out = new StringBuilder(text.length() + 64 * 16);
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            int lineEnd = end > start && text.charAt(end - 1) == '\r' ? end - 1 : end;
            String line = text.substring(start, lineEnd);
            if (line.isEmpty()) {
                out.append(line);
            } else if (line.charAt(0) != '#') {
                out.append(line).append(line.indexOf('?') < 0 ? '?' : '&').append(query);
            } else {
                out.append(withQueryInUriAttribute(line, query));
            }
            out.append(text, lineEnd, Math.min(end + 1, text.length()));
            start = end + 1;
        }
        return out.toString();
    }

    /** The tag with the query added to its URI attribute: the attribute named exactly URI, not one ending in it (X-ASSET-URI). */
    private static String withQueryInUriAttribute(String tag, String query) {
        int at = tag.indexOf("URI=\"");
        while (at > 0 && tag.charAt(at - 1) != ':' && tag.charAt(at - 1) != ',') {
            at = tag.indexOf("URI=\"", at + 1);
        }
        if (at < 0) {
            return tag;
        }
        int open = at + 5;
        int close = tag.indexOf('"', open);
        if (close < 0) {
            return tag;
        }
        String uri = tag.substring(open, close);
        return tag.substring(0, close) + (uri.indexOf('?') < 0 ? '?' : '&') + query + tag.substring(close);
    }

    /** Seconds with six decimals, exactly as {@code %.6f} prints them, without a formatter per line (durations are positive). */
    static void appendSeconds(StringBuilder out, long micros) {
        String fraction = Long.toString(micros % 1_000_000);
        out.append(micros / 1_000_000).append('.');
        for (int i = fraction.length(); i < 6; i++) {
            out.append('0');
        }
        out.append(fraction);
    }
}
