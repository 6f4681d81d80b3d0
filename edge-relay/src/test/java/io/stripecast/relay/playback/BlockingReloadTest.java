package io.stripecast.relay.playback;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.relay.FakeParentResource;
import io.stripecast.relay.RelayClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * LL-HLS blocking playlist reload on stream "live" (no mesh): {@code ?_HLS_msn=N} is held until the
 * playlist lists N, bounded in time (three target durations, then 503) and in number
 * (max-held-playlists is 2 in tests); stream "other" keeps flowing throughout.
 */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
class BlockingReloadTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

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

    @Test
    void playlistsAdvertiseBlockingReloadExceptOnMeshStreams() throws Exception {
        publishAndAwait();
        assertThat(relay.get("/live/live/index.m3u8").body()).contains("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES\n");
        // Stream "other" has the leaf mesh, whose p2p-media-loader loses a playlist's segments under a query string.
        relay.assertOtherStreamFlows();
        assertThat(relay.get("/live/other/index.m3u8").body()).doesNotContain("EXT-X-SERVER-CONTROL");
    }

    @Test
    void heldRequestIsAnsweredWhenItsSegmentIsListed() throws Exception {
        publishAndAwait();
        long newest = newestListed();
        CompletableFuture<HttpResponse<String>> held = getAsync("/live/live/index.m3u8?_HLS_msn=" + (newest + 1));
        await("the request is held").atMost(Duration.ofSeconds(10)).until(() -> heldGauge() == 1);
        assertThat(held).isNotDone();

        byte[] segment = relay.publish("live", "live-key-0123456789");

        HttpResponse<String> answer = held.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(200);
        String last = answer.body().lines().filter(l -> !l.startsWith("#")).reduce((a, b) -> b).orElseThrow();
        assertThat(last).isEqualTo((newest + 1) + ".ts");
        assertThat(relay.getBytes("/live/live/" + last).body()).isEqualTo(segment);
        assertThat(heldGauge()).isZero();
    }

    @Test
    void listedSequenceIsAnsweredAtOnce() throws Exception {
        publishAndAwait();
        long newest = newestListed();
        HttpResponse<String> r = relay.get("/live/live/index.m3u8?_HLS_msn=" + newest);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\n" + newest + ".ts\n");
    }

    @Test
    void heldRequestNotListedWithinThreeTargetDurationsIs503() throws Exception {
        publishAndAwait();
        long newest = newestListed();
        HttpResponse<String> r = relay.get("/live/live/index.m3u8?_HLS_msn=" + (newest + 2));
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("not listed within 3000 ms");
        assertThat(heldGauge()).isZero();
        relay.assertOtherStreamFlows();
    }

    @Test
    void moreThanTwoSegmentsAheadIs400() throws Exception {
        relay.assertOtherStreamFlows();
        HttpResponse<String> r = relay.get("/live/live/index.m3u8?_HLS_msn=" + (newestListed() + 3));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @ParameterizedTest
    @ValueSource(strings = {"_HLS_msn=abc", "_HLS_msn=-1", "_HLS_msn=1234567890123456789", "_HLS_part=0", "_HLS_msn=5&_HLS_part=x"})
    void malformedDirectivesAre400(String query) throws Exception {
        publishAndAwait();
        HttpResponse<String> r = relay.get("/live/live/index.m3u8?" + query);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("_HLS_msn");
        relay.assertOtherStreamFlows();
    }

    @Test
    void heldRequestsAreBoundedAndAViewerLeavingFreesItsPlace() throws Exception {
        relay.assertOtherStreamFlows();
        String path = "/live/live/index.m3u8?_HLS_msn=" + (newestListed() + 1);
        List<Socket> viewers = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                viewers.add(rawGet(path));
            }
            await("two requests held").atMost(Duration.ofSeconds(10)).until(() -> heldGauge() == 2);
            HttpResponse<String> third = relay.get(path);
            assertThat(third.statusCode()).isEqualTo(503);
            assertThat(third.headers().firstValue("Retry-After")).hasValue("1");
        } finally {
            for (Socket s : viewers) {
                s.close();
            }
        }
        await("the viewers that left hold nothing").atMost(Duration.ofSeconds(10)).until(() -> heldGauge() == 0);
        relay.assertOtherStreamFlows();
    }

    /** Publishes one more segment of stream "live" and waits until its playlist lists it. */
    private void publishAndAwait() throws Exception {
        byte[] segment = relay.publish("live", "live-key-0123456789");
        await("stream live lists its newest segment").atMost(Duration.ofSeconds(10)).until(() -> {
            HttpResponse<String> r = relay.get("/live/live/index.m3u8");
            String last = r.body().lines().filter(l -> !l.startsWith("#")).reduce((a, b) -> b).orElse("");
            return r.statusCode() == 200 && java.util.Arrays.equals(relay.getBytes("/live/live/" + last).body(), segment);
        });
    }

    private long newestListed() throws Exception {
        String playlist = relay.get("/live/live/index.m3u8").body();
        String last = playlist.lines().filter(l -> !l.startsWith("#")).reduce((a, b) -> b).orElseThrow();
        return Long.parseLong(last.substring(0, last.indexOf('.')));
    }

    private CompletableFuture<HttpResponse<String>> getAsync(String path) {
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base.toString()).resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private Socket rawGet(String path) throws Exception {
        Socket s = new Socket(base.getHost(), base.getPort());
        OutputStream out = s.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return s;
    }

    private double heldGauge() throws Exception {
        String metrics = new RelayClient(management.toURI().resolve("/").toString()).get("/q/metrics").body();
        return metrics.lines().filter(l -> l.startsWith("stripecast_relay_playback_held_requests "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(-1);
    }
}
