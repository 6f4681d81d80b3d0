package io.stripecast.relay.ingest;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.relay.FakeParentResource;
import io.stripecast.relay.RelayClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Every kind of bad ingest request gets its own clear answer, and stream "other" keeps flowing. */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
class IngestBadInputTest {
    @TestHTTPResource("/")
    URL base;

    private RelayClient relay;

    @BeforeEach
    void client() {
        relay = new RelayClient(base.toString());
    }

    @Test
    void drainRouteIsClosedWithoutAControllerAndToken() throws Exception {
        // The drain route exists only for a relay a controller manages and that was given a token.
        var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(base.toURI().resolve("admin/drain"))
                .header("X-Stripecast-Drain-Token", "anything").build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(404);
        relay.assertOtherStreamFlows();
    }

    @Test
    void segmentLargerThanTheBoundIs413() throws Exception {
        HttpResponse<String> r = relay.put("/ingest/live/big.ts", "live-key-0123456789", new byte[1024 * 1024 + 1]);
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        relay.assertOtherStreamFlows();
    }

    @Test
    void chunkedBodyGrowingPastTheBoundIs413() throws Exception {
        List<byte[]> chunks = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            chunks.add(new byte[64 * 1024]);
        }
        assertThat(relay.rawPut("/ingest/live/endless.ts", "live-key-0123456789", chunks, true)).isEqualTo("HTTP/1.1 413");
        relay.assertOtherStreamFlows();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/ingest/live/..%2F..%2Fetc%2Fpasswd", "/ingest/live/.hidden.ts", "/ingest/live/seg.exe",
            "/ingest/bad%20name/seg.ts", "/ingest/live/a/b.ts", "/ingest/live"})
    void badNamesAndTraversalAre400(String path) throws Exception {
        assertThat(relay.put(path, "live-key-0123456789", "x".getBytes()).statusCode()).isEqualTo(400);
        relay.assertOtherStreamFlows();
    }

    @ParameterizedTest
    @ValueSource(strings = {"#EXTM3U\n#EXTINF:-3,\nseg.ts\n", "#EXTM3U\n#EXTINF:1e9,\nseg.ts\n", "not a playlist",
            "#EXTM3U\n#EXTINF:1,\n../seg.ts\n"})
    void hostilePlaylistsAre400(String body) throws Exception {
        HttpResponse<String> r = relay.put("/ingest/live/index.m3u8", "live-key-0123456789", body.getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("\"status\":400");
        relay.assertOtherStreamFlows();
    }

    @Test
    void playlistWithAMillionEntriesIsRefusedBeforeItIsRead() throws Exception {
        StringBuilder b = new StringBuilder("#EXTM3U\n");
        for (int i = 0; i < 1_000_000; i++) {
            b.append("#EXTINF:1,\ns").append(i).append(".ts\n");
        }
        assertThat(relay.rawPut("/ingest/live/index.m3u8", "live-key-0123456789", List.of(b.toString().getBytes(StandardCharsets.UTF_8)), false))
                .as("20 MB of playlist is over the playlist bound").isEqualTo("HTTP/1.1 413");
        relay.assertOtherStreamFlows();
    }

    @Test
    void playlistWithMoreEntriesThanAllowedIs400() throws Exception {
        StringBuilder b = new StringBuilder("#EXTM3U\n");
        for (int i = 0; i < 1_001; i++) {
            b.append("#EXTINF:1,\ns").append(i).append(".ts\n");
        }
        HttpResponse<String> r = relay.put("/ingest/live/index.m3u8", "live-key-0123456789", b.toString().getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("more than 1000 segments");
        relay.assertOtherStreamFlows();
    }

    @Test
    void unknownStreamIs404() throws Exception {
        assertThat(relay.put("/ingest/nosuch/seg.ts", "live-key-0123456789", "x".getBytes()).statusCode()).isEqualTo(404);
        relay.assertOtherStreamFlows();
    }

    @Test
    void missingOrWrongKeyIs401() throws Exception {
        assertThat(relay.put("/ingest/live/seg.ts", null, "x".getBytes()).statusCode()).isEqualTo(401);
        HttpResponse<String> wrong = relay.put("/ingest/live/seg.ts", "other-key-0123456789", "x".getBytes());
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.headers().firstValue("WWW-Authenticate")).isPresent();
        relay.assertOtherStreamFlows();
    }

    @Test
    void deleteIsAcceptedWith204() throws Exception {
        var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(base.toURI().resolve("/ingest/live/old.ts"))
                .header("X-Stream-Key", "live-key-0123456789").DELETE().build(), HttpResponse.BodyHandlers.discarding());
        assertThat(r.statusCode()).isEqualTo(204);
    }

    @Test
    void putToAStreamThisRelayOnlyForwardsIs409() throws Exception {
        assertThat(relay.put("/ingest/fed/seg.ts", null, "x".getBytes()).statusCode()).isEqualTo(409);
    }

    @Test
    void playbackOfUnknownStreamOrSegmentIs404WithCors() throws Exception {
        HttpResponse<String> r = relay.get("/live/nosuch/index.m3u8");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        assertThat(relay.get("/live/other/999999.ts").statusCode()).isEqualTo(404);
    }

    @Test
    void playbackHasCdnCacheHeaders() throws Exception {
        relay.assertOtherStreamFlows();
        HttpResponse<String> playlist = relay.get("/live/other/index.m3u8");
        assertThat(playlist.headers().firstValue("Cache-Control")).hasValue("public, max-age=1");
        assertThat(playlist.headers().firstValue("Content-Type")).hasValue("application/vnd.apple.mpegurl");
        String segment = playlist.body().lines().filter(l -> !l.startsWith("#")).findFirst().orElseThrow();
        HttpResponse<byte[]> seg = relay.getBytes("/live/other/" + segment);
        assertThat(seg.headers().firstValue("Cache-Control")).hasValue("public, max-age=31536000, immutable");
        assertThat(seg.headers().firstValue("Content-Type")).hasValue("video/mp2t");
    }
}
