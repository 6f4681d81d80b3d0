package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.stripecast.protocol.trust.PublisherKeys;
import io.stripecast.crds.IngestSpec;
import io.stripecast.crds.LiveStream;
import io.stripecast.crds.LiveStreamSpec;
import io.stripecast.crds.LiveStreamStatus;
import io.stripecast.crds.MeshSpec;
import io.stripecast.crds.PlaybackSigningSpec;
import io.stripecast.crds.PlaybackSpec;
import io.stripecast.crds.PullIngest;
import io.stripecast.crds.PushIngest;
import io.stripecast.crds.SecretKeyRef;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A LiveStream becomes a planned forest with a status, or Ready=False with a reason; others are untouched. */
@QuarkusTest
@TestProfile(OperatorProfile.class)
@WithKubernetesTestServer(crud = true)
class LiveStreamReconcilerTest extends OperatorTestSupport {
    private void poolWithRelays(String pool, int relayCount) {
        if (client.resources(io.stripecast.crds.RelayPool.class).withName(pool).get() == null) {
            client.resource(RelayPoolReconcilerTest.pool(pool, relayCount)).create();
        }
        relays.add(new FakeRelay(channel, pool + "-ingest-0", pool, true, 22000 + relays.size()));
        for (int i = 0; i < relayCount; i++) {
            relays.add(new FakeRelay(channel, pool + "-r" + i, pool, false, 22000 + relays.size()));
        }
    }

    private static LiveStream pushStream(String name, String pool, int k, int m, String secret) {
        LiveStream s = new LiveStream();
        s.setMetadata(new ObjectMetaBuilder().withName(name).build());
        LiveStreamSpec spec = new LiveStreamSpec();
        spec.k = k;
        spec.m = m;
        spec.relayPool = pool;
        spec.ingest = new IngestSpec();
        spec.ingest.push = new PushIngest();
        spec.ingest.push.keySecretRef = new SecretKeyRef();
        spec.ingest.push.keySecretRef.name = secret;
        s.setSpec(spec);
        return s;
    }

    private void secret(String name, String key) {
        client.resource(new SecretBuilder().withNewMetadata().withName(name).endMetadata()
                .withData(Map.of("key", java.util.Base64.getEncoder().encodeToString(key.getBytes()))).build()).create();
    }

    private Condition ready(String stream) {
        LiveStream s = client.resources(LiveStream.class).withName(stream).get();
        return s == null || s.getStatus() == null ? null : StatusConditions.find(s.getStatus().conditions, "Ready");
    }

    private void awaitReady(String stream, String status, String reason) {
        await().atMost(WAIT).untilAsserted(() -> {
            Condition c = ready(stream);
            assertThat(c).as("Ready of %s", stream).isNotNull();
            assertThat(c.getStatus() + "/" + c.getReason()).isEqualTo(status + "/" + reason);
        });
    }

