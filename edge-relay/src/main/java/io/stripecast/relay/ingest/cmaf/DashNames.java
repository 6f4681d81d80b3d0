package io.stripecast.relay.ingest.cmaf;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files ffmpeg's DASH muxer uploads under its default templates ({@code -init_seg_name init-stream$RepresentationID$.$ext$},
 * {@code -media_seg_name chunk-stream$RepresentationID$-$Number%05d$.$ext$}, fMP4): the DASH stream index and the
 * encoder's segment number are read from the names, which is all the muxer says about them before the manifest.
 */
public final class DashNames {
    private static final Pattern INIT = Pattern.compile("init-stream([0-9]{1,3})\\.m4s");
    private static final Pattern CHUNK = Pattern.compile("chunk-stream([0-9]{1,3})-([0-9]{1,15})\\.m4s");

    /** URL regexes of the routes, on {@code /ingest/{stream}/}. */
    public static final String INIT_ROUTE = "/ingest/[^/]+/init-stream[0-9]+\\.m4s";
    public static final String CHUNK_ROUTE = "/ingest/[^/]+/chunk-stream[0-9]+-[0-9]+\\.m4s";
    public static final String MANIFEST_ROUTE = "/ingest/[^/]+/[^/]+\\.mpd";

    /** A media segment's upload: stream index and the encoder's segment number. */
    public record Chunk(int stream, long number) {
    }

    private DashNames() {
    }

    /** The stream index of an init segment's name, or -1. */
    public static int initStream(String file) {
        Matcher m = INIT.matcher(file);
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The chunk a media segment's name names, or null. */
    public static Chunk chunk(String file) {
        Matcher m = CHUNK.matcher(file);
        return m.matches() ? new Chunk(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2))) : null;
    }

    public static boolean isManifest(String file) {
        return file.endsWith(".mpd");
    }
}
