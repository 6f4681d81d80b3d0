package io.stripecast.relay.ingest;

import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.stream.StreamRuntime;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Pull ingest: polls an upstream HLS media playlist (an origin that already exists), fetches each
 * new segment once, and hands both to the same committer a PUT would reach.
 */
final class PullIngest {
    private static final Logger LOG = Logger.getLogger(PullIngest.class);
    private static final int REMEMBERED = 4096;

    private final StreamRuntime runtime;
    private final IngestCommitter committer;
    private final RelayMetrics metrics;
    private final RelaySettings.Limits limits;
    private final URI playlistUri;
    private final PlaylistParser parser;
    private final HttpClient http;
    private final ScheduledExecutorService worker;
    /** URIs fetched already, bounded: a segment is fetched once. */
    private final Set<String> fetched = new HashSet<>();
    private final ArrayDeque<String> fetchedOrder = new ArrayDeque<>();
    private ScheduledFuture<?> task;
    private boolean failing;
    private long lastNewest = -1;

    PullIngest(StreamRuntime runtime, IngestCommitter committer, RelayMetrics metrics, RelaySettings.Limits limits) {
        this.runtime = runtime;
        this.committer = committer;
        this.metrics = metrics;
        this.limits = limits;
        this.playlistUri = URI.create(runtime.spec().pullUrl().orElseThrow());
        this.parser = new PlaylistParser(limits.maxPlaylistEntries(), false);
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NORMAL).build();
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pull-" + runtime.spec().name());
            t.setDaemon(true);
            return t;
        });
    }

    boolean feeds(StreamRuntime r) {
        return runtime == r;
    }

    String url() {
        return playlistUri.toString();
    }

    void start() {
        long every = Math.max(100, runtime.spec().pullInterval().toMillis());
        task = worker.scheduleWithFixedDelay(this::poll, 0, every, TimeUnit.MILLISECONDS);
        LOG.infof("stream %s: pulling %s every %d ms", runtime.spec().name(), playlistUri, every);
    }

    void stop() {
        if (task != null) {
            task.cancel(true);
        }
        worker.shutdownNow();
    }

    private void poll() {
        try {
            byte[] body = get(playlistUri, limits.maxPlaylistBytes());
            MediaPlaylist playlist = parser.parse(body);
            long now = System.currentTimeMillis();
            if (!playlist.entries().isEmpty()) {
                long newest = playlist.entries().get(playlist.entries().size() - 1).upstreamSequence();
                if (newest < lastNewest) {
                    // The origin restarted its numbering: names like index0.ts are new files again.
                    fetched.clear();
                    fetchedOrder.clear();
                }
                lastNewest = newest;
            }
            // The playlist first: each segment then commits as soon as its bytes are in, and the
            // committer never holds more than one unlisted upload.
            committer.onPlaylist(playlist, now);
            for (PlaylistEntry e : playlist.entries()) {
                if (e.mapUri() != null) {
                    fetchOnce(e.mapUri());
                }
                fetchOnce(e.uri());
            }
            if (failing) {
                LOG.infof("stream %s: upstream %s reachable again", runtime.spec().name(), playlistUri);
                failing = false;
            }
        } catch (IOException | PlaylistException e) {
            metrics.ingestRejected("pull_failed");
            if (!failing) {
                LOG.warnf("stream %s: pulling %s failed: %s", runtime.spec().name(), playlistUri, e.getMessage());
                failing = true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // Never let one bad poll end the schedule: a scheduled task that throws is never run again.
            metrics.ingestRejected("pull_failed");
            LOG.warnf(e, "stream %s: pulling %s failed", runtime.spec().name(), playlistUri);
        }
    }

    private void fetchOnce(String uri) throws IOException, InterruptedException {
        if (fetched.contains(uri)) {
            return;
        }
        byte[] bytes = get(playlistUri.resolve(uri), limits.maxSegmentBytes());
        remember(uri);
        committer.onFile(uri, bytes, System.currentTimeMillis());
    }

    private void remember(String uri) {
        fetched.add(uri);
        fetchedOrder.add(uri);
        while (fetchedOrder.size() > REMEMBERED) {
            fetched.remove(fetchedOrder.removeFirst());
        }
    }

    /** GET with a size bound: a body beyond it is refused, never buffered whole. */
    private byte[] get(URI uri, int maxBytes) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = response.body()) {
            if (response.statusCode() != 200) {
                throw new IOException("GET " + uri + " answered " + response.statusCode());
            }
            byte[] bytes = in.readNBytes(maxBytes + 1);
            if (bytes.length > maxBytes) {
                throw new IOException("GET " + uri + " is larger than " + maxBytes + " bytes");
            }
            return bytes;
        }
    }
}
