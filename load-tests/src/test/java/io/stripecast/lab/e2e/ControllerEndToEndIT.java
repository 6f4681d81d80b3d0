package io.stripecast.lab.e2e;

import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
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
 * The controller end to end: a controller and eight packaged relays as processes on loopback, no
 * topology file, real ffmpeg pushing a k=3 m=1 stream; relays killed, drained, and the controller
 * itself restarted, with every segment checked at every relay.
 */
class ControllerEndToEndIT {
    private static final int SECONDS = 20;
    private static final Path WORK = Path.of("target", "e2e");
    private static final String KEY = "controller-e2e-key";
    /** Small uplinks (with a 5 Mbit/s hint) so trees have interior relays below the ingest. */
    private static final double UPLINK_MBPS = 20;
    private static Path source;

    private ControllerCluster cluster;

    @BeforeAll
    static void encodeSource() throws Exception {
        source = Ffmpeg.source(WORK.resolve("media"));
    }

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Map<String, String> stream(String name, int k, int m, String carriage) {
        return Map.of("stripecast.streams." + name + ".k", Integer.toString(k),
                "stripecast.streams." + name + ".m", Integer.toString(m),
                "stripecast.streams." + name + ".window", "120s",
                "stripecast.streams." + name + ".key", KEY,
                "stripecast.streams." + name + ".ingest-relay", "r0",
                "stripecast.streams." + name + ".carriage", carriage);
    }

    private Process push(String stream, Path dir, int seconds) throws Exception {
        return Ffmpeg.push(source, seconds, cluster.relay("r0").base() + "/ingest/" + stream + "/index.m3u8", false, false, KEY,
                dir.resolve("ffmpeg-out"), dir.resolve("ffmpeg-push.log"));
    }

    private void awaitIngested(int segments) {
        await(segments + " segments ingested").atMost(Duration.ofSeconds(60))
                .until(() -> cluster.relay("r0").metric("stripecast_relay_ingest_segments_total") >= segments);
    }

    private void awaitSound(String stream) {
        await("forest of " + stream + " sound").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                .until(() -> cluster.forest(stream).get("check").get("ok").asBoolean());
    }

    @Test
    void sigkillOfAnInteriorRelayMovesOnlyItsOrphansAndLosesNoSegment() throws Exception {
        Path dir = WORK.resolve("ctl-kill");
        cluster = ControllerCluster.start(dir, 8, stream("live", 3, 1, "all"), UPLINK_MBPS);
        awaitSound("live");
        assertThat(cluster.forest("live").get("relays").asInt()).isEqualTo(8);
        Process ffmpeg = push("live", dir, SECONDS);
        awaitIngested(8);
        var victim = cluster.anInteriorRelay("live");
        List<Map<String, String>> before = cluster.parents("live");
        cluster.relay(victim.getKey()).kill();
        await("victim out of the forest").atMost(Duration.ofSeconds(20))
                .until(() -> !cluster.forest("live").get("stripes").get(0).get("parents").has(victim.getKey()));
        awaitSound("live");
        List<Map<String, String>> after = cluster.parents("live");
        for (int stripe = 0; stripe < before.size(); stripe++) {
            for (var e : before.get(stripe).entrySet()) {
                if (e.getKey().equals(victim.getKey()) || e.getValue().equals(victim.getKey())) {
                    continue;
                }
                assertThat(after.get(stripe).get(e.getKey())).as("stripe %d: %s kept its parent (only %s's orphans move)",
                        stripe, e.getKey(), victim.getKey()).isEqualTo(e.getValue());
            }
        }
        assertThat(cluster.controller.metric("stripecast_controller_repairs_total")).isGreaterThanOrEqualTo(1);
        finishAndCheck(ffmpeg, dir, "live", victim.getKey());
    }

