package io.stripecast.helm;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.stripecast.crds.LiveStream;
import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.FreePorts;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import io.stripecast.protocol.trust.CertificateAuthority;
import io.stripecast.protocol.trust.Credentials;
import io.stripecast.protocol.trust.GrpcTls;
import io.stripecast.protocol.trust.LiveCredentials;
import io.stripecast.protocol.trust.PeerIdentity;
import io.stripecast.protocol.trust.Pem;
import io.stripecast.protocol.trust.TrustBundle;
import io.stripecast.protocol.v1.ShardPushGrpc;
import io.stripecast.protocol.v1.SignRequest;
import io.stripecast.protocol.v1.SubscribeRequest;
import io.stripecast.protocol.v1.TrustGrpc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The CA roll (docs/trust.md, "Rotation") on a real API server, with the chart's defaults but short times: leaves of
 * 15 s, a propagation delay of 3 s. Six local relays stand in for pods (a Pod object each, as in
 * {@link RelayCertificatesApiServerIT}), their CA file kept in step with {@code stripecast-cluster-ca-cert} as the
 * kubelet would ({@link MountedSecret}). While a stream flows through them, the annotation {@code stripecast.io/renew-ca}
 * starts a roll: the bundle holds both CAs, leaves come from the new one, the old one is dropped; every segment
 * reaches every relay byte for byte, and at the end every certificate chains to the new CA and a certificate of the
 * old one is refused.
 */
class CaRotationApiServerIT {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final Path DIR = Path.of("target", "apiserver-it", "ca-rotation");
    static final String POOL = "edge";
    static final String KEY = "apiserver-it-ca-rotation-key";
    static final String CA_SECRET = "stripecast-cluster-ca";
    static final String CA_CERT_SECRET = "stripecast-cluster-ca-cert";
    static final int RELAYS = 6;
    static final int SECONDS = 34;
    static final Duration LIFETIME = Duration.ofSeconds(15);
    static final Duration PROPAGATION = Duration.ofSeconds(3);

    static RealApiServer api;
    static KubernetesClient admin;
    static InstalledChart chart;
    static JavaService controller;
    static MountedSecret mounted;
    static final Map<String, JavaService> relays = new LinkedHashMap<>();

