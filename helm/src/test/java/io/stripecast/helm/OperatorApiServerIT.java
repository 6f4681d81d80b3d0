package io.stripecast.helm;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.stripecast.controller.k8s.RelayPoolModel;
import io.stripecast.crds.RelayPool;
import io.stripecast.lab.cluster.JavaService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The chart installed on a real API server and its operator running with the chart's ServiceAccount's token: the
 * chart's RelayPool becomes its Deployments, Services, PDB and HPA; an edit of an autoscaled pool keeps the replicas
 * the autoscaler set; the relay pods get the chart's pull Secrets; quantities are stored as the model writes them;
 * a standby ingest gets a Deployment and a Service of its own.
 * A verb missing from the chart's Role makes the reconcile fail, and so this test.
 */
class OperatorApiServerIT {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final String POOL = "edge";
    static RealApiServer api;
    static KubernetesClient admin;
    static InstalledChart chart;
    static JavaService controller;

    @BeforeAll
    static void installTheChartAndStartItsOperator() throws Exception {
        api = RealApiServer.shared();
        admin = api.admin();
        String ns = api.namespace("operator");
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("relayPool.create", true);
        values.put("relayPool.spec.autoscaling.enabled", true);
        values.put("relayPool.spec.autoscaling.minReplicas", 2);
        values.put("relayPool.spec.autoscaling.maxReplicas", 10);
        values.put("relayPool.spec.standbyIngest", true);
        // Written as a user might; the server stores 1536Mi and 2Gi.
        values.put("relayPool.spec.resources.requests.memory", "1.5Gi");
        values.put("relayPool.spec.resources.limits.memory", "2048Mi");
        values.put("imagePullSecrets[0].name", "regcred");
        // No Prometheus Operator on this server: the chart must leave its monitors out, or the install fails.
        values.put("serviceMonitor.enabled", true);
        chart = InstalledChart.install(api, ns, values);
        controller = chart.startController("stripecast-controller-0", Map.of("stripecast.operator.status-interval", "1s"),
                Path.of("target", "apiserver-it", "operator")).awaitReady();
    }

    @AfterAll
    static void stop() {
        if (controller != null) {
            controller.close();
        }
    }

    @Test
    void theChartInstallsItsServiceAccountRoleAndBinding() {
        String ns = chart.namespace;
        assertThat(admin.serviceAccounts().inNamespace(ns).withName(InstalledChart.CONTROLLER).get()).isNotNull();
        assertThat(admin.rbac().roles().inNamespace(ns).withName(InstalledChart.CONTROLLER).get()).isNotNull();
        var binding = admin.rbac().roleBindings().inNamespace(ns).withName(InstalledChart.CONTROLLER).get();
        assertThat(binding.getSubjects()).singleElement()
                .satisfies(s -> assertThat(s.getName()).isEqualTo(InstalledChart.CONTROLLER));
        assertThat(admin.apps().deployments().inNamespace(ns).withName(InstalledChart.CONTROLLER).get()).isNotNull();
    }

    @Test
    void theControllersTokenHoldsOnlyTheRolesRights() {
        try (KubernetesClient asController = api.as(chart.namespace, InstalledChart.CONTROLLER)) {
            assertThat(asController.resources(RelayPool.class).inNamespace(chart.namespace).list().getItems()).isNotEmpty();
            assertThatThrownBy(() -> asController.pods().inNamespace(chart.namespace).list())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
            assertThatThrownBy(() -> asController.apps().deployments().inNamespace("default").list())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
        }
    }

