package io.stripecast.lab.e2e;

import com.sun.net.httpserver.HttpServer;
import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The data plane end to end with real processes: seven packaged relays on loopback, real ffmpeg
 * pushing (or serving) HLS, every relay's playlist and segment bytes checked against what ffmpeg
 * wrote, and ffmpeg playing the edges.
 */
class DataPlaneEndToEndIT {
    private static final int SECONDS = 22;
    private static final Path WORK = Path.of("target", "e2e");
    private static Path source;

    private SevenRelayForest forest;

    @BeforeAll
    static void encodeSource() throws Exception {
        source = Ffmpeg.source(WORK.resolve("media"));
    }

    @AfterEach
    void stopRelays() {
        if (forest != null) {
            forest.close();
        }
    }

    @Test
    void mpegTsPushReachesEveryEdgeByteIdentical() throws Exception {
        Path dir = WORK.resolve("ts-push");
        forest = SevenRelayForest.start(dir, Map.of());
        Process ffmpeg = Ffmpeg.push(source, SECONDS, ingestUrl(), false, false, SevenRelayForest.KEY, dir.resolve("ffmpeg-out"),
                dir.resolve("ffmpeg-push.log"));
        awaitExit(ffmpeg);
        List<String> expected = HlsCheck.localHashes(dir.resolve("ffmpeg-out"));
        assertThat(expected).hasSizeGreaterThanOrEqualTo(20);
        assertEveryRelayServes(expected, SevenRelayForest.IDS);
        playEdges(dir, expected.size());
    }

    @Test
    void fmp4PushOverPersistentConnectionReachesEveryEdge() throws Exception {
        Path dir = WORK.resolve("fmp4-push");
        forest = SevenRelayForest.start(dir, Map.of());
        Process ffmpeg = Ffmpeg.push(source, SECONDS, ingestUrl(), true, true, SevenRelayForest.KEY, dir.resolve("ffmpeg-out"),
                dir.resolve("ffmpeg-push.log"));
        awaitExit(ffmpeg);
        List<String> expected = HlsCheck.localHashes(dir.resolve("ffmpeg-out"));
        assertThat(expected).as("init + media segments").hasSizeGreaterThanOrEqualTo(21);
        assertEveryRelayServes(expected, SevenRelayForest.IDS);
        assertThat(forest.relay("e1").getText("/live/live/index.m3u8")).contains("#EXT-X-MAP:URI=\"init-");
        playEdges(dir, expected.size() - 1);
    }

    @Test
    void pullIngestFetchesAnOriginAndFeedsTheForest() throws Exception {
        Path dir = WORK.resolve("pull");
        Path origin = dir.resolve("origin");
        HlsCheck.deleteRecursively(dir);
        Files.createDirectories(origin);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            Path file = origin.resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
            if (!file.startsWith(origin) || !Files.isRegularFile(file)) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                byte[] body = Files.readAllBytes(file);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/index.m3u8";
            // The origin is on loopback: pull ingest refuses internal addresses unless their range is allowed.
            forest = SevenRelayForest.start(dir, Map.of("stripecast.streams.live.pull-url", url,
                    "stripecast.pull.allowed-networks", "127.0.0.1/32"));
            Process ffmpeg = Ffmpeg.writeOrigin(source, SECONDS, false, origin, dir.resolve("ffmpeg-origin.log"));
            awaitExit(ffmpeg);
            List<String> expected = HlsCheck.localHashes(origin);
            assertThat(expected).hasSizeGreaterThanOrEqualTo(20);
            assertEveryRelayServes(expected, SevenRelayForest.IDS);
            playEdges(dir, expected.size());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void sigkillOfAnInteriorRelayLosesNoSegmentAndTheOrphanRegenerates() throws Exception {
        Path dir = WORK.resolve("kill-interior");
        forest = SevenRelayForest.start(dir, Map.of());
        Process ffmpeg = Ffmpeg.push(source, SECONDS, ingestUrl(), false, false, SevenRelayForest.KEY, dir.resolve("ffmpeg-out"),
                dir.resolve("ffmpeg-push.log"));
        JavaService ingest = forest.relay("ingest");
        await("8 segments ingested").atMost(Duration.ofSeconds(40))
                .until(() -> ingest.metric("stripecast_relay_ingest_segments_total") >= 8);
        forest.relay("a").kill();
        awaitExit(ffmpeg);
        List<String> expected = HlsCheck.localHashes(dir.resolve("ffmpeg-out"));
        assertThat(expected).hasSizeGreaterThanOrEqualTo(20);
        List<String> survivors = SevenRelayForest.IDS.stream().filter(id -> !id.equals("a")).toList();
        assertEveryRelayServes(expected, survivors);
        JavaService orphan = forest.relay("a2");
        assertThat(orphan.metric("stripecast_relay_regenerations_total", "stripe=\"0\""))
                .as("a2, orphaned in stripe 0, regenerates that stripe for e1 and e2").isGreaterThan(0);
        for (String edge : List.of("e1", "e2")) {
            assertThat(forest.relay(edge).metric("stripecast_relay_shards_in_total", "stripe=\"0\""))
                    .as("%s keeps receiving stripe 0 from a2 after a died", edge).isGreaterThanOrEqualTo(expected.size());
        }
        playEdges(dir, expected.size());
    }

    private String ingestUrl() {
        return forest.relay("ingest").base() + "/ingest/live/index.m3u8";
    }

    private void assertEveryRelayServes(List<String> expected, List<String> ids) throws Exception {
        for (String id : ids) {
            JavaService relay = forest.relay(id);
            int media = expected.size() - (HlsCheck.hasInit(relay, "live") ? 1 : 0);
            await(id + " lists every segment").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> HlsCheck.listedSegments(relay, "live") >= media);
            assertThat(HlsCheck.servedHashes(relay, "live")).as("segments served by %s, in order, vs what ffmpeg uploaded", id)
                    .containsExactlyElementsOf(expected);
        }
    }

    private void playEdges(Path dir, int segments) throws Exception {
        for (String edge : List.of("e1", "e2")) {
            Ffmpeg.play(forest.relay(edge).base() + "/live/live/index.m3u8", segments - 0.5, dir.resolve("play-" + edge + ".log"));
        }
    }

    private static void awaitExit(Process ffmpeg) throws InterruptedException {
        assertThat(ffmpeg.waitFor(90, TimeUnit.SECONDS)).as("ffmpeg finished").isTrue();
        assertThat(ffmpeg.exitValue()).as("ffmpeg exit code").isZero();
    }
}
