package io.stripecast.relay.playback;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.relay.FakeParentResource;
import io.stripecast.relay.RelayClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A publisher's end over HTTP, on stream "ending" of this (ingest) relay: a final playlist with ENDLIST or a
 * DELETE of the playlist ends the served playlist, answers held blocking reloads at once, and a later publish
 * starts a new run after a discontinuity. Each test publishes first, so either order works.
 */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
class StreamEndTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String PLAYLIST = "/live/ending/index.m3u8";

    @TestHTTPResource("/")
    URL base;
    /** Metrics and health are on the management port. */
    @TestHTTPResource(value = "/", management = true)
    URL management;

    private RelayClient relay;

    @BeforeEach
    void client() {
        relay = new RelayClient(base.toString());
    }

    private static final java.util.concurrent.atomic.AtomicLong UPSTREAM = new java.util.concurrent.atomic.AtomicLong();

    /** The encoder's playlist after its segment n: as ffmpeg writes it, ENDLIST in the final one. */
    private static byte[] encoderPlaylist(long n, boolean endList) {
        return ("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:" + n + "\n#EXTINF:1.0,\nending" + n + ".ts\n"
                + (endList ? "#EXT-X-ENDLIST\n" : "")).getBytes(StandardCharsets.UTF_8);
    }

    private long publishAndAwaitListed() throws Exception {
        long n = UPSTREAM.incrementAndGet();
        assertThat(relay.put("/ingest/ending/ending" + n + ".ts", "ending-key-0123456789", ("segment " + n).repeat(100).getBytes()).statusCode())
                .isEqualTo(201);
        assertThat(relay.put("/ingest/ending/index.m3u8", "ending-key-0123456789", encoderPlaylist(n, false)).statusCode()).isEqualTo(204);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            HttpResponse<String> r = relay.get(PLAYLIST);
            return r.statusCode() == 200 && !r.body().contains("ENDLIST");
        });
        return newestListed();
    }

    private long newestListed() throws Exception {
        String last = relay.get(PLAYLIST).body().lines().filter(l -> !l.startsWith("#")).reduce((a, b) -> b).orElseThrow();
        return Long.parseLong(last.substring(0, last.indexOf('.')));
    }

    private CompletableFuture<HttpResponse<String>> getAsync(String path) {
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base + path.substring(1))).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private double counter(String name, String tag, String value) throws Exception {
        return new RelayClient(management.toURI().resolve("/").toString()).get("/q/metrics").body().lines()
                .filter(l -> l.startsWith(name + "{") && l.contains("stream=\"ending\"") && l.contains(tag + "=\"" + value + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void endlistEndsThePlaylistAndAnswersAHeldReloadAtOnce() throws Exception {
        long newest = publishAndAwaitListed();
        double endsBefore = counter("stripecast_relay_stream_ends_total", "cause", "endlist");
        CompletableFuture<HttpResponse<String>> held = getAsync(PLAYLIST + "?_HLS_msn=" + (newest + 1));
        Thread.sleep(200); // let it be held (the next assertion holds either way)
        String last = newest + ".ts";
        assertThat(relay.put("/ingest/ending/index.m3u8", "ending-key-0123456789", encoderPlaylist(UPSTREAM.get(), true)).statusCode())
                .isEqualTo(204);

        HttpResponse<String> answer = held.get(5, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).endsWith(last + "\n#EXT-X-ENDLIST\n");
        // Once ended, any later msn is answered with the ended playlist, neither held nor refused.
        HttpResponse<String> ahead = relay.get(PLAYLIST + "?_HLS_msn=" + (newest + 7));
        assertThat(ahead.statusCode()).isEqualTo(200);
        assertThat(ahead.body()).endsWith("#EXT-X-ENDLIST\n");
        assertThat(counter("stripecast_relay_stream_ends_total", "cause", "endlist")).isEqualTo(endsBefore + 1);
        assertThat(counter("stripecast_relay_stream_ended", "stream", "ending")).isEqualTo(1);

        // Published again: a new run after a discontinuity, ENDLIST gone, numbers never reused.
        long again = publishAndAwaitListed();
        assertThat(again).isEqualTo(newest + 1);
        String body = relay.get(PLAYLIST).body();
        assertThat(body).contains(last + "\n#EXT-X-DISCONTINUITY\n#EXTINF:1.000000,\n" + again + ".ts\n").doesNotContain("ENDLIST");
        assertThat(counter("stripecast_relay_stream_ended", "stream", "ending")).isZero();
    }

    @Test
    void deleteOfThePlaylistEndsIt() throws Exception {
        long newest = publishAndAwaitListed();
        double endsBefore = counter("stripecast_relay_stream_ends_total", "cause", "delete");
        // ffmpeg's delete_segments DELETEs segments: that ends nothing.
        HttpResponse<String> segment = HTTP.send(HttpRequest.newBuilder(URI.create(base + "ingest/ending/ending" + UPSTREAM.get() + ".ts"))
                .header("Authorization", "Bearer ending-key-0123456789").DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(segment.statusCode()).isEqualTo(204);
        assertThat(relay.get(PLAYLIST).body()).doesNotContain("ENDLIST");

        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "ingest/ending/index.m3u8"))
                .header("Authorization", "Bearer ending-key-0123456789").DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(204);
        await().atMost(Duration.ofSeconds(5)).until(() -> relay.get(PLAYLIST).body().endsWith(newest + ".ts\n#EXT-X-ENDLIST\n"));
        assertThat(counter("stripecast_relay_stream_ends_total", "cause", "delete")).isEqualTo(endsBefore + 1);
        relay.assertOtherStreamFlows();
    }
}
