package io.stripecast.relay.ingest;

import java.nio.charset.StandardCharsets;

/**
 * An uploaded HLS playlist's lines as the ingest's parsers read them (media playlists and masters alike): the first
 * line must be {@code #EXTM3U}; after it, each line stripped, empty ones skipped, and one longer than the bound refused
 * where it stands, so a parser's own errors come in the order of the lines.
 */
final class PlaylistLines {
    private final String[] lines;
    private final int maxLine;
    private int index;

    PlaylistLines(byte[] body, int maxLine) throws PlaylistException {
        this.lines = new String(body, StandardCharsets.UTF_8).split("\r?\n", -1);
        this.maxLine = maxLine;
        if (lines.length == 0 || !lines[0].strip().equals("#EXTM3U")) {
            throw new PlaylistException("not an HLS playlist: first line must be #EXTM3U");
        }
    }

    /** The next non-empty line, stripped; null after the last. */
    String next() throws PlaylistException {
        while (++index < lines.length) {
            String line = lines[index].strip();
            if (line.length() > maxLine) {
                throw new PlaylistException("line " + (index + 1) + " is longer than " + maxLine + " characters");
            }
            if (!line.isEmpty()) {
                return line;
            }
        }
        return null;
    }

    /** The index (from 0) of the line {@link #next} returned last: messages say {@code index() + 1}. */
    int index() {
        return index;
    }
}
