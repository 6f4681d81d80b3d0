package io.stripecast.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The root is no exception to "a relay dies and no viewer loses a segment": a stream with a standby ingest (r1), one
 * ffmpeg pushing to both ingests through the tee muxer, the primary ingest (r0) SIGKILLed mid-stream. The controller
 * re-roots every stripe tree at the standby, which continues the primary's numbering with the uploads the forest
 * never brought, and every surviving relay serves every segment ffmpeg wrote, byte for byte, with no gap.
 */
class IngestFailoverIT {
    private static final int SECONDS = 24;
    private static final String KEY = "ingest-failover-key";
    private static final Path DIR = Path.of("target", "e2e", "ingest-failover");
    private ControllerCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void losingThePrimaryIngestReRootsAtTheStandbyAndLosesNoSegment() throws Exception {
        Path source = Ffmpeg.source(Path.of("target", "e2e", "media"));
        cluster = ControllerCluster.start(DIR, 7, Map.of(
                "stripecast.streams.live.k", "2",
                "stripecast.streams.live.m", "1",
                "stripecast.streams.live.window", "120s",
                "stripecast.streams.live.key", KEY,
                "stripecast.streams.live.ingest-relay", "r0",
                "stripecast.streams.live.standby-ingest-relay", "r1"), 20);
        await("forest sound").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                .until(() -> cluster.forest("live").get("check").get("ok").asBoolean() && cluster.forest("live").get("relays").asInt() == 7);

        Process ffmpeg = Ffmpeg.pushToBoth(source, SECONDS, cluster.relay("r0").base() + "/ingest/live/index.m3u8",
                cluster.relay("r1").base() + "/ingest/live/index.m3u8", KEY, DIR.resolve("ffmpeg-out"), DIR.resolve("ffmpeg-push.log"));
        await("8 segments in").atMost(Duration.ofSeconds(60))
                .until(() -> cluster.relay("r0").metric("stripecast_relay_ingest_segments_total") >= 8);
        assertThat(cluster.relay("r1").metric("stripecast_relay_ingest_segments_total")).as("the standby publishes nothing").isZero();

        cluster.relay("r0").kill();
        await("re-rooted at the standby").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> "r1".equals(cluster.forest("live").get("root").asText()));
        await("the standby took over").atMost(Duration.ofSeconds(30))
                .until(() -> cluster.relay("r1").metric("stripecast_relay_ingest_takeovers_total") == 1);

        assertThat(ffmpeg.waitFor(90, TimeUnit.SECONDS)).as("ffmpeg finished").isTrue();
        List<String> expected = HlsCheck.localHashes(DIR.resolve("ffmpeg-out"));
        assertThat(expected).hasSizeGreaterThanOrEqualTo(SECONDS - 2);
        JsonNode forest = cluster.forest("live");
        assertThat(forest.get("check").get("ok").asBoolean()).as("forest after the failover: " + forest).isTrue();
        for (var e : cluster.relays.entrySet()) {
            if (e.getKey().equals("r0")) {
                continue;
            }
            JavaService relay = e.getValue();
            await(e.getKey() + " lists every segment").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> HlsCheck.listedSegments(relay, "live") >= expected.size());
            assertThat(HlsCheck.servedHashes(relay, "live")).as("segments served by %s vs what ffmpeg wrote", e.getKey())
                    .containsExactlyElementsOf(expected);
        }
        String playlist = cluster.relay("r6").getText("/live/live/index.m3u8");
        assertThat(playlist).as("no gap papered over").doesNotContain("#EXT-X-DISCONTINUITY");
        Files.writeString(DIR.resolve("r6-playlist.m3u8"), playlist);
    }
}