    @BeforeAll
    static void installTheChartAndStartTheControllerAndSixRelaysOnTheMountedCaFile() throws Exception {
        HlsCheck.deleteRecursively(DIR);
        api = RealApiServer.shared();
        admin = api.admin();
        chart = InstalledChart.install(api, api.namespace("carotation"), Map.of("relayPool.create", true,
                "tls.leafLifetime", LIFETIME.toSeconds() + "s", "tls.caPropagationDelay", PROPAGATION.toSeconds() + "s"));
        controller = chart.startController("stripecast-controller-0", Map.of(
                "stripecast.tls.plaintext", "false",
                "stripecast.tls.sign-per-address-per-second", "20",
                "stripecast.operator.status-interval", "1s",
                "stripecast.controller.heartbeat", "500ms",
                "stripecast.controller.adopt-for", "1s"), DIR.resolve("logs")).awaitReady();
        await("the controller leads").atMost(WAIT).until(() -> Files.readString(controller.log).contains("holds Lease"));
        await("the CA certificate Secret").atMost(WAIT).until(() -> secret(CA_CERT_SECRET) != null);
        mounted = MountedSecret.mount(admin, chart.namespace, CA_CERT_SECRET, "ca.crt", DIR.resolve("cluster-ca").resolve("ca.crt"),
                Duration.ofMillis(250));
        for (int i = 0; i < RELAYS; i++) {
            String id = "r" + i;
            RelayPods.create(admin, chart.namespace, id, POOL, "127.0.0.1");
            relays.put(id, JavaService.relay(id, FreePorts.next(), FreePorts.next(),
                    RelayPods.issuedSettings(controller.grpcPort, POOL, i == 0, mounted.file), DIR.resolve("logs")));
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
        if (mounted != null) {
            mounted.close();
        }
    }

    static Secret secret(String name) {
        return admin.secrets().inNamespace(chart.namespace).withName(name).get();
    }

    static List<X509Certificate> certificates(Secret s, String key) throws Exception {
        return Pem.parseCertificates(Base64.getDecoder().decode(s.getData().get(key)), s.getMetadata().getName() + "/" + key);
    }

    static String phase() {
        Map<String, String> a = secret(CA_SECRET).getMetadata().getAnnotations();
        return a == null ? null : a.get("stripecast.io/ca-rotation-phase");
    }

    @Test
    void aCaRollStartedByTheAnnotationKeepsTheStreamWholeAndEndsWithEveryCertificateFromTheNewCa() throws Exception {
        Secret before = secret(CA_SECRET);
        X509Certificate oldCa = certificates(before, "ca.crt").get(0);
        CertificateAuthority old = new CertificateAuthority(Pem.parseKey(new String(Base64.getDecoder().decode(before.getData().get("ca.key")),
                StandardCharsets.US_ASCII)), oldCa);
        // What a relay would hold had it slept through the roll: a certificate of the old CA, valid for an hour.
        Credentials stale = old.issue(PeerIdentity.relay(POOL, "stale"), Duration.ofHours(1));
        for (JavaService r : relays.values()) {
            RelayPods.served(r.grpcPort).verify(oldCa.getPublicKey());
        }
        assertThat(controller.metric("stripecast_controller_ca_rotation_phase")).isZero();
        assertThat(controller.metric("stripecast_controller_ca_expiry_seconds")).isGreaterThan(Duration.ofDays(365).toSeconds());

        admin.resources(LiveStream.class).inNamespace(chart.namespace)
                .resource(LiveStreamApiServerIT.stream("live", 2, 1, POOL, "live-key")).create();
        RelayPods.awaitCarrying(admin, chart.namespace, "live", RELAYS, WAIT);
        Path source = Ffmpeg.source(DIR.resolve("media"));
        Process ffmpeg = Ffmpeg.push(source, SECONDS, relays.get("r0").base() + "/ingest/live/index.m3u8", false, false, KEY,
                DIR.resolve("ffmpeg-out"), DIR.resolve("ffmpeg-push.log"));
        for (var e : relays.entrySet()) {
            await(e.getKey() + " carries the stream").atMost(WAIT).pollInterval(Duration.ofMillis(250))
                    .until(() -> HlsCheck.listedSegments(e.getValue(), "live") >= 1);
        }

        // The operator asks for a roll.
        admin.secrets().inNamespace(chart.namespace).withName(CA_SECRET)
                .edit(s -> new SecretBuilder(s).editMetadata().addToAnnotations("stripecast.io/renew-ca", "true").endMetadata().build());

        // Phase 1: both CAs trusted, the old one still issuing.
        await("phase 1").atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> "trust-new".equals(phase()));
        Secret phase1 = secret(CA_SECRET);
        assertThat(phase1.getMetadata().getAnnotations()).as("the request is consumed").doesNotContainKey("stripecast.io/renew-ca");
        X509Certificate newCa = certificates(phase1, "next-ca.crt").get(0);
        assertThat(newCa).isNotEqualTo(oldCa);
        await("the bundle of both CAs published").atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> certificates(secret(CA_CERT_SECRET), "ca.crt"), b -> b.contains(oldCa) && b.contains(newCa));
        assertThat(certificates(secret(CA_CERT_SECRET), "ca.crt")).as("certificates only, never a key").containsExactlyInAnyOrder(oldCa, newCa);
        assertThat(secret(CA_CERT_SECRET).getData()).containsOnlyKeys("ca.crt");

