package io.stripecast.relay.playback;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.relay.FakeParentResource;
import io.stripecast.relay.RawHttp;
import io.stripecast.relay.RelayClient;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A segment larger than one write slice ({@link PlaybackRoutes#WRITE_SLICE_BYTES}) reaches a viewer whole and in
 * order, to a fast client and to one reading through a small socket buffer, with the length announced up front.
 */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
class SegmentBodyTest {
    private static final String KEY = "large-key-0123456789";

    @TestHTTPResource("/")
    URL base;

    @Test
    void aSegmentOfSeveralSlicesArrivesWholeToFastAndSlowViewers() throws Exception {
        RelayClient relay = new RelayClient(base.toString());
        // Not a multiple of the slice: the last slice is short.
        byte[] segment = new byte[3 * PlaybackRoutes.WRITE_SLICE_BYTES + 12_345];
        new Random(17).nextBytes(segment);
        assertThat(relay.put("/ingest/large/large1.ts", KEY, segment).statusCode()).isEqualTo(201);
        byte[] playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:1\n#EXTINF:1.0,\nlarge1.ts\n"
                .getBytes(StandardCharsets.UTF_8);
        assertThat(relay.put("/ingest/large/index.m3u8", KEY, playlist).statusCode()).isEqualTo(204);
        String name = await().atMost(Duration.ofSeconds(10)).until(() -> relay.get("/live/large/index.m3u8").body().lines()
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).reduce((a, b) -> b).orElse(null), n -> n != null);

        HttpResponse<byte[]> fast = relay.getBytes("/live/large/" + name);
        assertThat(fast.statusCode()).isEqualTo(200);
        assertThat(fast.headers().firstValue("Content-Length")).hasValue(Integer.toString(segment.length));
        assertThat(fast.body()).isEqualTo(segment);

        RawHttp.Answer slow = RawHttp.getSlowly(base.getHost(), base.getPort(), "/live/large/" + name);
        assertThat(slow.head()).startsWith("http/1.1 200").contains("content-length: " + segment.length + "\r\n");
        assertThat(slow.body()).isEqualTo(segment);
    }
}
