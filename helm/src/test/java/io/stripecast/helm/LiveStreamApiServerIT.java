package io.stripecast.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.stripecast.crds.IngestSpec;
import io.stripecast.crds.IceServerSpec;
import io.stripecast.crds.LiveStream;
import io.stripecast.crds.LiveStreamSpec;
import io.stripecast.crds.LiveStreamStatus;
import io.stripecast.crds.MeshSpec;
import io.stripecast.crds.PlaybackSigningSpec;
import io.stripecast.crds.PlaybackSpec;
import io.stripecast.protocol.trust.PlaybackTokens;
import io.stripecast.crds.PushIngest;
import io.stripecast.crds.SecretKeyRef;
import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.FreePorts;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A LiveStream on a real API server, carried by relays of the chart's RelayPool that run as local processes (pods
 * cannot run here): the operator, with the chart's ServiceAccount token, plans the stream, ffmpeg pushes to the
 * pool's ingest relay, every relay serves every segment byte for byte, and the status says Ready=True Carrying with
 * the forest's figures. A missing Secret and a missing pool give their conditions, k + m over 32 is refused by the
 * server's CEL rule, and deleting the LiveStream withdraws the stream through the controller's finalizer.
 */
class LiveStreamApiServerIT {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final Path DIR = Path.of("target", "apiserver-it", "livestream");
    static final String POOL = "edge";
    static final String KEY = "apiserver-it-publisher-key";
    static final int RELAYS = 6;
    static final int SECONDS = 12;
    static final ObjectMapper JSON = new ObjectMapper();

    static RealApiServer api;
    static KubernetesClient admin;
    static InstalledChart chart;
    static JavaService controller;
    static final Map<String, JavaService> relays = new LinkedHashMap<>();

    @BeforeAll
    static void installTheChartAndStartTheOperatorAndThePoolsRelays() throws Exception {
        HlsCheck.deleteRecursively(DIR);
        api = RealApiServer.shared();
        admin = api.admin();
        chart = InstalledChart.install(api, api.namespace("livestream"), Map.of("relayPool.create", true));
        controller = chart.startController("stripecast-controller-0", Map.of(
                "stripecast.operator.status-interval", "1s",
                "stripecast.controller.heartbeat", "500ms",
                "stripecast.controller.adopt-for", "1s"), DIR.resolve("logs")).awaitReady();
        await("the controller leads").atMost(WAIT).until(() -> Files.readString(controller.log).contains("holds Lease"));
        for (int i = 0; i < RELAYS; i++) {
            // What the pool's pods are told by the operator (RelayPoolModel's env), on loopback.
            Map<String, String> r = new LinkedHashMap<>();
            r.put("stripecast.relay.controller", "127.0.0.1:" + controller.grpcPort);
            r.put("stripecast.relay.pool", POOL);
            r.put("stripecast.relay.ingest", String.valueOf(i == 0));
            r.put("stripecast.relay.uplink-mbps", "20");
            relays.put("r" + i, JavaService.relay("r" + i, FreePorts.next(), FreePorts.next(), r, DIR.resolve("logs")));
        }
        relays.values().forEach(JavaService::awaitReady);
        admin.secrets().inNamespace(chart.namespace).resource(new SecretBuilder()
                .withMetadata(new ObjectMetaBuilder().withName("live-key").build())
                .withStringData(Map.of("key", KEY)).build()).create();
    }

    @AfterAll
    static void stop() {
        relays.values().forEach(JavaService::close);
        if (controller != null) {
            controller.close();
        }
    }

    static LiveStream stream(String name, int k, int m, String pool, String secret) {
        LiveStream s = new LiveStream();
        s.setMetadata(new ObjectMetaBuilder().withName(name).build());
        LiveStreamSpec spec = new LiveStreamSpec();
        spec.k = k;
        spec.m = m;
        spec.windowSeconds = 120;
        spec.bitrateHintMbps = 1.0;
        spec.relayPool = pool;
        spec.ingest = new IngestSpec();
        spec.ingest.push = new PushIngest();
        spec.ingest.push.keySecretRef = new SecretKeyRef();
        spec.ingest.push.keySecretRef.name = secret;
        s.setSpec(spec);
        return s;
    }

    static LiveStream get(String name) {
        return admin.resources(LiveStream.class).inNamespace(chart.namespace).withName(name).get();
    }

    static Condition ready(String name) {
        LiveStream s = get(name);
        LiveStreamStatus status = s == null ? null : s.getStatus();
        if (status == null || status.conditions == null) {
            return null;
        }
        return status.conditions.stream().filter(c -> "Ready".equals(c.getType())).findFirst().orElse(null);
    }

