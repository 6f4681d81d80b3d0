package io.stripecast.helm;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.stripecast.lab.cluster.FreePorts;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code tls.plaintext: true} is still an explicit choice that works: the controller, with the chart's environment
 * alone, runs its control plane in plaintext (and says so), makes no CA, and the operator tells relay pods to speak
 * plaintext; a relay so configured registers and gets its assignments.
 */
class PlaintextChartApiServerIT {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final Path DIR = Path.of("target", "apiserver-it", "plaintext-chart");
    static final List<JavaService> processes = new ArrayList<>();

    @AfterAll
    static void stop() {
        processes.forEach(JavaService::close);
    }

    @Test
    void anExplicitPlaintextInstallRunsWithoutCertificatesAndSaysSo() throws Exception {
        HlsCheck.deleteRecursively(DIR);
        RealApiServer api = RealApiServer.shared();
        KubernetesClient admin = api.admin();
        InstalledChart chart = InstalledChart.install(api, api.namespace("plaintext"), Map.of("relayPool.create", true, "tls.plaintext", true));
        Map<String, String> chartEnv = chart.controllerContainer().getEnv().stream().filter(e -> e.getValue() != null)
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
        assertThat(chartEnv).containsEntry("STRIPECAST_TLS_PLAINTEXT", "true").doesNotContainKey("STRIPECAST_TLS_CLUSTER_CA_SECRET");
        // The chart's value as the setting (so the lab gives the process no certificate files of its own).
        JavaService controller = chart.startController("stripecast-controller-0",
                Map.of("stripecast.tls.plaintext", chartEnv.get("STRIPECAST_TLS_PLAINTEXT")), DIR.resolve("logs"));
        processes.add(controller);
        controller.awaitReady();
        await("the controller leads").atMost(WAIT).until(() -> Files.readString(controller.log).contains("holds Lease"));
        assertThat(Files.readString(controller.log)).contains("PLAINTEXT").doesNotContain("cluster CA");
        assertThat(admin.secrets().inNamespace(chart.namespace).withName("stripecast-cluster-ca").get()).as("no CA made").isNull();

        Deployment relays = await("the operator's relay Deployment").atMost(WAIT)
                .until(() -> admin.apps().deployments().inNamespace(chart.namespace).withName("edge").get(), d -> d != null);
        Container relay = relays.getSpec().getTemplate().getSpec().getContainers().get(0);
        Map<String, String> relayEnv = relay.getEnv().stream().filter(e -> e.getValue() != null)
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
        assertThat(relayEnv).containsEntry("STRIPECAST_TLS_PLAINTEXT", "true").doesNotContainKeys("STRIPECAST_TLS_ISSUER", "STRIPECAST_TLS_CA");

        Map<String, String> r = new LinkedHashMap<>();
        r.put("stripecast.relay.controller", "127.0.0.1:" + controller.grpcPort);
        r.put("stripecast.relay.pool", "edge");
        r.put("stripecast.relay.ingest", "true");
        r.put("stripecast.tls.plaintext", relayEnv.get("STRIPECAST_TLS_PLAINTEXT"));
        JavaService edge = JavaService.relay("edge-0", FreePorts.next(), FreePorts.next(), r, DIR.resolve("logs"));
        processes.add(edge);
        edge.awaitReady();
        assertThat(Files.readString(edge.log)).contains("PLAINTEXT");
    }
}
