package io.stripecast.lab.cluster;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A source without an encoder: every {@code segmentMillis} it PUTs one generated segment of
 * {@code segmentBytes} per stream to the ingest, then the playlist that lists it, as ffmpeg's HLS muxer
 * does. Bitrates and stream counts an x264 on two cores cannot reach; the bytes are seeded noise, so the lab
 * knows each segment's checksum without keeping it. Runs on its own thread; it is late, not faster,
 * when the machine cannot keep up (the report shows the lag).
 */
public final class SyntheticSource implements Runnable {
    private static final int LISTED = 5;

    private final String ingestBase;
    private final List<String> streams;
    private final String key;
    private final int segmentBytes;
    private final int segmentMillis;
    private final int segments;
    /** Per stream: when the n-th segment's PUT completed (wall clock), and its SHA-256. */
    private final Map<String, Map<Integer, Long>> finished = new ConcurrentHashMap<>();
    private final Map<String, Map<Integer, String>> hashes = new ConcurrentHashMap<>();
    private final AtomicInteger failures = new AtomicInteger();
    private volatile long maxLagMillis;

    public SyntheticSource(String ingestBase, List<String> streams, String key, int segmentBytes, int segmentMillis, int seconds) {
        this.ingestBase = ingestBase;
        this.streams = List.copyOf(streams);
        this.key = key;
        this.segmentBytes = segmentBytes;
        this.segmentMillis = segmentMillis;
        this.segments = Math.max(1, seconds * 1000 / segmentMillis);
        streams.forEach(s -> {
            finished.put(s, new ConcurrentHashMap<>());
            hashes.put(s, new ConcurrentHashMap<>());
        });
    }

    /** Segment {@code n} of {@code stream}: the same bytes every time. */
    static byte[] segment(String stream, int n, int bytes) {
        byte[] out = new byte[bytes];
        new Random(stream.hashCode() * 1_000_003L + n).nextBytes(out);
        return out;
    }

    /** The playlist after segment {@code n}: the last {@value #LISTED} segments, as ffmpeg lists them. */
    static String playlist(int n, int segmentMillis) {
        int first = Math.max(0, n - LISTED + 1);
        StringBuilder b = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:")
                .append((int) Math.ceil(segmentMillis / 1000.0)).append("\n#EXT-X-MEDIA-SEQUENCE:").append(first).append('\n');
        for (int i = first; i <= n; i++) {
            b.append(String.format(Locale.ROOT, "#EXTINF:%.6f,%nseg%d.ts%n", segmentMillis / 1000.0, i));
        }
        return b.toString();
    }

    @Override
    public void run() {
        long start = System.currentTimeMillis();
        for (int n = 0; n < segments; n++) {
            long due = start + (long) (n + 1) * segmentMillis; // a segment exists once its duration has passed
            long wait = due - System.currentTimeMillis();
            if (wait > 0) {
                try {
                    Thread.sleep(wait); // real-time pacing, as a live encoder
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            maxLagMillis = Math.max(maxLagMillis, -wait);
            for (String stream : streams) {
                byte[] seg = segment(stream, n, segmentBytes);
                if (put(stream, "seg" + n + ".ts", seg) && put(stream, "index.m3u8", playlist(n, segmentMillis).getBytes())) {
                    finished.get(stream).put(n, System.currentTimeMillis());
                    hashes.get(stream).put(n, HlsCheck.sha256(seg));
                }
            }
        }
    }

    private boolean put(String stream, String file, byte[] body) {
        try {
            HttpResponse<Void> r = JavaService.HTTP.send(HttpRequest.newBuilder(URI.create(ingestBase + "/ingest/" + stream + "/" + file))
                    .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + key)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() / 100 == 2) {
                return true;
            }
        } catch (java.io.IOException e) {
            // counted below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failures.incrementAndGet();
        return false;
    }

    /** SHA-256 of every segment of {@code stream} that was uploaded, in order. */
    public List<String> expectedHashes(String stream) {
        Map<Integer, String> h = hashes.get(stream);
        List<String> out = new ArrayList<>();
        for (int n = 0; n < segments; n++) {
            if (h.containsKey(n)) {
                out.add(h.get(n));
            }
        }
        return out;
    }

    /** When segment n of {@code stream} was finished (its PUT answered). */
    public Map<Integer, Long> finishedAt(String stream) {
        return Map.copyOf(finished.get(stream));
    }

    public int failures() {
        return failures.get();
    }

    /** How far behind real time the source fell at worst: a machine too slow for the bitrate shows here. */
    public long maxLagMillis() {
        return maxLagMillis;
    }
}