    @Test
    void validStreamIsPlannedOnItsPoolAndReportsItsForest() {
        poolWithRelays("cinema", 4);
        relays.add(new FakeRelay(channel, "elsewhere-r0", "elsewhere", false, 22900));
        secret("cinema-key", "s3cret-key-0123456789");
        LiveStream stream = pushStream("premiere", "cinema", 3, 1, "cinema-key");
        stream.getSpec().mesh = new MeshSpec();
        stream.getSpec().mesh.enabled = true;
        stream.getSpec().mesh.maxPeers = 5;
        client.resource(stream).create();

        awaitReady("premiere", "True", "Carrying");
        LiveStreamStatus status = client.resources(LiveStream.class).withName("premiere").get().getStatus();
        assertThat(status.relays).isEqualTo(5);
        assertThat(status.ingestRelay).isEqualTo("cinema-ingest-0");
        assertThat(status.stripes).hasSize(4);
        assertThat(status.stripes.get(3).parity).isTrue();
        assertThat(status.maxDepth).isBetween(1, 3);
        assertThat(status.observedGeneration).isEqualTo(1L);
        assertThat(StatusConditions.find(status.conditions, "Degraded").getStatus()).isEqualTo("False");

        // The root gets the key from the Secret; every carrier gets the mesh settings; the other pool gets nothing.
        FakeRelay root = relays.get(0);
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(root.assignment("premiere")).isNotNull();
            assertThat(root.assignment("premiere").getRoot()).isTrue();
            // Only what verifies the key, never the key (issue 16).
            assertThat(PublisherKeys.matches(root.assignment("premiere").getParams().getPublisherKeyVerifier(), "s3cret-key-0123456789")).isTrue();
            assertThat(root.assignment("premiere").toString()).doesNotContain("s3cret-key-0123456789");
            assertThat(relays.get(1).assignment("premiere").getParams().hasPublisherKeyVerifier()).isFalse();
            assertThat(relays.get(1).assignment("premiere").getParams().getMeshMaxPeers()).isEqualTo(5);
            assertThat(relays.get(1).assignment("premiere").getParentsCount()).isEqualTo(4);
        });
        assertThat(relays.get(relays.size() - 1).assignment("premiere")).isNull();
    }

    @Test
    void invalidSpecIsNotReadyAndLeavesOtherStreamsAlone() {
        poolWithRelays("arena", 2);
        LiveStream pull = new LiveStream();
        pull.setMetadata(new ObjectMetaBuilder().withName("arena-main").build());
        pull.setSpec(new LiveStreamSpec());
        pull.getSpec().k = 2;
        pull.getSpec().relayPool = "arena";
        pull.getSpec().ingest = new IngestSpec();
        pull.getSpec().ingest.pull = new PullIngest();
        pull.getSpec().ingest.pull.url = "http://origin.example/live/index.m3u8";
        client.resource(pull).create();
        awaitReady("arena-main", "True", "Carrying");

        // The mock API server enforces no schema: the operator's own checks must catch k + m > 32.
        client.resource(pushStream("too-wide", "arena", 30, 3, "whatever")).create();
        awaitReady("too-wide", "False", "InvalidSpec");
        assertThat(ready("too-wide").getMessage()).contains("k + m must be at most 32");
        assertThat(coordinator.streamNames()).doesNotContain("too-wide").contains("arena-main");
        assertThat(ready("arena-main").getStatus()).isEqualTo("True");
        assertThat(relays.get(0).assignment("arena-main").getParams().getPullUrl()).isEqualTo("http://origin.example/live/index.m3u8");
    }

    @Test
    void missingSecretIsNotReadyUntilItAppears() {
        poolWithRelays("studio", 2);
        client.resource(pushStream("studio-live", "studio", 2, 1, "studio-key")).create();
        awaitReady("studio-live", "False", "SecretNotFound");
        assertThat(coordinator.streamNames()).doesNotContain("studio-live");

        secret("studio-key", "k-123-0123456789abc");
        awaitReady("studio-live", "True", "Carrying");
    }

    @Test
    void aShortPublisherKeyIsNotReadyAndSaysWhy() {
        poolWithRelays("club", 2);
        secret("club-key", "short-key");
        client.resource(pushStream("club-live", "club", 2, 1, "club-key")).create();
        awaitReady("club-live", "False", "InvalidSecret");
        assertThat(ready("club-live").getMessage()).contains("at least", "16").doesNotContain("short-key");
        assertThat(coordinator.streamNames()).doesNotContain("club-live");
    }

    @Test
    void thePlaybackSigningKeyReachesEveryRelayOfTheStreamAndBadSecretsAreNotReady() {
        poolWithRelays("museum", 2);
        secret("museum-key", "museum-publisher-key-0123");
        LiveStream stream = pushStream("museum-live", "museum", 2, 1, "museum-key");
        stream.getSpec().playback = new PlaybackSpec();
        stream.getSpec().playback.signing = new PlaybackSigningSpec();
        stream.getSpec().playback.signing.secretRef = new SecretKeyRef();
        stream.getSpec().playback.signing.secretRef.name = "museum-playback";
        client.resource(stream).create();
        awaitReady("museum-live", "False", "SecretNotFound");
        assertThat(ready("museum-live").getMessage()).contains("playback signing key");
        assertThat(coordinator.streamNames()).doesNotContain("museum-live");

        // A key too short to resist offline guessing from any signed URL: not carried, the message says the bound only.
        secret("museum-playback", "short-playback-key");
        awaitReady("museum-live", "False", "InvalidSecret");
        assertThat(ready("museum-live").getMessage()).contains("at least", "32").doesNotContain("short-playback-key");

        String key = "museum-playback-signing-key-0123456789";
        client.secrets().withName("museum-playback").edit(s -> new SecretBuilder(s)
                .withData(Map.of("key", java.util.Base64.getEncoder().encodeToString(key.getBytes()))).build());
        awaitReady("museum-live", "True", "Carrying");
        // Every relay of the stream checks viewers' tokens, so every one gets the key (ingest and members alike).
        await().atMost(WAIT).untilAsserted(() -> {
            for (FakeRelay relay : relays.subList(0, 3)) {
                assertThat(relay.assignment("museum-live")).as(relay.toString()).isNotNull();
                assertThat(relay.assignment("museum-live").getParams().getPlaybackSigningKey()).isEqualTo(key);
            }
        });
    }

    @Test
    void missingPoolAndTakenNameAreNotReady() {
        client.resource(pushStream("orphan", "no-such-pool", 2, 1, "x")).create();
        awaitReady("orphan", "False", "RelayPoolNotFound");

        // "live" is declared in the controller's own configuration (application.properties).
        poolWithRelays("stage", 1);
        secret("stage-key", "abc-0123456789abcdef");
        client.resource(pushStream("live", "stage", 2, 1, "stage-key")).create();
        awaitReady("live", "False", "NameConflict");
    }

    @Test
    void deletingItsRelayPoolWithdrawsTheStream() {
        poolWithRelays("festival", 2);
        secret("festival-key", "f-key-0123456789abcd");
        client.resource(pushStream("festival-live", "festival", 2, 1, "festival-key")).create();
        awaitReady("festival-live", "True", "Carrying");

        client.resources(io.stripecast.crds.RelayPool.class).withName("festival").delete();

        awaitReady("festival-live", "False", "RelayPoolNotFound");
        assertThat(coordinator.streamNames()).doesNotContain("festival-live");
        await().atMost(WAIT).until(() -> relays.get(1).assignment("festival-live") == null);
    }

    @Test
    void deletingTheStreamStopsItsForest() {
        poolWithRelays("gallery", 2);
        secret("gallery-key", "g-key-0123456789abcd");
        client.resource(pushStream("opening", "gallery", 2, 1, "gallery-key")).create();
        awaitReady("opening", "True", "Carrying");
        FakeRelay carrier = relays.get(1);
        await().atMost(WAIT).until(() -> carrier.assignment("opening") != null);

        client.resources(LiveStream.class).withName("opening").delete();

        await().atMost(WAIT).until(() -> client.resources(LiveStream.class).withName("opening").get() == null);
        assertThat(coordinator.streamNames()).doesNotContain("opening");
        await().atMost(WAIT).until(() -> carrier.assignment("opening") == null);
    }
}
