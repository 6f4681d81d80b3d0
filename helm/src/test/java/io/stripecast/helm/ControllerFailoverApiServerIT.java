package io.stripecast.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.FreePorts;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * High availability end to end on a real API server: the chart is installed, two controller processes run as its
 * two replicas would (its Deployment's env, its ServiceAccount's token) and elect a leader on a real Lease; eight
 * relays are pointed at the standby and are redirected to the leader; the leader is SIGKILLed mid-stream, the
 * standby takes the Lease once it expires, the relays reach it, it adopts the forest without moving anyone, and no
 * relay misses a segment.
 */
class ControllerFailoverApiServerIT {
    private static final int SECONDS = 24;
    private static final Path DIR = Path.of("target", "apiserver-it", "ctl-failover");
    private static final String KEY = "failover-publisher-key-0123";
    private static final ObjectMapper JSON = new ObjectMapper();

    private InstalledChart chart;
    private final List<JavaService> processes = new ArrayList<>();

    @AfterEach
    void stop() {
        processes.forEach(JavaService::close);
    }

    private JavaService controller(String id) throws Exception {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("stripecast.controller.heartbeat", "500ms");
        s.put("stripecast.controller.dead-after", "2s");
        s.put("stripecast.controller.adopt-for", "3s");
        s.put("stripecast.operator.lease-duration", "3s");
        s.put("stripecast.operator.renew-deadline", "2s");
        s.put("stripecast.operator.retry-period", "250ms");
        s.put("stripecast.streams.live.k", "3");
        s.put("stripecast.streams.live.m", "1");
        s.put("stripecast.streams.live.window", "120s");
        s.put("stripecast.streams.live.key", KEY);
        s.put("stripecast.streams.live.ingest-relay", "r0");
        JavaService c = chart.startController(id, s, DIR.resolve("logs"));
        processes.add(c);
        return c;
    }

    private static int connectedRelays(JavaService controller) {
        try {
            return JSON.readTree(controller.getText("/api/v1/relays")).size();
        } catch (Exception e) {
            return -1;
        }
    }

    private static JsonNode forest(JavaService controller) throws Exception {
        return JSON.readTree(controller.getText("/api/v1/streams/live/forest"));
    }

    @Test
    void relaysFollowTheLeaseToTheNewLeaderAndLoseNoSegment() throws Exception {
        HlsCheck.deleteRecursively(DIR);
        Path source = Ffmpeg.source(DIR.resolve("media"));
        RealApiServer api = RealApiServer.shared();
        chart = InstalledChart.install(api, api.namespace("failover"), Map.of());
        JavaService a = controller("stripecast-controller-a").awaitReady();
        await("controller-a holds the Lease").atMost(Duration.ofSeconds(30))
                .until(() -> Files.readString(a.log).contains("holds Lease"));
        JavaService b = controller("stripecast-controller-b").awaitReady();
        await("controller-b stands by").atMost(Duration.ofSeconds(30))
                .until(() -> Files.readString(b.log).contains("stands by"));

        Map<String, JavaService> relays = new LinkedHashMap<>();
        for (int i = 0; i < 8; i++) {
            Map<String, String> r = new LinkedHashMap<>();
            // Every relay is sent to the standby first: it must be redirected to the leader.
            r.put("stripecast.relay.controller", "127.0.0.1:" + b.grpcPort);
            r.put("stripecast.relay.uplink-mbps", "20");
            r.put("stripecast.relay.reconnect-max", "1s");
            JavaService relay = JavaService.relay("r" + i, FreePorts.next(), FreePorts.next(), r, DIR.resolve("logs"));
            processes.add(relay);
            relays.put("r" + i, relay);
        }
        relays.values().forEach(JavaService::awaitReady);
        await("all relays redirected to the leader").atMost(Duration.ofSeconds(30)).until(() -> connectedRelays(a) == 8);
        assertThat(connectedRelays(b)).as("the standby keeps no sessions").isZero();
        await("forest sound").atMost(Duration.ofSeconds(30)).until(() -> forest(a).get("check").get("ok").asBoolean());
        List<Map<String, String>> before = parents(forest(a));

        Process ffmpeg = Ffmpeg.push(source, SECONDS, relays.get("r0").base() + "/ingest/live/index.m3u8", false, false, KEY,
                DIR.resolve("ffmpeg-out"), DIR.resolve("ffmpeg-push.log"));
        await("8 segments in").atMost(Duration.ofSeconds(60))
                .until(() -> relays.get("r0").metric("stripecast_relay_ingest_segments_total") >= 8);

        long killed = System.nanoTime();
        a.kill();
        await("the standby took the Lease").atMost(Duration.ofSeconds(30))
                .until(() -> Files.readString(b.log).contains("holds Lease"));
        Lease lease = api.admin().leases().inNamespace(chart.namespace).withName(InstalledChart.CONTROLLER + "-leader").get();
        assertThat(lease.getSpec().getHolderIdentity()).as("the Lease on the server").startsWith("stripecast-controller-b@");
        await("all relays reached the new leader").atMost(Duration.ofSeconds(30)).until(() -> connectedRelays(b) == 8);
        double failoverSeconds = (System.nanoTime() - killed) / 1e9;
        await("new leader adopted the forest").atMost(Duration.ofSeconds(30))
                .until(() -> forest(b).get("relays").asInt() == 8 && forest(b).get("check").get("ok").asBoolean());
        assertThat(parents(forest(b))).as("adoption moved nobody").isEqualTo(before);
        System.out.printf("failover: leader killed -> all 8 relays on the new leader in %.1f s (lease 3 s)%n", failoverSeconds);

        assertThat(ffmpeg.waitFor(90, TimeUnit.SECONDS)).as("ffmpeg finished").isTrue();
        List<String> expected = HlsCheck.localHashes(DIR.resolve("ffmpeg-out"));
        assertThat(expected).hasSizeGreaterThanOrEqualTo(SECONDS - 2);
        RelayPods.awaitEverySegmentAtEveryRelay(relays, "live", expected, Duration.ofSeconds(30));
    }

    private static List<Map<String, String>> parents(JsonNode forest) {
        List<Map<String, String>> out = new ArrayList<>();
        for (JsonNode stripe : forest.get("stripes")) {
            Map<String, String> m = new java.util.TreeMap<>();
            stripe.get("parents").fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
            out.add(m);
        }
        return out;
    }
}
