package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.stripecast.crds.AutoscalingSpec;
import io.stripecast.crds.RelayPool;
import io.stripecast.crds.RelayPoolSpec;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A RelayPool becomes its Deployments, Services, HPA and PDB, owned by the pool, and follows its spec. */
@QuarkusTest
@TestProfile(OperatorProfile.class)
@WithKubernetesTestServer(crud = true)
class RelayPoolReconcilerTest extends OperatorTestSupport {
    static RelayPool pool(String name, int replicas) {
        RelayPool pool = new RelayPool();
        pool.setMetadata(new ObjectMetaBuilder().withName(name).build());
        RelayPoolSpec spec = new RelayPoolSpec();
        spec.replicas = replicas;
        spec.uplinkMbps = 800.0;
        pool.setSpec(spec);
        return pool;
    }

    private <T extends HasMetadata> T awaitObject(Class<T> type, String name) {
        return await().atMost(WAIT).until(() -> client.resources(type).withName(name).get(), r -> r != null);
    }

    private static void assertOwnedBy(HasMetadata object, RelayPool pool) {
        assertThat(object.getMetadata().getOwnerReferences()).as("owner of %s", object.getMetadata().getName())
                .extracting(OwnerReference::getApiVersion, OwnerReference::getKind, OwnerReference::getName, OwnerReference::getUid)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("stripecast.io/v1alpha1", "RelayPool", pool.getMetadata().getName(),
                        pool.getMetadata().getUid()));
    }

    /** Edits a pool as a user would; the operator writes its status concurrently, so a 409 means: read again, retry. */
    private RelayPool editPool(String name, java.util.function.Consumer<RelayPool> change) {
        java.util.concurrent.atomic.AtomicReference<RelayPool> edited = new java.util.concurrent.atomic.AtomicReference<>();
        await().atMost(WAIT).ignoreException(io.fabric8.kubernetes.client.KubernetesClientException.class).until(() -> {
            edited.set(client.resources(RelayPool.class).withName(name).edit(p -> {
                change.accept(p);
                return p;
            }));
            return true;
        });
        return edited.get();
    }

    private static Map<String, String> env(Container c) {
        Map<String, String> out = new java.util.HashMap<>();
        c.getEnv().forEach(e -> out.put(e.getName(), e.getValue()));
        return out;
    }

    @Test
    void thisInstanceLeadsAndHoldsTheLease() {
        Lease lease = await().atMost(WAIT).until(() -> client.leases().withName("stripecast-controller-leader").get(), l -> l != null);
        assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("controller-a@10.0.0.1:9200");
        await().atMost(WAIT).until(coordinator::isActive);
    }

    @Test
    void poolBecomesOwnedDeploymentsServicesAndBudget() {
        RelayPool created = client.resource(pool("video", 3)).create();

        Deployment relays = awaitObject(Deployment.class, "video");
        Deployment ingest = awaitObject(Deployment.class, "video-ingest");
        Service playback = awaitObject(Service.class, "video");
        Service ingestService = awaitObject(Service.class, "video-ingest");
        Service data = awaitObject(Service.class, "video-data");
        PodDisruptionBudget budget = awaitObject(PodDisruptionBudget.class, "video");
        for (HasMetadata o : List.of(relays, ingest, playback, ingestService, data, budget)) {
            assertOwnedBy(o, created);
        }
        assertThat(client.resources(HorizontalPodAutoscaler.class).withName("video").get()).as("no HPA unless asked").isNull();

        assertThat(relays.getSpec().getReplicas()).isEqualTo(3);
        assertThat(ingest.getSpec().getReplicas()).isEqualTo(1);
        assertThat(ingest.getSpec().getStrategy().getType()).isEqualTo("Recreate");
        var relayPod = relays.getSpec().getTemplate();
        assertThat(relayPod.getMetadata().getLabels()).containsAllEntriesOf(relays.getSpec().getSelector().getMatchLabels());
        assertThat(relayPod.getMetadata().getLabels()).containsAllEntriesOf(playback.getSpec().getSelector());
        assertThat(ingest.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(ingestService.getSpec().getSelector());
        assertThat(relayPod.getMetadata().getLabels()).containsAllEntriesOf(data.getSpec().getSelector());
        assertThat(ingest.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(data.getSpec().getSelector());
        assertThat(relayPod.getMetadata().getLabels()).containsAllEntriesOf(budget.getSpec().getSelector().getMatchLabels());
        assertThat(ingest.getSpec().getTemplate().getMetadata().getLabels())
                .doesNotContainEntry("app.kubernetes.io/component", "relay");
        assertThat(data.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(relayPod.getMetadata().getAnnotations()).containsEntry("prometheus.io/port", "9000");

        Container c = relayPod.getSpec().getContainers().get(0);
        assertThat(c.getImage()).isEqualTo("registry.test/stripecast:test");
        assertThat(c.getArgs()).containsExactly("relay");
        assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
        // No preStop hook carrying the token in the spec: the relay drains itself on SIGTERM (issue 16).
        assertThat(c.getLifecycle() == null || c.getLifecycle().getPreStop() == null).as("no preStop hook").isTrue();
        // Health, metrics and drain on the management port, never on the public one (issue 16).
        assertThat(c.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("management");
        assertThat(c.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("management");
        assertThat(c.getPorts()).anyMatch(p -> p.getName().equals("management") && p.getContainerPort() == 9000);
        Map<String, String> env = env(c);
        assertThat(env).containsEntry("STRIPECAST_RELAY_CONTROLLER", "stripecast-controller.test.svc:9200")
                .containsEntry("STRIPECAST_RELAY_POOL", "video").containsEntry("STRIPECAST_RELAY_INGEST", "false")
                .containsEntry("STRIPECAST_RELAY_UPLINK_MBPS", "800.0");
        // The default 1Gi limit: heap, direct buffers, metaspace and code cache sized to fit it.
        assertThat(env).containsEntry("JAVA_OPTS", RelayJvmOptions.forLimit(1024L * 1024 * 1024));
        assertThat(env).as("no TLS asked: plain http").doesNotContainKey("QUARKUS_HTTP_SSL_PORT");
        // The drain token comes from the pool's Secret, which the controller created with a random token.
        var tokenRef = c.getEnv().stream().filter(e -> e.getName().equals("STRIPECAST_RELAY_DRAIN_TOKEN")).findFirst().orElseThrow();
        assertThat(tokenRef.getValue()).isNull();
        assertThat(tokenRef.getValueFrom().getSecretKeyRef().getName()).isEqualTo("video-drain-token");
        assertThat(tokenRef.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("token");
        var secret = client.secrets().withName("video-drain-token").get();
        assertThat(secret).isNotNull();
        String token = secret.getStringData() != null && secret.getStringData().get("token") != null ? secret.getStringData().get("token")
                : new String(java.util.Base64.getDecoder().decode(secret.getData().get("token")), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(token).hasSize(64).matches("[0-9a-f]+");
        assertThat(secret.getMetadata().getOwnerReferences()).anyMatch(o -> o.getKind().equals("RelayPool") && o.getName().equals("video"));
        assertThat(env(ingest.getSpec().getTemplate().getSpec().getContainers().get(0))).containsEntry("STRIPECAST_RELAY_INGEST", "true");
        assertThat(relayPod.getSpec().getAutomountServiceAccountToken()).isFalse();
    }

    private String drainToken(String pool) {
        var secret = awaitObject(io.fabric8.kubernetes.api.model.Secret.class, pool + "-drain-token");
        return secret.getStringData() != null && secret.getStringData().get("token") != null ? secret.getStringData().get("token")
                : new String(java.util.Base64.getDecoder().decode(secret.getData().get("token")), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void aPoolWithPublicTlsMountsItsSecretAndServesHttpsOnlyOnThePublicPort() {
        RelayPool pool = pool("secure", 1);
        pool.getSpec().tls = new io.stripecast.crds.PublicTlsSpec();
        pool.getSpec().tls.secretName = "secure-public-tls";
        client.resource(pool).create();
        for (String name : List.of("secure", "secure-ingest")) {
            var spec = awaitObject(Deployment.class, name).getSpec().getTemplate().getSpec();
            Container c = spec.getContainers().get(0);
            assertThat(env(c)).as(name).containsEntry("QUARKUS_HTTP_SSL_PORT", "8080").containsEntry("QUARKUS_HTTP_INSECURE_REQUESTS", "disabled")
                    .containsEntry("QUARKUS_HTTP_SSL_CERTIFICATE_FILES", "/etc/stripecast/public-tls/tls.crt")
                    .containsEntry("QUARKUS_HTTP_SSL_CERTIFICATE_KEY_FILES", "/etc/stripecast/public-tls/tls.key");
            assertThat(env(c).get("STRIPECAST_RELAY_PLAYBACK_URL")).startsWith("https://");
            assertThat(spec.getVolumes()).anyMatch(v -> v.getSecret() != null && "secure-public-tls".equals(v.getSecret().getSecretName()));
            assertThat(c.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals("/etc/stripecast/public-tls") && Boolean.TRUE.equals(m.getReadOnly()));
            // Probes stay on the plain management port.
            assertThat(c.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("management");
        }
    }

    @Test
    void specChangeUpdatesTheDependentsAndTheAutoscalerComesAndGoes() {
        client.resource(pool("sports", 2)).create();
        awaitObject(Deployment.class, "sports");
        String token = drainToken("sports");

        editPool("sports", p -> {
            p.getSpec().replicas = 4;
            p.getSpec().uplinkMbps = 2500.0;
            p.getSpec().serviceType = "LoadBalancer";
        });
        await().atMost(WAIT).untilAsserted(() -> {
            Deployment d = client.apps().deployments().withName("sports").get();
            assertThat(d.getSpec().getReplicas()).isEqualTo(4);
            assertThat(env(d.getSpec().getTemplate().getSpec().getContainers().get(0))).containsEntry("STRIPECAST_RELAY_UPLINK_MBPS", "2500.0");
            assertThat(client.services().withName("sports").get().getSpec().getType()).isEqualTo("LoadBalancer");
        });
        // The drain token is random and made once: reconciles after a spec change keep it.
        assertThat(drainToken("sports")).isEqualTo(token);

        AutoscalingSpec autoscaling = new AutoscalingSpec();
        autoscaling.enabled = true;
        autoscaling.minReplicas = 3;
        autoscaling.maxReplicas = 12;
        autoscaling.targetCpuPercent = 60;
        autoscaling.targetEgressMbps = 800.0;
        RelayPool pool = editPool("sports", p -> p.getSpec().autoscaling = autoscaling);
        HorizontalPodAutoscaler hpa = awaitObject(HorizontalPodAutoscaler.class, "sports");
        assertOwnedBy(hpa, pool);
        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo("sports");
        assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(3);
        assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(12);
        assertThat(hpa.getSpec().getMetrics()).extracting(m -> m.getType()).containsExactly("Resource", "Pods");
        assertThat(hpa.getSpec().getMetrics().get(0).getResource().getTarget().getAverageUtilization()).isEqualTo(60);
        assertThat(hpa.getSpec().getMetrics().get(1).getPods().getMetric().getName()).isEqualTo("stripecast_relay_egress_mbps");

        editPool("sports", p -> p.getSpec().autoscaling.enabled = false);
        await().atMost(WAIT).until(() -> client.resources(HorizontalPodAutoscaler.class).withName("sports").get() == null);
    }

    @Test
    void invalidPoolIsNotReadyAndCreatesNothing() {
        RelayPool bad = pool("broken", 2);
        AutoscalingSpec autoscaling = new AutoscalingSpec();
        autoscaling.enabled = true;
        autoscaling.minReplicas = 9;
        autoscaling.maxReplicas = 3;
        bad.getSpec().autoscaling = autoscaling;
        client.resource(bad).create();

        await().atMost(WAIT).untilAsserted(() -> {
            RelayPool p = client.resources(RelayPool.class).withName("broken").get();
            assertThat(p.getStatus()).isNotNull();
            var ready = StatusConditions.find(p.getStatus().conditions, "Ready");
            assertThat(ready.getStatus()).isEqualTo("False");
            assertThat(ready.getReason()).isEqualTo("InvalidSpec");
            assertThat(ready.getMessage()).contains("minReplicas");
        });
        assertThat(client.apps().deployments().withName("broken").get()).isNull();
    }

    @Test
    void statusCountsThePoolsConnectedRelays() {
        client.resource(pool("news", 2)).create();
        await().atMost(WAIT).untilAsserted(() -> {
            var status = client.resources(RelayPool.class).withName("news").get().getStatus();
            assertThat(status).isNotNull();
            assertThat(StatusConditions.find(status.conditions, "Ready").getReason()).isEqualTo("IngestNotConnected");
        });
        relays.add(new FakeRelay(channel, "news-ingest-abc", "news", true, 21001));
        relays.add(new FakeRelay(channel, "news-r1", "news", false, 21002));
        relays.add(new FakeRelay(channel, "other-r1", "other", false, 21003));
        await().atMost(WAIT).untilAsserted(() -> {
            var status = client.resources(RelayPool.class).withName("news").get().getStatus();
            assertThat(status.connectedRelays).isEqualTo(2);
            assertThat(status.ingestRelay).isEqualTo("news-ingest-abc");
            var ready = StatusConditions.find(status.conditions, "Ready");
            assertThat(ready.getStatus()).isEqualTo("True");
            assertThat(ready.getObservedGeneration()).isEqualTo(status.observedGeneration);
        });
    }
}