    @Test
    void drainingAnInteriorRelayLosesNoSegmentEvenWithoutParity() throws Exception {
        Path dir = WORK.resolve("ctl-drain");
        cluster = ControllerCluster.start(dir, 8, stream("live", 3, 0, "all"), UPLINK_MBPS);
        awaitSound("live");
        Process ffmpeg = push("live", dir, SECONDS);
        awaitIngested(8);
        var drained = cluster.anInteriorRelay("live");
        JavaService relay = cluster.relay(drained.getKey());
        // A drain by hand (an operator's GET /admin/drain with the pool's token): drain first (the relay still serves),
        // then SIGTERM. In Kubernetes there is no preStop hook: the relay drains itself on SIGTERM.
        var wrongToken = JavaService.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(relay.url("/admin/drain")))
                .header("X-Stripecast-Drain-Token", "guess").build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(wrongToken.statusCode()).as("a wrong token drains nothing").isEqualTo(403);
        var drain = JavaService.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(relay.url("/admin/drain")))
                .header("X-Stripecast-Drain-Token", ControllerCluster.DRAIN_TOKEN).timeout(Duration.ofSeconds(40)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(drain.statusCode()).as("drain answered once the children moved").isEqualTo(200);
        assertThat(Files.readString(relay.log)).contains("drained: the controller moved");
        await("the drained relay has no children left").atMost(Duration.ofSeconds(10)).until(() -> {
            for (var stripe : cluster.forest("live").get("stripes")) {
                if (stripe.get("children").path(drained.getKey()).asInt(0) > 0) {
                    return false;
                }
            }
            return true;
        });
        assertThat(relay.terminate(40)).as("%s exits after its children moved", drained.getKey()).isTrue();
        awaitSound("live");
        finishAndCheck(ffmpeg, dir, "live", drained.getKey());
    }

    @Test
    void aRestartedControllerAdoptsTheForestWithoutMovingAnyone() throws Exception {
        Path dir = WORK.resolve("ctl-restart");
        cluster = ControllerCluster.start(dir, 8, stream("live", 3, 1, "all"), UPLINK_MBPS);
        awaitSound("live");
        Process ffmpeg = push("live", dir, SECONDS);
        awaitIngested(6);
        List<Map<String, String>> before = cluster.parents("live");
        cluster.controller.kill();
        awaitIngested(9); // relays keep forwarding while no controller runs
        cluster.controller = cluster.startController("controller-2").awaitReady();
        await("new controller adopted the relays").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                .until(() -> cluster.forest("live").get("relays").asInt() == 8);
        awaitSound("live");
        assertThat(cluster.parents("live")).as("no relay moved after adoption").isEqualTo(before);
        finishAndCheck(ffmpeg, dir, "live", null);
    }

    @Test
    void aViewersFirstRequestBringsAnOnDemandStreamToARelay() throws Exception {
        Path dir = WORK.resolve("ctl-on-demand");
        cluster = ControllerCluster.start(dir, 4, stream("ondemand", 2, 1, "on-demand"), UPLINK_MBPS);
        Process ffmpeg = push("ondemand", dir, 14);
        awaitIngested(4);
        assertThat(cluster.forest("ondemand").get("relays").asInt()).as("only the ingest carries it").isEqualTo(1);
        JavaService edge = cluster.relay("r3");
        var response = JavaService.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(edge.base()
                + "/live/ondemand/index.m3u8")).timeout(Duration.ofSeconds(30)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("first request answered once the stream arrived").isEqualTo(200);
        assertThat(response.body()).contains("#EXTINF");
        assertThat(cluster.forest("ondemand").get("stripes").get(0).get("parents").has("r3")).isTrue();
        assertThat(cluster.forest("ondemand").get("stripes").get(0).get("parents").has("r2")).as("nobody asked r2").isFalse();
        assertThat(ffmpeg.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Ffmpeg.play(edge.base() + "/live/ondemand/index.m3u8", 3, dir.resolve("play-r3.log"));
        await("r3 leaves the forest once nobody watches there (idle 5 s)").atMost(Duration.ofSeconds(30))
                .until(() -> !cluster.forest("ondemand").get("stripes").get(0).get("parents").has("r3"));
    }

    /** Waits for ffmpeg, then checks every live relay serves every segment byte-identical, and plays two. */
    private void finishAndCheck(Process ffmpeg, Path dir, String stream, String gone) throws Exception {
        assertThat(ffmpeg.waitFor(90, TimeUnit.SECONDS)).as("ffmpeg finished").isTrue();
        assertThat(ffmpeg.exitValue()).as("ffmpeg exit code").isZero();
        List<String> expected = HlsCheck.localHashes(dir.resolve("ffmpeg-out"));
        assertThat(expected).hasSizeGreaterThanOrEqualTo(SECONDS - 2);
        for (var e : cluster.relays.entrySet()) {
            if (e.getKey().equals(gone)) {
                continue;
            }
            JavaService relay = e.getValue();
            await(e.getKey() + " lists every segment").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> HlsCheck.listedSegments(relay, stream) >= expected.size());
            assertThat(HlsCheck.servedHashes(relay, stream)).as("segments served by %s vs what ffmpeg uploaded", e.getKey())
                    .containsExactlyElementsOf(expected);
        }
        JavaService player = cluster.relays.entrySet().stream().filter(e -> !e.getKey().equals(gone) && !e.getKey().equals("r0"))
                .reduce((a, b) -> b).orElseThrow().getValue();
        Ffmpeg.play(player.base() + "/live/" + stream + "/index.m3u8", expected.size() - 0.5, dir.resolve("play.log"));
    }
}
