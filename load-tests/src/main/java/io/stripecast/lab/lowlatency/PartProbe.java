package io.stripecast.lab.lowlatency;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A lab viewer that learns parts (issue 18, point 3): it follows one LL-HLS media playlist with blocking reloads
 * ({@code _HLS_msn} and {@code _HLS_part} for the next part, as hls.js does in low-latency mode) and, for every part the
 * moment it is first listed, records how far behind live it is: the wall clock then, minus the program date time at
 * the part's end (its segment's {@code EXT-X-PROGRAM-DATE-TIME} plus the durations of the parts up to and including it).
 * Run at one relay per depth, it gives latency behind live per depth; source and relays share this host's clock.
 */
public final class PartProbe implements Runnable {
    /** A part as first listed here. */
    public record Listed(String uri, long seenMillis, long behindLiveMillis) {
    }

    /** What one playlist says about where live is: the parts it lists with their end times, and what to ask next. */
    record Parsed(List<PartAt> parts, long nextMsn, int nextPart, boolean ended) {
    }

    record PartAt(String uri, long endMillis) {
    }

    private final String playlistUrl;
    private final HttpClient http;
    private final List<Listed> listed = Collections.synchronizedList(new ArrayList<>());
    private final Set<String> seen = new HashSet<>();
    private volatile boolean stop;
    private volatile int failures;

    public PartProbe(String playlistUrl, HttpClient http) {
        this.playlistUrl = playlistUrl;
        this.http = http;
    }

    public void stop() {
        stop = true;
    }

    public List<Listed> listed() {
        synchronized (listed) {
            return List.copyOf(listed);
        }
    }

    public int failures() {
        return failures;
    }

    @Override
    public void run() {
        String query = "";
        boolean first = true;
        while (!stop) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(playlistUrl + query)).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                long now = System.currentTimeMillis();
                if (r.statusCode() != 200) {
                    failures++;
                    query = "";
                    Thread.sleep(200);
                    continue;
                }
                Parsed p = parse(r.body());
                for (PartAt part : p.parts()) {
                    // What the first playlist lists was there before this probe came: not "new" to it.
                    if (seen.add(part.uri()) && !first) {
                        listed.add(new Listed(part.uri(), now, now - part.endMillis()));
                    }
                }
                first = false;
                if (p.ended()) {
                    return;
                }
                query = p.nextMsn() < 0 ? "" : "?_HLS_msn=" + p.nextMsn() + "&_HLS_part=" + p.nextPart();
                if (p.nextMsn() < 0) {
                    Thread.sleep(200);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                failures++;
                query = "";
            }
        }
    }

    /**
     * Reads a media playlist: segments and parts in order, each segment's start from the newest program date time plus
     * the durations since; the next part to block for is the one after the newest listed part.
     */
    static Parsed parse(String playlist) {
        List<PartAt> parts = new ArrayList<>();
        long msn = Long.MIN_VALUE;
        long cursor = Long.MIN_VALUE;
        long partEnd = Long.MIN_VALUE;
        int partsInSegment = 0;
        long segmentMicros = 0;
        boolean ended = false;
        for (String line : playlist.split("\n")) {
            line = line.strip();
            if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
                // Counted up to each whole segment listed: then the newest whole segment's number.
                msn = Long.parseLong(line.substring(22)) - 1;
            } else if (line.startsWith("#EXT-X-PROGRAM-DATE-TIME:")) {
                cursor = Instant.parse(line.substring(25)).toEpochMilli();
                partEnd = cursor;
                partsInSegment = 0;
            } else if (line.startsWith("#EXT-X-PART:")) {
                double seconds = Double.parseDouble(attribute(line, "DURATION"));
                if (partsInSegment == 0 && cursor != Long.MIN_VALUE) {
                    partEnd = cursor;
                }
                partEnd += Math.round(seconds * 1000);
                partsInSegment++;
                if (cursor != Long.MIN_VALUE) {
                    parts.add(new PartAt(attribute(line, "URI"), partEnd));
                }
            } else if (line.startsWith("#EXTINF:")) {
                segmentMicros = Math.round(Double.parseDouble(line.substring(8, line.indexOf(',') < 0 ? line.length() : line.indexOf(','))) * 1e6);
            } else if (line.equals("#EXT-X-ENDLIST")) {
                ended = true;
            } else if (!line.isEmpty() && !line.startsWith("#")) {
                // A whole segment: the next one starts where it ends.
                if (cursor != Long.MIN_VALUE) {
                    cursor += segmentMicros / 1000;
                }
                msn++;
                partsInSegment = 0;
            }
        }
        // msn is now the last whole segment's; parts listed after it belong to the next.
        return new Parsed(parts, msn == Long.MIN_VALUE ? -1 : msn + 1, partsInSegment, ended);
    }

    private static String attribute(String tag, String name) {
        int at = tag.indexOf(name + "=");
        if (at < 0) {
            throw new IllegalArgumentException(name + " missing in " + tag);
        }
        int start = at + name.length() + 1;
        if (tag.charAt(start) == '"') {
            return tag.substring(start + 1, tag.indexOf('"', start + 1));
        }
        int end = tag.indexOf(',', start);
        return tag.substring(start, end < 0 ? tag.length() : end);
    }
}
