package io.stripecast.relay.ingest;

import io.stripecast.protocol.Names;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses an encoder's HLS media playlist (RFC 8216) strictly enough that hostile input is refused
 * with a reason: bounded entries and line length, sane durations and sequence numbers, and (for PUT
 * ingest) URIs that are plain file names in the same folder.
 */
public final class PlaylistParser {
    static final int MAX_LINE = 4096;
    static final long MAX_DURATION_MICROS = 600_000_000L;
    private static final long MAX_SEQUENCE = 1L << 53;

    private final int maxEntries;
    private final boolean plainNamesOnly;

    /**
     * @param plainNamesOnly true for PUT ingest (segments must be siblings of the playlist); false
     *                       for pull ingest, where the URIs are resolved against the upstream URL
     */
    public PlaylistParser(int maxEntries, boolean plainNamesOnly) {
        this.maxEntries = maxEntries;
        this.plainNamesOnly = plainNamesOnly;
    }

    public MediaPlaylist parse(byte[] body) throws PlaylistException {
        PlaylistLines lines = new PlaylistLines(body, MAX_LINE);
        long mediaSequence = 0;
        boolean sawEntry = false;
        long pendingDuration = -1;
        boolean pendingDiscontinuity = false;
        String mapUri = null;
        boolean endList = false;
        List<PlaylistEntry> entries = new ArrayList<>();
        for (String line = lines.next(); line != null; line = lines.next()) {
            int n = lines.index();
            if (line.startsWith("#")) {
                if (line.startsWith("#EXTINF:")) {
                    pendingDuration = duration(line.substring(8), n);
                } else if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
                    if (sawEntry) {
                        throw new PlaylistException("EXT-X-MEDIA-SEQUENCE after the first segment");
                    }
                    mediaSequence = number(line.substring(22), n);
                } else if (line.equals("#EXT-X-DISCONTINUITY")) {
                    pendingDiscontinuity = true;
                } else if (line.startsWith("#EXT-X-MAP:")) {
                    mapUri = checkUri(attribute(line.substring(11), "URI", n), n);
                } else if (line.equals("#EXT-X-ENDLIST")) {
                    endList = true;
                } else if (line.startsWith("#EXT-X-STREAM-INF") || line.startsWith("#EXT-X-MEDIA:")) {
                    throw new PlaylistException("a multivariant (master) playlist; ingest takes one media playlist per stream");
                }
                continue;
            }
            if (pendingDuration < 0) {
                throw new PlaylistException("line " + (n + 1) + ": segment URI without #EXTINF");
            }
            if (entries.size() >= maxEntries) {
                throw new PlaylistException("more than " + maxEntries + " segments");
            }
            entries.add(new PlaylistEntry(mediaSequence + entries.size(), checkUri(line, n), pendingDuration,
                    pendingDiscontinuity, mapUri));
            if (mediaSequence + entries.size() > MAX_SEQUENCE) {
                throw new PlaylistException("media sequence out of range");
            }
            sawEntry = true;
            pendingDuration = -1;
            pendingDiscontinuity = false;
        }
        return new MediaPlaylist(mediaSequence, entries, endList);
    }

    private String checkUri(String uri, int n) throws PlaylistException {
        if (plainNamesOnly) {
            if (!Names.isFileName(uri)) {
                throw new PlaylistException("line " + (n + 1) + ": segment URI must be a plain file name, got '" + abbreviate(uri) + "'");
            }
        } else if (uri.isEmpty() || uri.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw new PlaylistException("line " + (n + 1) + ": bad URI");
        }
        return uri;
    }

    private static long duration(String value, int n) throws PlaylistException {
        int comma = value.indexOf(',');
        String number = (comma >= 0 ? value.substring(0, comma) : value).strip();
        double seconds;
        try {
            seconds = Double.parseDouble(number);
        } catch (NumberFormatException e) {
            throw new PlaylistException("line " + (n + 1) + ": EXTINF duration is not a number");
        }
        if (!Double.isFinite(seconds) || seconds <= 0 || seconds * 1_000_000 > MAX_DURATION_MICROS) {
            throw new PlaylistException("line " + (n + 1) + ": EXTINF duration must be in (0, 600] seconds, got " + abbreviate(number));
        }
        return Math.max(1, Math.round(seconds * 1_000_000));
    }

    private static long number(String value, int n) throws PlaylistException {
        try {
            long v = Long.parseLong(value.strip());
            if (v < 0 || v > MAX_SEQUENCE) {
                throw new PlaylistException("line " + (n + 1) + ": media sequence out of range");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new PlaylistException("line " + (n + 1) + ": media sequence is not a number");
        }
    }

    private static String attribute(String list, String name, int n) throws PlaylistException {
        String key = name + "=\"";
        int at = list.indexOf(key);
        if (at < 0) {
            throw new PlaylistException("line " + (n + 1) + ": EXT-X-MAP without URI");
        }
        int end = list.indexOf('"', at + key.length());
        if (end < 0) {
            throw new PlaylistException("line " + (n + 1) + ": unterminated URI");
        }
        return list.substring(at + key.length(), end);
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }
}
