package io.stripecast.relay.playback;

import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.relay.window.WindowEntry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a live HLS media playlist from the segment metadata in a window (playlists are never
 * forwarded as files). Lists complete media segments in media-sequence order; an incomplete one
 * still in flight ends the list for now, one given up on (stale) starts a new run after a gap.
 *
 * <p>The publisher's end (an end-of-stream marker after the last segment) ends the playlist with
 * {@code #EXT-X-ENDLIST}: players stop reloading, and the window is served as it is until it expires. When
 * the stream is published again, its next segment (flagged as a discontinuity by the ingest) follows the
 * ended run in the same playlist after {@code #EXT-X-DISCONTINUITY}, and ENDLIST is gone.
 */
public final class PlaylistRenderer {
    /** A playlist as served, with what a held request needs to know of it. */
    /** {@code ended}: the playlist ends with {@code #EXT-X-ENDLIST}; nothing more will be listed in it. */
    public record Rendered(String text, long lastMediaSequence, long targetDurationSeconds, boolean ended) {
    }

    private final long staleMillis;

    /** @param staleMillis how long an incomplete segment may hold the playlist back before it is skipped */
    public PlaylistRenderer(long staleMillis) {
        this.staleMillis = staleMillis;
    }

    public static String segmentName(SegmentMeta meta) {
        return meta.getMediaSequence() + (meta.getKind() == SegmentKind.SEGMENT_KIND_FMP4_MEDIA ? ".m4s" : ".ts");
    }

    public static String initName(long initSequence) {
        return "init-" + initSequence + ".mp4";
    }

    /**
     * Returns null when nothing is playable yet. {@code offerBlockingReload}: advertise LL-HLS blocking reload
     * (the relay honours {@code _HLS_msn} either way).
     */
    public Rendered render(List<WindowEntry> entries, long evictedDiscontinuities, long nowMillis, boolean offerBlockingReload) {
        Map<Long, WindowEntry> bySequence = new HashMap<>();
        for (WindowEntry e : entries) {
            bySequence.put(e.sequence(), e);
        }
        List<WindowEntry> run = new ArrayList<>();
        long expectedMedia = -1;
        long discontinuitiesDropped = evictedDiscontinuities;
        boolean ended = false;
        for (WindowEntry e : entries) {
            if (e.isEnd()) {
                // Entries are in transport order: an end with no media after it ends what is listed.
                ended = e.isComplete();
                continue;
            }
            if (!e.isMedia()) {
                continue;
            }
            // Media after an end: the stream was published again, the end is history.
            ended = false;
            SegmentMeta m = e.meta();
            boolean playable = e.isComplete() && initReady(m, bySequence);
            boolean jumped = expectedMedia >= 0 && m.getMediaSequence() != expectedMedia;
            if (!playable) {
                if (nowMillis - m.getIngestTimeMillis() < staleMillis) {
                    break;
                }
                discontinuitiesDropped += countDiscontinuities(run) + (m.getDiscontinuity() ? 1 : 0);
                run.clear();
                expectedMedia = m.getMediaSequence() + 1;
                continue;
            }
            if (jumped) {
                discontinuitiesDropped += countDiscontinuities(run);
                run.clear();
            }
            run.add(e);
            expectedMedia = m.getMediaSequence() + 1;
        }
        if (run.isEmpty()) {
            return null;
        }
        // A discontinuity on the first listed segment is counted, not tagged (RFC 8216 6.2.2).
        return format(run, discontinuitiesDropped + (run.get(0).meta().getDiscontinuity() ? 1 : 0), offerBlockingReload, ended);
    }

    private static Rendered format(List<WindowEntry> run, long discontinuitySequence, boolean offerBlockingReload, boolean ended) {
        boolean fmp4 = run.stream().anyMatch(e -> e.meta().getKind() == SegmentKind.SEGMENT_KIND_FMP4_MEDIA);
        long maxMicros = run.stream().mapToLong(e -> e.meta().getDurationMicros()).max().orElse(1_000_000);
        long targetDuration = (maxMicros + 999_999) / 1_000_000;
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
        return new Rendered(out.toString(), run.get(run.size() - 1).meta().getMediaSequence(), targetDuration, ended);
    }

    /**
     * The playlist with {@code query} appended to every URI it lists: segment lines, and the {@code URI="..."} attribute
     * of any tag ({@code EXT-X-MAP}, and parts, preload hints or variant playlists should they be listed). A player
     * resolves a relative URI against the playlist's URL without its query, so a signed viewer's token would otherwise
     * stop at the playlist. {@code query} is a checked token ({@code exp=..&sig=..}): nothing in it needs quoting.
     */
    public static String withQuery(String text, String query) {
        StringBuilder out = new StringBuilder(text.length() + 64 * 16);
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            String line = text.substring(start, end);
            if (line.isEmpty()) {
                out.append(line);
            } else if (line.charAt(0) != '#') {
                out.append(line).append(line.indexOf('?') < 0 ? '?' : '&').append(query);
            } else {
                out.append(withQueryInUriAttribute(line, query));
            }
            if (end < text.length()) {
                out.append('\n');
            }
            start = end + 1;
        }
        return out.toString();
    }

    private static String withQueryInUriAttribute(String tag, String query) {
        int at = tag.indexOf("URI=\"");
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
    private static void appendSeconds(StringBuilder out, long micros) {
        String fraction = Long.toString(micros % 1_000_000);
        out.append(micros / 1_000_000).append('.');
        for (int i = fraction.length(); i < 6; i++) {
            out.append('0');
        }
        out.append(fraction);
    }

    private static boolean initReady(SegmentMeta m, Map<Long, WindowEntry> bySequence) {
        if (m.getInitSequence() == 0) {
            return true;
        }
        WindowEntry init = bySequence.get(m.getInitSequence());
        return init != null && init.isComplete();
    }

    private static long countDiscontinuities(List<WindowEntry> run) {
        return run.stream().filter(e -> e.meta().getDiscontinuity()).count();
    }
}
