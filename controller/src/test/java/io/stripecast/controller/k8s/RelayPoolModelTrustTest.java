package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.stripecast.crds.RelayPool;
import io.stripecast.crds.RelayPoolSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** What relay pods are told about their certificates: by the controller that issues them, or plaintext, or nothing. */
class RelayPoolModelTrustTest {

    static RelayPool pool() {
        RelayPool pool = new RelayPool();
        pool.setMetadata(new ObjectMetaBuilder().withName("edge").withNamespace("ns").build());
        RelayPoolSpec spec = new RelayPoolSpec();
        spec.standbyIngest = true;
        pool.setSpec(spec);
        return pool;
    }

    static Map<String, String> env(Container c) {
        return c.getEnv().stream().filter(e -> e.getValue() != null).collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    }

    static List<Deployment> deployments(RelayPoolModel model) {
        RelayPool pool = pool();
        return List.of(model.relayDeployment(pool), model.ingestDeployment(pool), model.standbyIngestDeployment(pool));
    }

    @Test
    void everyRelayPodOfAnIssuingControllerMountsTheCaCertificateAndAsksTheController() {
        for (Deployment d : deployments(new RelayPoolModel("img", "ctl:9200", List.of(), false, "stripecast-cluster-ca-cert"))) {
            PodSpec pod = d.getSpec().getTemplate().getSpec();
            Container relay = pod.getContainers().get(0);
            assertThat(env(relay)).as(d.getMetadata().getName()).containsEntry("STRIPECAST_TLS_ISSUER", "controller")
                    .containsEntry("STRIPECAST_TLS_CA", RelayPoolModel.CLUSTER_CA_DIR + "/ca.crt").doesNotContainKey("STRIPECAST_TLS_PLAINTEXT");
            assertThat(pod.getVolumes()).anySatisfy(v -> {
                assertThat(v.getSecret()).isNotNull();
                assertThat(v.getSecret().getSecretName()).isEqualTo("stripecast-cluster-ca-cert");
            });
            assertThat(relay.getVolumeMounts()).anySatisfy(m -> {
                assertThat(m.getMountPath()).isEqualTo(RelayPoolModel.CLUSTER_CA_DIR);
                assertThat(m.getReadOnly()).isTrue();
            });
            assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        }
    }

    @Test
    void plaintextMountsNoCaAndSaysPlaintextEvenIfACaSecretIsNamed() {
        for (Deployment d : deployments(new RelayPoolModel("img", "ctl:9200", List.of(), true, "stripecast-cluster-ca-cert"))) {
            Container relay = d.getSpec().getTemplate().getSpec().getContainers().get(0);
            assertThat(env(relay)).containsEntry("STRIPECAST_TLS_PLAINTEXT", "true").doesNotContainKeys("STRIPECAST_TLS_ISSUER", "STRIPECAST_TLS_CA");
            assertThat(relay.getVolumeMounts()).noneSatisfy(m -> assertThat(m.getMountPath()).isEqualTo(RelayPoolModel.CLUSTER_CA_DIR));
        }
    }

    @Test
    void aControllerOnCertificateFilesGivesRelayPodsNoIssuerSettings() {
        for (Deployment d : deployments(new RelayPoolModel("img", "ctl:9200", List.of(), false, null))) {
            Container relay = d.getSpec().getTemplate().getSpec().getContainers().get(0);
            assertThat(env(relay)).doesNotContainKeys("STRIPECAST_TLS_ISSUER", "STRIPECAST_TLS_CA", "STRIPECAST_TLS_PLAINTEXT");
        }
    }
}