    @Test
    void thePoolBecomesItsDeploymentsServicesDisruptionBudgetAndAutoscaler() {
        String ns = chart.namespace;
        await("the pool's objects").atMost(WAIT).untilAsserted(() -> {
            assertThat(admin.apps().deployments().inNamespace(ns).withName(POOL).get()).isNotNull();
            assertThat(admin.apps().deployments().inNamespace(ns).withName(POOL + "-ingest").get()).isNotNull();
            assertThat(admin.apps().deployments().inNamespace(ns).withName(POOL + "-ingest-standby").get()).isNotNull();
            for (String service : List.of(POOL, POOL + "-ingest", POOL + "-ingest-standby", POOL + "-data")) {
                assertThat(admin.services().inNamespace(ns).withName(service).get()).as(service).isNotNull();
            }
            assertThat(admin.policy().v1().podDisruptionBudget().inNamespace(ns).withName(POOL).get()).isNotNull();
            assertThat(admin.autoscaling().v2().horizontalPodAutoscalers().inNamespace(ns).withName(POOL).get()).isNotNull();
        });
        Deployment relays = admin.apps().deployments().inNamespace(ns).withName(POOL).get();
        var pod = relays.getSpec().getTemplate().getSpec();
        assertThat(pod.getImagePullSecrets()).extracting(LocalObjectReference::getName).containsExactly("regcred");
        Container relay = pod.getContainers().get(0);
        assertThat(relay.getImage()).isEqualTo(chart.controllerContainer().getImage());
        assertThat(relay.getResources().getRequests().get("memory").toString()).isEqualTo("1536Mi");
        assertThat(relay.getResources().getLimits().get("memory").toString()).isEqualTo("2Gi");
        // What the model writes is what the server stores, so a reconcile finds nothing to change.
        RelayPool pool = admin.resources(RelayPool.class).inNamespace(ns).withName(POOL).get();
        Container desired = new RelayPoolModel("unused", "unused", List.of("regcred")).relayDeployment(pool)
                .getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(desired.getResources()).isEqualTo(relay.getResources());
    }

    /** Issue 16: a random drain token in a Secret the operator creates, read by every relay pod through a secretKeyRef. */
    @Test
    void thePoolsDrainTokenIsARandomSecretEveryRelayPodReads() {
        String ns = chart.namespace;
        String name = POOL + "-drain-token";
        var secret = await("the pool's drain-token Secret").atMost(WAIT)
                .until(() -> admin.secrets().inNamespace(ns).withName(name).get(), java.util.Objects::nonNull);
        String token = new String(java.util.Base64.getDecoder().decode(secret.getData().get("token")), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(token).hasSize(64).matches("[0-9a-f]+");
        RelayPool pool = admin.resources(RelayPool.class).inNamespace(ns).withName(POOL).get();
        assertThat(secret.getMetadata().getOwnerReferences()).anyMatch(o -> o.getKind().equals("RelayPool")
                && o.getUid().equals(pool.getMetadata().getUid()));
        await("the relay Deployments").atMost(WAIT).untilAsserted(() -> {
            for (String deployment : List.of(POOL, POOL + "-ingest", POOL + "-ingest-standby")) {
                Deployment d = admin.apps().deployments().inNamespace(ns).withName(deployment).get();
                assertThat(d).as(deployment).isNotNull();
                Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
                var env = c.getEnv().stream().filter(e -> e.getName().equals("STRIPECAST_RELAY_DRAIN_TOKEN")).findFirst().orElseThrow();
                assertThat(env.getValue()).as("%s: the token is not in the pod spec", deployment).isNullOrEmpty();
                assertThat(env.getValueFrom().getSecretKeyRef().getName()).isEqualTo(name);
                assertThat(env.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("token");
                assertThat(c.getLifecycle() == null || c.getLifecycle().getPreStop() == null).as("%s: no preStop hook", deployment).isTrue();
                assertThat(d.toString()).doesNotContain(token);
            }
        });
        // The other tests' edits reconcile the pool meanwhile; the token made once stays (RelayPoolReconcilerTest checks
        // the same after a spec change).
        var again = admin.secrets().inNamespace(ns).withName(name).get();
        assertThat(new String(java.util.Base64.getDecoder().decode(again.getData().get("token")), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo(token);
    }

    @Test
    void editingAnAutoscaledPoolKeepsTheReplicasTheAutoscalerSet() {
        String ns = chart.namespace;
        await("relay Deployment").atMost(WAIT).until(() -> admin.apps().deployments().inNamespace(ns).withName(POOL).get() != null);
        // The HPA's controller is not running here; set the scale as it would, through the scale subresource.
        admin.apps().deployments().inNamespace(ns).withName(POOL).scale(4);
        admin.resources(RelayPool.class).inNamespace(ns).withName(POOL).edit(p -> {
            p.getSpec().uplinkMbps = 800.0;
            return p;
        });
        await("the edit reached the Deployment").atMost(WAIT)
                .until(() -> "800.0".equals(env(admin.apps().deployments().inNamespace(ns).withName(POOL).get(), "STRIPECAST_RELAY_UPLINK_MBPS")));
        Deployment relays = admin.apps().deployments().inNamespace(ns).withName(POOL).get();
        assertThat(relays.getSpec().getReplicas()).as("replicas after a pool edit").isEqualTo(4);
    }

    static String env(Deployment d, String name) {
        for (EnvVar e : d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv()) {
            if (name.equals(e.getName())) {
                return e.getValue();
            }
        }
        return null;
    }
}