        // Phase 2: issuing from the new CA, the old one still trusted.
        await("phase 2").atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> "issue-new".equals(phase()));
        assertThat(certificates(secret(CA_SECRET), "ca.crt")).containsExactly(newCa);
        assertThat(certificates(secret(CA_CERT_SECRET), "ca.crt")).as("the old CA still in the bundle during the roll")
                .containsExactlyInAnyOrder(newCa, oldCa);
        await("the phase gauge says 2").atMost(WAIT).until(() -> controller.metric("stripecast_controller_ca_rotation_phase") == 2);
        await("the controller presents a certificate of the new CA").atMost(WAIT).ignoreExceptions()
                .untilAsserted(() -> RelayPods.served(controller.grpcPort).verify(newCa.getPublicKey()));
        // The control for the refusal below: while the old CA is trusted, its certificate gets through the handshake.
        assertThat(handshake(stale, oldCa, newCa, relays.get("r1"))).as("the stale certificate while the old CA is trusted")
                .isNotEqualTo(Status.Code.UNAVAILABLE);
        assertThat(signAs(stale, oldCa, newCa)).as("Trust.Sign answers (no pod named stale)").isEqualTo(Status.Code.PERMISSION_DENIED);

        // Phase 3: the old CA gone from both Secrets.
        await("the old CA dropped").atMost(WAIT).pollInterval(Duration.ofMillis(250)).until(() -> phase() == null);
        assertThat(secret(CA_SECRET).getData()).containsOnlyKeys("ca.crt", "ca.key");
        assertThat(certificates(secret(CA_SECRET), "ca.crt")).containsExactly(newCa);
        await("the bundle is the new CA alone").atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> certificates(secret(CA_CERT_SECRET), "ca.crt"), b -> b.equals(List.of(newCa)));
        await("the phase gauge back to 0").atMost(WAIT).until(() -> controller.metric("stripecast_controller_ca_rotation_phase") == 0);
        String log = Files.readString(controller.log);
        assertThat(log).contains("CA rotation phase 1 of 3", "CA rotation phase 2 of 3", "CA rotation phase 3 of 3");

        assertThat(ffmpeg.waitFor(120, TimeUnit.SECONDS)).as("ffmpeg finished").isTrue();
        List<String> expected = HlsCheck.localHashes(DIR.resolve("ffmpeg-out"));
        assertThat(expected).hasSizeGreaterThanOrEqualTo(SECONDS - 2);
        RelayPods.awaitEverySegmentAtEveryRelay(relays, "live", expected, WAIT);

        // After the roll every process presents a certificate of the new CA; one of the old CA is refused.
        for (var e : relays.entrySet()) {
            X509Certificate served = RelayPods.served(e.getValue().grpcPort);
            served.verify(newCa.getPublicKey());
            assertThat(PeerIdentity.of(served)).contains(PeerIdentity.relay(POOL, e.getKey()));
            assertThat(e.getValue().isAlive()).as(e.getKey() + " still runs").isTrue();
        }
        RelayPods.served(controller.grpcPort).verify(newCa.getPublicKey());
        for (var e : relays.entrySet()) {
            await(e.getKey() + " refuses a certificate of the dropped CA").atMost(WAIT).pollInterval(Duration.ofMillis(250))
                    .until(() -> handshake(stale, oldCa, newCa, e.getValue()) == Status.Code.UNAVAILABLE);
        }
        assertThat(signAs(stale, oldCa, newCa)).as("the controller refuses it at the handshake").isEqualTo(Status.Code.UNAVAILABLE);
    }

    /** A subscription to {@code relay}'s data plane presenting {@code own}; the status it ends with. */
    static Status.Code handshake(Credentials own, X509Certificate oldCa, X509Certificate newCa, JavaService relay) {
        // The client trusts both CAs, so a failure can only be the server refusing the certificate it was shown.
        SslContext tls = GrpcTls.clientOfRelay(new LiveCredentials(own, TrustBundle.of(List.of(oldCa, newCa))), relay.id);
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", relay.grpcPort).sslContext(tls).build();
        try {
            ShardPushGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .subscribe(SubscribeRequest.newBuilder().setStream("nothing-here").build()).hasNext();
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        } finally {
            channel.shutdownNow();
        }
    }

    /** Trust.Sign on the controller presenting {@code own}. */
    static Status.Code signAs(Credentials own, X509Certificate oldCa, X509Certificate newCa) {
        SslContext tls = GrpcTls.client(new LiveCredentials(own, TrustBundle.of(List.of(oldCa, newCa))), PeerIdentity.CONTROLLER);
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", controller.grpcPort).sslContext(tls).build();
        try {
            TrustGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .sign(SignRequest.newBuilder().setPool(POOL).setPod("stale").build());
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        } finally {
            channel.shutdownNow();
        }
    }
}