    @Test
    void aLiveStreamIsCarriedEndToEndAndWithdrawnWhenDeleted() throws Exception {
        admin.resources(LiveStream.class).inNamespace(chart.namespace).resource(stream("live", 2, 1, POOL, "live-key")).create();
        await("Ready=True Carrying").atMost(WAIT).until(() -> {
            Condition c = ready("live");
            return c != null && "True".equals(c.getStatus()) && "Carrying".equals(c.getReason()) && get("live").getStatus().relays == RELAYS;
        });
        LiveStreamStatus status = get("live").getStatus();
        assertThat(status.ingestRelay).isEqualTo("r0");
        assertThat(status.stripes).hasSize(3);
        assertThat(status.stripes).filteredOn(s -> s.parity).hasSize(1);
        assertThat(status.maxDepth).isPositive();
        assertThat(status.observedGeneration).isEqualTo(get("live").getMetadata().getGeneration());
        assertThat(get("live").getMetadata().getFinalizers()).as("the controller's finalizer").isNotEmpty();

        Path source = Ffmpeg.source(DIR.resolve("media"));
        Process ffmpeg = Ffmpeg.push(source, SECONDS, relays.get("r0").base() + "/ingest/live/index.m3u8", false, false, KEY,
                DIR.resolve("ffmpeg-out"), DIR.resolve("ffmpeg-push.log"));
        assertThat(ffmpeg.waitFor(90, TimeUnit.SECONDS)).as("ffmpeg finished").isTrue();
        List<String> expected = HlsCheck.localHashes(DIR.resolve("ffmpeg-out"));
        assertThat(expected).hasSizeGreaterThanOrEqualTo(SECONDS - 2);
        RelayPods.awaitEverySegmentAtEveryRelay(relays, "live", expected, WAIT);
        await("the status counts the segments").atMost(WAIT)
                .until(() -> get("live").getStatus().segmentsIngested != null && get("live").getStatus().segmentsIngested >= expected.size());

        admin.resources(LiveStream.class).inNamespace(chart.namespace).withName("live").delete();
        await("the finalizer ran and the LiveStream is gone").atMost(WAIT).until(() -> get("live") == null);
        await("the controller withdrew the stream").atMost(WAIT).until(() -> !streamNames().contains("live"));
    }

    static List<String> streamNames() throws Exception {
        List<String> names = new ArrayList<>();
        for (JsonNode s : JSON.readTree(controller.getText("/api/v1/streams"))) {
            names.add(s.path("name").asText());
        }
        return names;
    }

    @Test
    void aMissingSecretGivesSecretNotFound() {
        admin.resources(LiveStream.class).inNamespace(chart.namespace).resource(stream("nokey", 2, 1, POOL, "absent")).create();
        await("Ready=False SecretNotFound").atMost(WAIT).until(() -> {
            Condition c = ready("nokey");
            return c != null && "False".equals(c.getStatus()) && "SecretNotFound".equals(c.getReason());
        });
    }

    @Test
    void aMissingPoolGivesRelayPoolNotFound() {
        admin.resources(LiveStream.class).inNamespace(chart.namespace).resource(stream("nopool", 2, 1, "ghost", "live-key")).create();
        await("Ready=False RelayPoolNotFound").atMost(WAIT).until(() -> {
            Condition c = ready("nopool");
            return c != null && "False".equals(c.getStatus()) && "RelayPoolNotFound".equals(c.getReason());
        });
    }

