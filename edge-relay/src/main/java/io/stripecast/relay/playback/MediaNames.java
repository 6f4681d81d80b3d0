package io.stripecast.relay.playback;

import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.relay.push.ShardValidator;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names a relay serves under {@code /live/{stream}/}, both ways. Rendition 0 keeps the names of a
 * single-rendition stream ({@code index.m3u8}, {@code <msn>.ts|m4s}) so that nothing changes for it; rendition r >= 1
 * is {@code index-<r>.m3u8} and {@code r<r>-<msn>.m4s}; a part is {@code <msn>.<part>.m4s} (rendition 0) or
 * {@code r<r>-<msn>.<part>.m4s}. The ingest's master playlist uses the same names.
 *
 * <p>Parsing accepts a wider shape than is ever served (up to three digits of rendition or part) so that a name out
 * of the protocol's bounds is told apart from a name that is simply not ours: the first is a clear 400, the second
 * a 404.
 */
public final class MediaNames {
    public static final String MASTER = "master.m3u8";
    private static final Pattern PLAYLIST = Pattern.compile("index(?:-(\\d{1,3}))?\\.m3u8");
    private static final Pattern MEDIA = Pattern.compile("(?:r(\\d{1,3})-)?(\\d{1,18})(?:\\.(\\d{1,3}))?\\.(ts|m4s)");

    private MediaNames() {
    }

    /** A media name taken apart; {@code part} is -1 for a whole segment. */
    public record Media(int rendition, long mediaSequence, int part, boolean fmp4) {
        public boolean isPart() {
            return part >= 0;
        }
    }

    /**
     * What a file name asks for: a media name, or why it can never exist ({@code reason}, a metric label:
     * {@code bad_rendition} or {@code bad_part}, and {@code detail} for the viewer).
     */
    public record Parsed(Media media, String reason, String detail) {
    }

    public static String playlist(int rendition) {
        return rendition == 0 ? "index.m3u8" : "index-" + rendition + ".m3u8";
    }

    /** The URI of a whole media segment (for a segment sent as parts: its parts joined). */
    public static String segment(SegmentMeta meta) {
        boolean fmp4 = meta.getKind() != SegmentKind.SEGMENT_KIND_MPEG_TS;
        return segment(meta.getRendition(), meta.getMediaSequence(), fmp4);
    }

    public static String segment(int rendition, long mediaSequence, boolean fmp4) {
        return prefix(rendition) + mediaSequence + (fmp4 ? ".m4s" : ".ts");
    }

    public static String part(int rendition, long mediaSequence, int part) {
        return prefix(rendition) + mediaSequence + "." + part + ".m4s";
    }

    public static String init(long initSequence) {
        return "init-" + initSequence + ".mp4";
    }

    private static String prefix(int rendition) {
        return rendition == 0 ? "" : "r" + rendition + "-";
    }

    /**
     * The rendition a playlist name asks for: -1 when it is not a media playlist name, -2 when it names a rendition out
     * of bounds ({@code index-0.m3u8} is not a name either: rendition 0 is {@code index.m3u8}).
     */
    public static int playlistRendition(String file) {
        Matcher m = PLAYLIST.matcher(file);
        if (!m.matches()) {
            return -1;
        }
        if (m.group(1) == null) {
            return 0;
        }
        int rendition = Integer.parseInt(m.group(1));
        if (rendition >= ShardValidator.MAX_RENDITIONS) {
            return -2;
        }
        return playlist(rendition).equals(file) ? rendition : -1;
    }

    /**
     * A media segment or part name taken apart, null when the file is not one; {@link Parsed#reason} is set (and
     * the media null) for a rendition or part index no stream can have. Only canonical names parse: {@code r0-5.m4s},
     * {@code 05.m4s} or a part {@code .ts} name is not one, as no playlist lists them.
     */
    public static Parsed parse(String file) {
        Matcher m = MEDIA.matcher(file);
        if (!m.matches()) {
            return null;
        }
        int rendition = m.group(1) == null ? 0 : Integer.parseInt(m.group(1));
        int part = m.group(3) == null ? -1 : Integer.parseInt(m.group(3));
        if (rendition >= ShardValidator.MAX_RENDITIONS) {
            return new Parsed(null, "bad_rendition", "rendition " + rendition + " is out of range: a stream has renditions 0.."
                    + (ShardValidator.MAX_RENDITIONS - 1));
        }
        if (part >= ShardValidator.MAX_PARTS_PER_SEGMENT) {
            return new Parsed(null, "bad_part", "part " + part + " is out of range: a segment has at most "
                    + ShardValidator.MAX_PARTS_PER_SEGMENT + " parts");
        }
        long mediaSequence = Long.parseLong(m.group(2));
        boolean fmp4 = m.group(4).equals("m4s");
        String canonical = part >= 0 ? part(rendition, mediaSequence, part) : segment(rendition, mediaSequence, fmp4);
        if (!canonical.equals(file)) {
            return null;
        }
        return new Parsed(new Media(rendition, mediaSequence, part, fmp4), null, null);
    }
}
