package io.stripecast.lab.hop;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A live source at a fixed bitrate: every {@code segmentMillis} it PUTs one segment and then the playlist that
 * lists it, as ffmpeg's HLS muxer does, to a relay's ingest or an nginx origin (WebDAV). The bodies are a few
 * pre-generated noise buffers taken in turn, so the source spends its CPU on sending, not on making bytes (its
 * core is shared with the parent and the children). The rate can change while it runs; the bytes it put are
 * counted so a window's figure is per GB of stream actually sent, not the nominal rate.
 */
final class PacedSource implements Runnable, AutoCloseable {
    private static final int LISTED = 6;
    private static final int BODIES = 4;

    private final String putBase;
    private final Map<String, String> headers;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final AtomicLong bytesPut = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong lateMillis = new AtomicLong();
    private volatile int segmentMillis;
    private volatile byte[][] bodies;
    private volatile boolean paused;
    private volatile boolean stopped;
    private volatile int sequence;
    private final Thread thread;
    private final boolean deleteOld;

    PacedSource(String putBase, Map<String, String> headers) {
        this(putBase, headers, false);
    }

    /**
     * {@code deleteOld}: DELETE each segment once it is a few segments out of the playlist, as ffmpeg's
     * {@code -hls_flags delete_segments} does, so that a WebDAV origin does not keep every segment of the run on disk.
     */
    PacedSource(String putBase, Map<String, String> headers, boolean deleteOld) {
        this.putBase = putBase;
        this.headers = Map.copyOf(headers);
        this.deleteOld = deleteOld;
        this.thread = new Thread(this, "paced-source");
        this.thread.setDaemon(true);
    }

    /** Sets bitrate and segment duration; bodies are made here, outside the timed windows. */
    void rate(double mbitPerSecond, int segmentMillis) {
        int bytes = (int) Math.round(mbitPerSecond * 1e6 / 8 * segmentMillis / 1000.0);
        Random rnd = new Random(20261206L + bytes);
        byte[][] b = new byte[BODIES][bytes];
        for (byte[] body : b) {
            rnd.nextBytes(body);
        }
        this.segmentMillis = segmentMillis;
        this.bodies = b;
    }

    void start() {
        thread.start();
    }

    /** No new segments (the stream stays configured, its playlist served): for the idle figure. */
    void pause(boolean pause) {
        this.paused = pause;
    }

    /** Bytes of one segment at the current rate. */
    int segmentBytes() {
        return bodies[0].length;
    }

    long bytesPut() {
        return bytesPut.get();
    }

    long failures() {
        return failures.get();
    }

    /** The newest sequence put (segment and playlist answered). */
    int sequence() {
        return sequence;
    }

    /** How far behind its schedule the source fell at worst since the last reset. */
    long maxLateMillisAndReset() {
        return lateMillis.getAndSet(0);
    }

    @Override
    public void run() {
        long next = System.nanoTime();
        int n = 0;
        while (!stopped) {
            int ms = segmentMillis;
            next += ms * 1_000_000L;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L)); // real-time pacing, as a live encoder
                } catch (InterruptedException e) {
                    return;
                }
            } else {
                lateMillis.accumulateAndGet(-wait / 1_000_000L, Math::max);
                if (-wait > 5_000_000_000L) {
                    next = System.nanoTime(); // too far behind: do not burst to catch up
                }
            }
            if (paused) {
                continue;
            }
            byte[] body = bodies[n % BODIES];
            if (put("seg" + n + ".ts", body) && put("index.m3u8", playlist(n, ms).getBytes())) {
                bytesPut.addAndGet(body.length);
                sequence = n;
            }
            if (deleteOld && n >= 2 * LISTED) {
                delete("seg" + (n - 2 * LISTED) + ".ts");
            }
            n++;
        }
    }

    static String playlist(int n, int segmentMillis) {
        int first = Math.max(0, n - LISTED + 1);
        StringBuilder b = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:")
                .append((int) Math.ceil(segmentMillis / 1000.0)).append("\n#EXT-X-MEDIA-SEQUENCE:").append(first).append('\n');
        for (int i = first; i <= n; i++) {
            b.append(String.format(Locale.ROOT, "#EXTINF:%.6f,%nseg%d.ts%n", segmentMillis / 1000.0, i));
        }
        return b.toString();
    }

    private boolean put(String file, byte[] body) {
        try {
            HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(putBase + file)).timeout(Duration.ofSeconds(20))
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
            headers.forEach(r::header);
            HttpResponse<Void> answer = http.send(r.build(), HttpResponse.BodyHandlers.discarding());
            if (answer.statusCode() / 100 == 2) {
                return true;
            }
        } catch (IOException e) {
            // counted below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
        }
        failures.incrementAndGet();
        return false;
    }

    /** Best effort: a failed DELETE leaves a file on disk, nothing the measurement counts. */
    private void delete(String file) {
        try {
            http.send(HttpRequest.newBuilder(URI.create(putBase + file)).timeout(Duration.ofSeconds(5)).DELETE().build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            // the file stays on disk
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
        }
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
    }
}
