package io.stripecast.helm;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.stripecast.controller.k8s.RelayPoolModel;
import io.stripecast.crds.LiveStream;
import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.FreePorts;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import io.stripecast.protocol.trust.PeerIdentity;
import io.stripecast.protocol.trust.Pem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The chart's default, mutual TLS with certificates the controller issues, on a real API server: the controller runs
 * on the chart's ServiceAccount token with the chart's environment and no certificate files, so it creates the
 * cluster CA Secret, publishes the CA certificate in {@code stripecast-cluster-ca-cert} and issues its own
 * certificate. Each local relay process stands in for a pod (a Pod object per relay, status.podIP 127.0.0.1); with
 * the settings the operator gives relay Deployments (issuer=controller, the mounted CA) it makes its key, obtains its
 * certificate by CSR, and the pool carries a stream byte for byte while every certificate (leaf lifetime 15 s) is
 * renewed, relays' and the controller's alike. Once every first certificate has expired, a seventh relay joins and a
 * second stream reaches all seven byte for byte: its connections are new, so they stand only on renewed certificates.
 */
class RelayCertificatesApiServerIT {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final Path DIR = Path.of("target", "apiserver-it", "relay-certificates");
    static final String POOL = "edge";
    static final String KEY = "apiserver-it-relay-certificates-key";
    static final int RELAYS = 6;
    static final int SECONDS = 20;
    static final Duration LIFETIME = Duration.ofSeconds(15);

    static RealApiServer api;
    static KubernetesClient admin;
    static InstalledChart chart;
    static JavaService controller;
    static X509Certificate ca;
    static String caPath;
    static final Map<String, JavaService> relays = new LinkedHashMap<>();

