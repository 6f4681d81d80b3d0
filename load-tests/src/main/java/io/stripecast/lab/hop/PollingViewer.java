package io.stripecast.lab.hop;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A player without a decoder (segment names: the source's {@code seg<n>.ts} as nginx serves them, or the relay's
 * {@code <n>.ts}, its own sequence numbers): reloads the media playlist every half segment duration (as hls.js does for a
 * live playlist) and fetches every segment it lists that it has not fetched yet, once, counting bytes. It also
 * drives nginx's child caches (a child cache only fetches from its parent when asked). One thread, one
 * keep-alive connection.
 */
final class PollingViewer implements Runnable, AutoCloseable {
    private static final Pattern SEGMENT = Pattern.compile("^(?:seg)?(\\d+)\\.ts$", Pattern.MULTILINE);

    private final String base;
    private final int pollMillis;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong segments = new AtomicLong();
    private final AtomicLong segmentBytes = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final byte[] sink = new byte[1 << 16];
    private final Thread thread;
    private volatile boolean stopped;
    private volatile long last = -1;

    /** @param base the stream's URL up to and including its last '/', e.g. {@code http://h:p/live/live/} */
    PollingViewer(String name, String base, int pollMillis) {
        this.base = base;
        this.pollMillis = pollMillis;
        this.thread = new Thread(this, name);
        this.thread.setDaemon(true);
    }

    PollingViewer start() {
        thread.start();
        return this;
    }

    long bytes() {
        return bytes.get();
    }

    /** Bytes of segments (playlists left out). */
    long segmentBytes() {
        return segmentBytes.get();
    }

    long segments() {
        return segments.get();
    }

    long errors() {
        return errors.get();
    }

    long lastSequence() {
        return last;
    }

    @Override
    public void run() {
        while (!stopped) {
            long started = System.nanoTime();
            try {
                String playlist = fetchPlaylist();
                Matcher m = SEGMENT.matcher(playlist);
                while (m.find() && !stopped) {
                    long n = Long.parseLong(m.group(1));
                    if (n > last) {
                        // A viewer that joined late starts at the live edge, as players do: at most the newest 3.
                        if (last < 0 && n < newest(playlist) - 2) {
                            continue;
                        }
                        segmentBytes.addAndGet(fetch(m.group()));
                        segments.incrementAndGet();
                        last = n;
                    }
                }
            } catch (IOException e) {
                errors.incrementAndGet();
            } catch (InterruptedException e) {
                return;
            }
            long wait = pollMillis - (System.nanoTime() - started) / 1_000_000L;
            if (wait > 0) {
                try {
                    Thread.sleep(wait); // a player's reload interval, not a synchronisation
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private static long newest(String playlist) {
        Matcher m = SEGMENT.matcher(playlist);
        long n = -1;
        while (m.find()) {
            n = Math.max(n, Long.parseLong(m.group(1)));
        }
        return n;
    }

    private String fetchPlaylist() throws IOException, InterruptedException {
        try (InputStream in = open("index.m3u8")) {
            byte[] all = in.readAllBytes();
            bytes.addAndGet(all.length);
            return new String(all, StandardCharsets.UTF_8);
        }
    }

    /** Reads a segment through a reused buffer (a player's bytes are not kept): returns its length. */
    private long fetch(String file) throws IOException, InterruptedException {
        long total = 0;
        try (InputStream in = open(file)) {
            for (int read; (read = in.read(sink)) >= 0; ) {
                total += read;
            }
        }
        bytes.addAndGet(total);
        return total;
    }

    private InputStream open(String file) throws IOException, InterruptedException {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + file)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            try (InputStream in = r.body()) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            throw new IOException("GET " + base + file + " answered " + r.statusCode());
        }
        return r.body();
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
    }
}
