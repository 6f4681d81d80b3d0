package io.stripecast.lab.e2e;

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
 * Issue 16, point 2, with real processes: a controller, four relays (k=2 m=1) and a rogue relay that joins the forest
 * with a large uplink, so that real relays take a stripe from it. It sends its children, for every true shard, metadata
 * naming other bytes under its own key, the true metadata unsigned, segments dated an hour ahead, and CRC-valid shards
 * of wrong content under the ingest's signed metadata, and claims an ingest key. Every real relay must still serve
 * exactly the segments ffmpeg wrote, in sequence, and every kind of lie must be counted.
 */
class SignedSegmentAttackIT {
    private static final Path WORK = Path.of("target", "e2e");
    private static final String KEY = "signed-segments-key-0123";
    private static final int RELAYS = 4;
    private static final int SECONDS = 20;
    /** With the 5 Mbit/s hint and k = 2: fanout 3, so the ingest feeds one relay per stripe and trees have interiors. */
    private static final double UPLINK_MBPS = 10;

    private ControllerCluster cluster;
    private RogueRelay rogue;

    @AfterEach
    void stop() {
        if (rogue != null) {
            rogue.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private double sumOverRelays(String metric, String... fragments) throws Exception {
        double sum = 0;
        for (JavaService r : cluster.relays.values()) {
            sum += r.metric(metric, fragments);
        }
        return sum;
    }

    @Test
    void aRogueParentChangesNothingAnyRelayServesAndEveryLieIsCounted() throws Exception {
        Path source = Ffmpeg.source(WORK.resolve("media"));
        Path dir = WORK.resolve("signed-segments");
        cluster = ControllerCluster.start(dir, 0, Map.of(
                "stripecast.streams.live.k", "2", "stripecast.streams.live.m", "1", "stripecast.streams.live.window", "120s",
                "stripecast.streams.live.key", KEY, "stripecast.streams.live.ingest-relay", "r0"), UPLINK_MBPS);
        // The rogue is there when the forest is planned, with far more uplink than anyone: the planner makes it interior.
        rogue = new RogueRelay(cluster.controllerGrpc, 1000);
        for (int i = 0; i < RELAYS; i++) {
            cluster.addRelay("r" + i, UPLINK_MBPS);
        }
        cluster.relays.values().forEach(JavaService::awaitReady);
        await("forest of every relay and the rogue, with children under the rogue").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(300)).ignoreExceptions()
                .until(() -> cluster.forest("live").get("relays").asInt() == RELAYS + 1 && rogue.childCount() > 0);
        System.out.println("forest with the rogue: " + cluster.forest("live"));

        JavaService ingest = cluster.relay("r0");
        Process push = Ffmpeg.push(source, SECONDS, ingest.base() + "/ingest/live/index.m3u8", KEY, List.of(),
                dir.resolve("ffmpeg-out"), dir.resolve("push.log"));
        assertThat(push.waitFor(SECONDS + 60, TimeUnit.SECONDS)).as("ffmpeg finished").isTrue();
        assertThat(push.exitValue()).as("ffmpeg exit code").isZero();
        List<String> expected = HlsCheck.localHashes(dir.resolve("ffmpeg-out"));
        assertThat(expected).hasSizeGreaterThanOrEqualTo(SECONDS - 2);
        try {
            await("every segment at every relay").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                    .until(() -> cluster.relays.values().stream().allMatch(r -> HlsCheck.listedSegments(r, "live") >= expected.size()));
        } finally {
            StringBuilder diag = new StringBuilder();
            for (var e : cluster.relays.entrySet()) {
                diag.append(e.getKey()).append(": listed ").append(HlsCheck.listedSegments(e.getValue(), "live")).append(" of ")
                        .append(expected.size()).append("\n").append(e.getValue().getText("/live/live/index.m3u8")).append("\n")
                        .append(e.getValue().getText("/q/metrics").lines()
                                .filter(l -> !l.startsWith("#") && (l.contains("rejected") || l.contains("checksum") || l.contains("expired")))
                                .reduce("", (a, b) -> a + b + "\n"));
            }
            Files.writeString(dir.resolve("relays.txt"), diag.toString());
        }
        for (var e : cluster.relays.entrySet()) {
            // Bytes and order: the playlist lists exactly ffmpeg's segments, in sequence, none added, none missing.
            assertThat(HlsCheck.servedHashes(e.getValue(), "live")).as("segments served by %s", e.getKey())
                    .containsExactlyElementsOf(expected);
        }

        double forged = sumOverRelays("stripecast_relay_shards_rejected_total", "reason=\"signature\"");
        double unsigned = sumOverRelays("stripecast_relay_shards_rejected_total", "reason=\"unsigned\"");
        double future = sumOverRelays("stripecast_relay_shards_rejected_total", "reason=\"bad_ingest_time\"");
        double wrongContent = sumOverRelays("stripecast_relay_checksum_failures_total", "kind=\"shard_content\"");
        double keyClaims = cluster.controller.metric("stripecast_controller_rejected_total", "reason=\"ingest_key\"");
        String report = ("rogue sent %d lies to %d child subscription(s); relays counted: forged signature %.0f, unsigned %.0f, "
                + "future-dated %.0f, wrong content under the signed metadata %.0f; controller refused %.0f ingest-key claims; "
                + "%d segments served byte-identical by %d relays").formatted(rogue.liesSent.get(), rogue.childCount(), forged,
                unsigned, future, wrongContent, keyClaims, expected.size(), RELAYS);
        System.out.println(report);
        Files.writeString(dir.resolve("report.txt"), report + "\n");
        assertThat(rogue.liesSent.get()).as("lies sent").isGreaterThan(0);
        assertThat(forged).as("forged signatures counted").isGreaterThan(0);
        assertThat(unsigned).as("unsigned metadata counted").isGreaterThan(0);
        assertThat(future).as("future-dated metadata counted").isGreaterThan(0);
        assertThat(wrongContent).as("wrong content under signed metadata counted").isGreaterThan(0);
        assertThat(keyClaims).as("a non-ingest's key claims refused").isGreaterThan(0);
    }
}