    @BeforeAll
    static void installTheChartWithItsDefaultTlsAndStartTheControllerAndThePoolsRelays() throws Exception {
        HlsCheck.deleteRecursively(DIR);
        api = RealApiServer.shared();
        admin = api.admin();
        chart = InstalledChart.install(api, api.namespace("relaycerts"), Map.of("relayPool.create", true,
                "tls.leafLifetime", LIFETIME.toSeconds() + "s"));
        controller = chart.startController("stripecast-controller-0", Map.of(
                // Explicitly not plaintext, and no certificate files: the chart's cluster CA, as in a pod.
                "stripecast.tls.plaintext", "false",
                // All relays here ask from 127.0.0.1; in a cluster every pod has its own address.
                "stripecast.tls.sign-per-address-per-second", "20",
                "stripecast.operator.status-interval", "1s",
                "stripecast.controller.heartbeat", "500ms",
                "stripecast.controller.adopt-for", "1s"), DIR.resolve("logs")).awaitReady();
        await("the controller leads").atMost(WAIT).until(() -> Files.readString(controller.log).contains("holds Lease"));

        // What the kubelet would mount from the Secret the controller published: the CA certificate, alone.
        Secret published = await("the CA certificate Secret").atMost(WAIT)
                .until(() -> admin.secrets().inNamespace(chart.namespace).withName("stripecast-cluster-ca-cert").get(), s -> s != null);
        assertThat(published.getData()).as("the CA certificate alone, never its key").containsOnlyKeys("ca.crt");
        Path mounted = DIR.resolve("cluster-ca");
        Files.createDirectories(mounted);
        Files.write(mounted.resolve("ca.crt"), Base64.getDecoder().decode(published.getData().get("ca.crt")));
        ca = Pem.readCertificate(mounted.resolve("ca.crt"));
        Secret caSecret = admin.secrets().inNamespace(chart.namespace).withName("stripecast-cluster-ca").get();
        assertThat(caSecret.getData()).as("the CA Secret the controller created").containsKeys("ca.crt", "ca.key");
        assertThat(caSecret.getData().get("ca.crt")).isEqualTo(published.getData().get("ca.crt"));

        // The relay settings the operator gives its pods (RelayPoolModel's env), the mount path made local.
        Map<String, String> podEnv = new LinkedHashMap<>();
        // Plain values only (the drain token comes from a Secret, the pod's name and IP from field references).
        relayContainer(POOL).getEnv().stream().filter(e -> e.getValueFrom() == null).forEach(e -> podEnv.put(e.getName(), e.getValue()));
        assertThat(podEnv).containsEntry("STRIPECAST_TLS_ISSUER", "controller")
                .containsEntry("STRIPECAST_TLS_CA", RelayPoolModel.CLUSTER_CA_DIR + "/ca.crt")
                .doesNotContainKey("STRIPECAST_TLS_PLAINTEXT");
        caPath = podEnv.get("STRIPECAST_TLS_CA").replace(RelayPoolModel.CLUSTER_CA_DIR, mounted.toAbsolutePath().toString());
        for (int i = 0; i < RELAYS; i++) {
            String id = "r" + i;
            RelayPods.create(admin, chart.namespace, id, POOL, "127.0.0.1");
            Map<String, String> r = new LinkedHashMap<>();
            r.put("stripecast.relay.controller", "127.0.0.1:" + controller.grpcPort);
            r.put("stripecast.relay.pool", POOL);
            r.put("stripecast.relay.ingest", String.valueOf(i == 0));
            r.put("stripecast.relay.uplink-mbps", "20");
            r.put("stripecast.tls.plaintext", "false");
            r.put("stripecast.tls.issuer", podEnv.get("STRIPECAST_TLS_ISSUER"));
            r.put("stripecast.tls.ca", caPath);
            relays.put(id, JavaService.relay(id, FreePorts.next(), FreePorts.next(), r, DIR.resolve("logs")));
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

    /** A container of the operator's Deployment for the pool's relays, once the operator has made it. */
    static Container relayContainer(String deployment) {
        Deployment d = await("the operator's Deployment " + deployment).atMost(WAIT)
                .until(() -> admin.apps().deployments().inNamespace(chart.namespace).withName(deployment).get(), x -> x != null);
        return d.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    @Test
    void theOperatorsRelayDeploymentsMountTheCaCertificateAndAskTheControllerForCertificates() {
        for (String deployment : List.of(POOL, POOL + "-ingest")) {
            Deployment d = await("Deployment " + deployment).atMost(WAIT)
                    .until(() -> admin.apps().deployments().inNamespace(chart.namespace).withName(deployment).get(), x -> x != null);
            PodSpec pod = d.getSpec().getTemplate().getSpec();
            assertThat(pod.getVolumes()).as(deployment).anySatisfy(v -> {
                assertThat(v.getSecret()).isNotNull();
                assertThat(v.getSecret().getSecretName()).isEqualTo("stripecast-cluster-ca-cert");
            });
            assertThat(pod.getVolumes()).as("%s: never the CA key's Secret", deployment)
                    .noneSatisfy(v -> assertThat(v.getSecret() != null && "stripecast-cluster-ca".equals(v.getSecret().getSecretName())).isTrue());
            assertThat(pod.getContainers().get(0).getVolumeMounts()).as(deployment)
                    .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo(RelayPoolModel.CLUSTER_CA_DIR));
            assertThat(pod.getAutomountServiceAccountToken()).as("relays still need no API rights").isFalse();
        }
    }

    @Test
    void relaysObtainTheirCertificatesByCsrAndCarryTheStreamWhileEveryCertificateRenews() throws Exception {
        Map<String, BigInteger> first = new LinkedHashMap<>();
        Instant firstExpire = Instant.EPOCH;
        for (var e : relays.entrySet()) {
            X509Certificate served = RelayPods.served(e.getValue().grpcPort);
            served.verify(ca.getPublicKey());
            assertThat(PeerIdentity.of(served)).as("%s's certificate names its pod in its pool", e.getKey())
                    .contains(PeerIdentity.relay(POOL, e.getKey()));
            assertThat(Duration.between(served.getNotBefore().toInstant(), served.getNotAfter().toInstant()))
                    .as("the chart's leaf lifetime (plus the CA's 5 min backdating)").isLessThanOrEqualTo(LIFETIME.plusMinutes(5).plusSeconds(1));
            first.put(e.getKey(), served.getSerialNumber());
            firstExpire = firstExpire.isAfter(served.getNotAfter().toInstant()) ? firstExpire : served.getNotAfter().toInstant();
        }
        X509Certificate controllerFirst = RelayPods.served(controller.grpcPort);
        controllerFirst.verify(ca.getPublicKey());
        assertThat(PeerIdentity.of(controllerFirst)).contains(PeerIdentity.CONTROLLER);
        assertThat(controller.metric("stripecast_controller_certificates_issued_total")).isGreaterThanOrEqualTo(RELAYS);

        admin.resources(LiveStream.class).inNamespace(chart.namespace)
                .resource(LiveStreamApiServerIT.stream("live", 2, 1, POOL, "live-key")).create();
        RelayPods.awaitCarrying(admin, chart.namespace, "live", RELAYS, WAIT);

        Path source = Ffmpeg.source(DIR.resolve("media"));
        Process ffmpeg = Ffmpeg.push(source, SECONDS, relays.get("r0").base() + "/ingest/live/index.m3u8", false, false, KEY,
                DIR.resolve("ffmpeg-out"), DIR.resolve("ffmpeg-push.log"));
        assertThat(ffmpeg.waitFor(120, TimeUnit.SECONDS)).as("ffmpeg finished").isTrue();
        List<String> expected = HlsCheck.localHashes(DIR.resolve("ffmpeg-out"));
        assertThat(expected).hasSizeGreaterThanOrEqualTo(SECONDS - 2);
        RelayPods.awaitEverySegmentAtEveryRelay(relays, "live", expected, WAIT);

        // The stream outlived the first certificates (15 s); every process presents a renewed one on new connections.
        for (var e : relays.entrySet()) {
            X509Certificate renewed = await(e.getKey() + " presents a renewed certificate").atMost(WAIT).ignoreExceptions()
                    .until(() -> RelayPods.served(e.getValue().grpcPort), c -> !c.getSerialNumber().equals(first.get(e.getKey())));
            renewed.verify(ca.getPublicKey());
            assertThat(PeerIdentity.of(renewed)).contains(PeerIdentity.relay(POOL, e.getKey()));
            assertThat(Files.readString(e.getValue().log)).as(e.getKey()).contains("certificate renewed");
            assertThat(e.getValue().metric("stripecast_relay_certificate_expiry_seconds")).as("%s: renewed before a third of the lifetime is left", e.getKey())
                    .isGreaterThan(0).isLessThanOrEqualTo(LIFETIME.toSeconds());
        }
        X509Certificate controllerRenewed = await("the controller presents a renewed certificate").atMost(WAIT).ignoreExceptions()
                .until(() -> RelayPods.served(controller.grpcPort), c -> !c.getSerialNumber().equals(controllerFirst.getSerialNumber()));
        assertThat(PeerIdentity.of(controllerRenewed)).contains(PeerIdentity.CONTROLLER);
        assertThat(controller.metric("stripecast_controller_certificate_expiry_seconds")).isGreaterThan(0).isLessThanOrEqualTo(LIFETIME.toSeconds());
        assertThat(controller.metric("stripecast_controller_certificates_issued_total")).isGreaterThanOrEqualTo(2 * RELAYS);
        assertThat(controller.metric("stripecast_controller_certificates_refused_total")).as("no relay of the pool was refused").isZero();
        for (var e : relays.entrySet()) {
            assertThat(e.getValue().isAlive()).as(e.getKey() + " still runs").isTrue();
        }

        // Every first certificate has expired: a relay that joins now makes only new connections (to the controller,
        // to its parents, from its children), which succeed only with renewed certificates on both sides.
        Instant expired = (firstExpire.isAfter(controllerFirst.getNotAfter().toInstant()) ? firstExpire
                : controllerFirst.getNotAfter().toInstant()).plusSeconds(1);
        await("every first certificate expired").atMost(WAIT).until(() -> Instant.now().isAfter(expired));
        RelayPods.create(admin, chart.namespace, "r6", POOL, "127.0.0.1");
        relays.put("r6", JavaService.relay("r6", FreePorts.next(), FreePorts.next(),
                RelayPods.issuedSettings(controller.grpcPort, POOL, false, Path.of(caPath)), DIR.resolve("logs")).awaitReady());
        admin.resources(LiveStream.class).inNamespace(chart.namespace)
                .resource(LiveStreamApiServerIT.stream("late", 2, 1, POOL, "live-key")).create();
        RelayPods.awaitCarrying(admin, chart.namespace, "late", RELAYS + 1, WAIT);
        Process late = Ffmpeg.push(source, 8, relays.get("r0").base() + "/ingest/late/index.m3u8", false, false, KEY,
                DIR.resolve("ffmpeg-out-late"), DIR.resolve("ffmpeg-push-late.log"));
        assertThat(late.waitFor(120, TimeUnit.SECONDS)).as("ffmpeg finished").isTrue();
        List<String> lateExpected = HlsCheck.localHashes(DIR.resolve("ffmpeg-out-late"));
        assertThat(lateExpected).hasSizeGreaterThanOrEqualTo(6);
        RelayPods.awaitEverySegmentAtEveryRelay(relays, "late", lateExpected, WAIT);
    }
}