    @Test
    void moreThan32StripesAreRefusedByTheServer() {
        // The CRD's CEL rule refuses it before the controller could see it: the user gets the reason at once.
        assertThatThrownBy(() -> admin.resources(LiveStream.class).inNamespace(chart.namespace)
                .resource(stream("wide", 30, 3, POOL, "live-key")).create())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(422);
                    assertThat(e.getMessage()).contains("k + m must be at most 32");
                });
    }

    @Test
    void theLiveStreamsStunAndTurnSettingsReachEveryEdgesPlayerPage() throws Exception {
        admin.secrets().inNamespace(chart.namespace).resource(new SecretBuilder()
                .withMetadata(new ObjectMetaBuilder().withName("turn").build())
                .withStringData(Map.of("secret", "apiserver-it-turn-secret")).build()).create();
        LiveStream s = stream("meshed", 2, 1, POOL, "live-key");
        s.getSpec().mesh = new MeshSpec();
        s.getSpec().mesh.enabled = true;
        s.getSpec().mesh.iceServers = List.of(ice("stun:stun.example.com:3478"), ice("turn:127.0.0.1:3478?transport=udp"));
        s.getSpec().mesh.iceTransportPolicy = "relay";
        s.getSpec().mesh.turnSecretRef = new SecretKeyRef();
        s.getSpec().mesh.turnSecretRef.name = "turn";
        s.getSpec().mesh.turnSecretRef.key = "secret";
        s.getSpec().mesh.turnCredentialTtlSeconds = 600;
        admin.resources(LiveStream.class).inNamespace(chart.namespace).resource(s).create();
        await("Ready=True Carrying").atMost(WAIT).until(() -> {
            Condition c = ready("meshed");
            return c != null && "True".equals(c.getStatus()) && "Carrying".equals(c.getReason());
        });
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA1");
        mac.init(new javax.crypto.spec.SecretKeySpec("apiserver-it-turn-secret".getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
        for (var e : relays.entrySet()) {
            JsonNode config = await(e.getKey() + " serves the stream's player page").atMost(WAIT).ignoreExceptions()
                    .until(() -> pageConfig(e.getValue(), "meshed"), c -> c.path("iceServers").size() == 2);
            assertThat(config.path("iceTransportPolicy").asText()).isEqualTo("relay");
            JsonNode stun = config.path("iceServers").get(0);
            JsonNode turn = config.path("iceServers").get(1);
            assertThat(stun.path("urls").asText()).isEqualTo("stun:stun.example.com:3478");
            assertThat(stun.has("credential")).as("STUN needs no credential").isFalse();
            assertThat(turn.path("urls").asText()).isEqualTo("turn:127.0.0.1:3478?transport=udp");
            String user = turn.path("username").asText();
            assertThat(user).matches("\\d+:meshed");
            long expiry = Long.parseLong(user.substring(0, user.indexOf(':')));
            assertThat(expiry - System.currentTimeMillis() / 1000).as("%s: the credential expires after the LiveStream's TTL", e.getKey())
                    .isBetween(500L, 601L);
            assertThat(turn.path("credential").asText()).as("%s: the TURN REST credential coturn would check", e.getKey())
                    .isEqualTo(Base64.getEncoder().encodeToString(mac.doFinal(user.getBytes(StandardCharsets.UTF_8))));
            assertThat(e.getValue().getText("/live/meshed/")).as("the secret itself never reaches a page")
                    .doesNotContain("apiserver-it-turn-secret");
        }
        admin.resources(LiveStream.class).inNamespace(chart.namespace).withName("meshed").delete();
    }

    @Test
    void aSignedLiveStreamsKeyReachesEveryRelayWhichRefusesUnsignedViewers() throws Exception {
        String key = "apiserver-it-playback-signing-key-0123456789";
        admin.secrets().inNamespace(chart.namespace).resource(new SecretBuilder()
                .withMetadata(new ObjectMetaBuilder().withName("playback-signing").build())
                .withStringData(Map.of("key", key)).build()).create();
        LiveStream s = stream("signed", 2, 1, POOL, "live-key");
        s.getSpec().playback = new PlaybackSpec();
        s.getSpec().playback.signing = new PlaybackSigningSpec();
        s.getSpec().playback.signing.secretRef = new SecretKeyRef();
        s.getSpec().playback.signing.secretRef.name = "playback-signing";
        admin.resources(LiveStream.class).inNamespace(chart.namespace).resource(s).create();
        await("Ready=True Carrying").atMost(WAIT).until(() -> {
            Condition c = ready("signed");
            return c != null && "True".equals(c.getStatus()) && "Carrying".equals(c.getReason());
        });
        String token = PlaybackTokens.query(key, "signed", System.currentTimeMillis() / 1000 + 600);
        for (var e : relays.entrySet()) {
            String page = e.getValue().base() + "/live/signed/";
            await(e.getKey() + " serves the signed page with a token").atMost(WAIT).ignoreExceptions()
                    .until(() -> status(page + "?" + token) == 200);
            assertThat(status(page)).as("%s: the page without a token", e.getKey()).isEqualTo(403);
            assertThat(status(e.getValue().base() + "/live/signed/index.m3u8")).as("%s: the playlist without a token", e.getKey())
                    .isEqualTo(403);
            assertThat(status(page + "?" + PlaybackTokens.query(key, "meshed", System.currentTimeMillis() / 1000 + 600)))
                    .as("%s: another stream's token", e.getKey()).isEqualTo(403);
        }
        admin.resources(LiveStream.class).inNamespace(chart.namespace).withName("signed").delete();
    }

    static int status(String url) throws Exception {
        return JavaService.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    static IceServerSpec ice(String url) {
        IceServerSpec server = new IceServerSpec();
        server.url = url;
        return server;
    }

    /** The JSON configuration the edge writes into its player page. */
    static JsonNode pageConfig(JavaService relay, String stream) throws Exception {
        String html = relay.getText("/live/" + stream + "/");
        int start = html.indexOf("const config = ") + "const config = ".length();
        return JSON.readTree(html.substring(start, html.indexOf(";\n", start)));
    }
}
