package io.stripecast.relay.playback;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.stripecast.relay.FakeParentResource;
import io.stripecast.relay.RawHttp;
import io.stripecast.relay.RelayClient;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Once a viewer watches stream {@code copied}, its next segments are sent from their copies
 * ({@code stripecast.playback.segment-files-dir}) with sendfile: whole and in order to fast and slow viewers, and from
 * the window after all when a copy is gone before it is opened.
 */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
@TestProfile(SegmentFileServingTest.WithSegmentFiles.class)
class SegmentFileServingTest {
    /** Copies in the module's target directory, from the first viewer on. */
    public static class WithSegmentFiles implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("stripecast.playback.segment-files-dir", "target/segment-files",
                    "stripecast.playback.segment-files-min-viewers", "1");
        }
    }

    private static final String KEY = "copied-key-0123456789";
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @TestHTTPResource("/")
    URL base;
    @Inject
    MeterRegistry registry;

    private double counted(String name, String... tags) {
        var c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    /** A segment's bytes (random, several write slices long) and the name the relay serves it under. */
    private record Published(byte[] bytes, String name) {
    }

    /** Publishes segment {@code n} and waits until the relay's playlist ends with a name other than {@code before}. */
    private Published publish(RelayClient relay, int n, String before) throws Exception {
        byte[] segment = new byte[2 * PlaybackRoutes.WRITE_SLICE_BYTES + 777 * n];
        new Random(n).nextBytes(segment);
        assertThat(relay.put("/ingest/copied/copied" + n + ".ts", KEY, segment).statusCode()).isEqualTo(201);
        byte[] playlist = ("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:" + n + "\n#EXTINF:1.0,\ncopied" + n + ".ts\n")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(relay.put("/ingest/copied/index.m3u8", KEY, playlist).statusCode()).isEqualTo(204);
        String name = await().atMost(DEADLINE).until(() -> relay.get("/live/copied/index.m3u8").body().lines()
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).reduce((a, b) -> b).orElse(""), l -> !l.isEmpty() && !l.equals(before));
        return new Published(segment, name);
    }

    private List<Path> copies() throws Exception {
        try (Stream<Path> all = Files.walk(Path.of("target/segment-files"))) {
            return all.filter(p -> p.getParent().getFileName().toString().startsWith("copied-") && p.toString().endsWith(".seg"))
                    .toList();
        }
    }

    @Test
    void aWatchedStreamsSegmentsAreSentFromTheirCopiesWholeAndFromTheWindowWhenACopyIsGone() throws Exception {
        RelayClient relay = new RelayClient(base.toString());
        Published first = publish(relay, 1, "");
        double fromMemory = counted("stripecast.relay.playback.segments", "from", "memory");
        HttpResponse<byte[]> watched = relay.getBytes("/live/copied/" + first.name());
        assertThat(watched.body()).isEqualTo(first.bytes());
        assertThat(counted("stripecast.relay.playback.segments", "from", "memory")).as("not watched when it completed")
                .isEqualTo(fromMemory + 1);

        double written = counted("stripecast.relay.segment.files.written");
        Published second = publish(relay, 2, first.name());
        await().atMost(DEADLINE).until(() -> counted("stripecast.relay.segment.files.written") > written);
        double fromFile = counted("stripecast.relay.playback.segments", "from", "file");
        HttpResponse<byte[]> fast = relay.getBytes("/live/copied/" + second.name());
        assertThat(fast.statusCode()).isEqualTo(200);
        assertThat(fast.headers().firstValue("Content-Length")).hasValue(Integer.toString(second.bytes().length));
        assertThat(fast.headers().firstValue("Content-Type")).hasValue("video/mp2t");
        assertThat(fast.headers().firstValue("Cache-Control")).get().asString().contains("immutable");
        assertThat(fast.body()).isEqualTo(second.bytes());
        RawHttp.Answer slow = RawHttp.getSlowly(base.getHost(), base.getPort(), "/live/copied/" + second.name());
        assertThat(slow.head()).startsWith("http/1.1 200");
        assertThat(slow.body()).as("a slow viewer").isEqualTo(second.bytes());
        assertThat(counted("stripecast.relay.playback.segments", "from", "file")).isEqualTo(fromFile + 2);

        // The copy vanishes (nothing a viewer can cause: an operator's hand, a full tmpfs): the window answers.
        for (Path copy : copies()) {
            Files.delete(copy);
        }
        double openFailed = counted("stripecast.relay.segment.files.skipped", "reason", "open_failed");
        HttpResponse<byte[]> fallback = relay.getBytes("/live/copied/" + second.name());
        assertThat(fallback.statusCode()).isEqualTo(200);
        assertThat(fallback.body()).isEqualTo(second.bytes());
        assertThat(counted("stripecast.relay.segment.files.skipped", "reason", "open_failed")).isEqualTo(openFailed + 1);
    }
}
