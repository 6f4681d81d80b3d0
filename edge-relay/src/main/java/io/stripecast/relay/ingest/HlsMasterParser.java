package io.stripecast.relay.ingest;

import io.stripecast.protocol.Names;
import io.stripecast.relay.push.ShardValidator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Parses an encoder's multivariant (master) playlist, as ffmpeg's HLS muxer writes it with {@code -var_stream_map} and
 * {@code -master_pl_name}, strictly: at most {@link ShardValidator#MAX_RENDITIONS} variants (a stream carries no
 * more renditions), bounded lines, each kept attribute checked against its grammar (they are written into the
 * master every edge serves), and for PUT ingest URIs that are plain file names beside the master. Alternative
 * renditions ({@code #EXT-X-MEDIA}, separate audio groups) are refused: the relay carries one media playlist per
 * rendition and would serve variants whose audio it never ingested.
 */
public final class HlsMasterParser {
    static final int MAX_LINE = 4096;
    private static final Pattern INTEGER = Pattern.compile("[0-9]{1,10}");
    private static final Pattern RESOLUTION = Pattern.compile("[0-9]{1,5}x[0-9]{1,5}");
    private static final Pattern CODECS = Pattern.compile("[A-Za-z0-9.,+_ -]{1,128}");
    private static final Pattern FRAME_RATE = Pattern.compile("[0-9]{1,4}(\\.[0-9]{1,6})?");

    private final boolean plainNamesOnly;

    /** @param plainNamesOnly true for PUT ingest; false for pull, where URIs are resolved against the master's URL */
    public HlsMasterParser(boolean plainNamesOnly) {
        this.plainNamesOnly = plainNamesOnly;
    }

    /** Whether a playlist body is a master (it names variants) rather than a media playlist. */
    public static boolean isMaster(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        return text.contains("#EXT-X-STREAM-INF") || text.contains("#EXT-X-MEDIA:");
    }

    public HlsMaster parse(byte[] body) throws PlaylistException {
        PlaylistLines lines = new PlaylistLines(body, MAX_LINE);
        List<HlsMaster.Variant> variants = new ArrayList<>();
        Map<String, String> pending = null;
        for (String line = lines.next(); line != null; line = lines.next()) {
            int n = lines.index();
            if (line.startsWith("#")) {
                if (line.startsWith("#EXT-X-STREAM-INF:")) {
                    pending = attributes(line.substring(18), n);
                } else if (line.startsWith("#EXT-X-MEDIA:")) {
                    throw new PlaylistException("line " + (n + 1) + ": alternative renditions (EXT-X-MEDIA) are not carried; "
                            + "mux audio into each variant (-var_stream_map \"v:0,a:0 v:1,a:1\")");
                } else if (line.startsWith("#EXTINF:")) {
                    throw new PlaylistException("line " + (n + 1) + ": a media playlist's EXTINF in a master playlist");
                }
                continue;
            }
            if (pending == null) {
                throw new PlaylistException("line " + (n + 1) + ": URI without #EXT-X-STREAM-INF");
            }
            if (variants.size() >= ShardValidator.MAX_RENDITIONS) {
                throw new PlaylistException("more than " + ShardValidator.MAX_RENDITIONS + " variants; a stream carries at most "
                        + ShardValidator.MAX_RENDITIONS + " renditions");
            }
            variants.add(variant(pending, checkUri(line, n), n));
            pending = null;
        }
        if (variants.isEmpty()) {
            throw new PlaylistException("a master playlist without any #EXT-X-STREAM-INF variant");
        }
        for (int i = 0; i < variants.size(); i++) {
            for (int j = 0; j < i; j++) {
                if (variants.get(i).uri().equals(variants.get(j).uri())) {
                    throw new PlaylistException("variant URI '" + abbreviate(variants.get(i).uri()) + "' listed twice");
                }
            }
        }
        return new HlsMaster(variants);
    }

    private static HlsMaster.Variant variant(Map<String, String> a, String uri, int n) throws PlaylistException {
        String bandwidth = a.get("BANDWIDTH");
        if (bandwidth == null) {
            throw new PlaylistException("line " + n + ": EXT-X-STREAM-INF without BANDWIDTH");
        }
        return new HlsMaster.Variant(uri,
                checked(bandwidth, INTEGER, "BANDWIDTH", n),
                checked(a.get("AVERAGE-BANDWIDTH"), INTEGER, "AVERAGE-BANDWIDTH", n),
                checked(a.get("RESOLUTION"), RESOLUTION, "RESOLUTION", n),
                checked(unquoted(a.get("CODECS"), "CODECS", n), CODECS, "CODECS", n),
                checked(a.get("FRAME-RATE"), FRAME_RATE, "FRAME-RATE", n));
    }

    private static String checked(String value, Pattern grammar, String name, int n) throws PlaylistException {
        if (value != null && !grammar.matcher(value).matches()) {
            throw new PlaylistException("line " + n + ": bad " + name + " '" + abbreviate(value) + "'");
        }
        return value;
    }

    private static String unquoted(String value, String name, int n) throws PlaylistException {
        if (value == null) {
            return null;
        }
        if (value.length() < 2 || !value.startsWith("\"") || !value.endsWith("\"")) {
            throw new PlaylistException("line " + n + ": " + name + " must be a quoted string");
        }
        return value.substring(1, value.length() - 1);
    }

    /** An attribute list (RFC 8216 4.2): NAME=value pairs, commas inside quoted strings belong to the value. */
    private static Map<String, String> attributes(String list, int n) throws PlaylistException {
        Map<String, String> out = new HashMap<>();
        int i = 0;
        while (i < list.length()) {
            int eq = list.indexOf('=', i);
            if (eq < 0) {
                throw new PlaylistException("line " + (n + 1) + ": bad attribute list");
            }
            String name = list.substring(i, eq).strip();
            int end;
            if (eq + 1 < list.length() && list.charAt(eq + 1) == '"') {
                int close = list.indexOf('"', eq + 2);
                if (close < 0) {
                    throw new PlaylistException("line " + (n + 1) + ": unterminated quoted string");
                }
                end = close + 1;
            } else {
                end = list.indexOf(',', eq + 1);
                end = end < 0 ? list.length() : end;
            }
            out.put(name, list.substring(eq + 1, end).strip());
            i = end;
            if (i < list.length()) {
                if (list.charAt(i) != ',') {
                    throw new PlaylistException("line " + (n + 1) + ": bad attribute list");
                }
                i++;
            }
        }
        return out;
    }

    private String checkUri(String uri, int n) throws PlaylistException {
        if (plainNamesOnly) {
            if (!Names.isFileName(uri) || !uri.endsWith(".m3u8")) {
                throw new PlaylistException("line " + (n + 1) + ": variant URI must be a plain .m3u8 file name beside the master, got '"
                        + abbreviate(uri) + "'");
            }
        } else if (uri.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw new PlaylistException("line " + (n + 1) + ": bad URI");
        }
        return uri;
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }
}
