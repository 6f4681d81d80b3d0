package io.stripecast.helm;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.stripecast.controller.k8s.RelayPoolModel;
import io.stripecast.controller.trust.ClusterCa;
import io.stripecast.controller.trust.IssuingRule;
import io.stripecast.controller.trust.RelayCertificates;
import io.stripecast.protocol.trust.CertificateAuthority;
import io.stripecast.protocol.trust.PeerIdentity;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16, point 5 (the parts built so far, docs/trust.md), on a real API server with the chart's RBAC: the
 * controller's ServiceAccount creates the cluster CA Secret once and every later call (another replica, a restart)
 * reuses it; a relay certificate is issued only to a pod of the pool, at its pod IP, and names the pod.
 */
class ClusterCaApiServerIT {
    static final String SECRET = "stripecast-cluster-ca";
    static RealApiServer api;
    static KubernetesClient admin;
    static KubernetesClient controller;
    static String namespace;

    @BeforeAll
    static void installTheChart() {
        api = RealApiServer.shared();
        admin = api.admin();
        namespace = api.namespace("cluster-ca");
        InstalledChart.install(api, namespace, Map.of());
        controller = api.as(namespace, InstalledChart.CONTROLLER);
    }

    @Test
    void theCaSecretIsCreatedOnceAndReusedByEveryReplica() throws Exception {
        assertThat(admin.secrets().inNamespace(namespace).withName(SECRET).get()).isNull();
        // Two replicas start at once: both end up with the one CA the API server kept.
        var a = CompletableFuture.supplyAsync(() -> ClusterCa.ensure(api.as(namespace, InstalledChart.CONTROLLER), namespace, SECRET));
        var b = CompletableFuture.supplyAsync(() -> ClusterCa.ensure(api.as(namespace, InstalledChart.CONTROLLER), namespace, SECRET));
        CertificateAuthority first = a.get();
        assertThat(b.get().certificate()).isEqualTo(first.certificate());
        CertificateAuthority restarted = ClusterCa.ensure(controller, namespace, SECRET);
        assertThat(restarted.certificate()).as("a restart reuses the Secret's CA").isEqualTo(first.certificate());
        assertThat(restarted.key().getEncoded()).isEqualTo(first.key().getEncoded());
        var secret = admin.secrets().inNamespace(namespace).withName(SECRET).get();
        assertThat(secret.getData()).containsOnlyKeys(ClusterCa.CERT_KEY, ClusterCa.KEY_KEY);
    }

    @Test
    void aRelayCertificateGoesOnlyToAPodOfThePoolAtItsOwnAddress() throws Exception {
        if (admin.serviceAccounts().inNamespace(namespace).withName("default").get() == null) {
            admin.serviceAccounts().inNamespace(namespace).resource(new ServiceAccountBuilder().withNewMetadata()
                    .withName("default").endMetadata().build()).create();
        }
        Pod relay = runningPod("edge-relay-7d9f-abcde", "edge", "10.1.2.3");
        Pod stranger = runningPod("not-a-relay", null, "10.1.2.4");
        // Its own Secret: test order is not fixed, and the other test starts from none.
        RelayCertificates issuer = new RelayCertificates(ClusterCa.ensure(controller, namespace, SECRET + "-issuing"));
        byte[] csr = csr("whatever-the-relay-asks");

        var issued = issuer.sign(csr, get(controller, relay), "edge", "10.1.2.3");
        assertThat(issued.refusal()).isNull();
        assertThat(PeerIdentity.of(issued.certificate())).as("the pod's identity, not the CSR's subject")
                .contains(PeerIdentity.relay("edge", "edge-relay-7d9f-abcde"));

        assertThat(issuer.sign(csr, get(controller, relay), "edge", "10.9.9.9").refusal()).contains("not from pod");
        assertThat(issuer.sign(csr, get(controller, relay), "other-pool", "10.1.2.3").refusal()).contains("not a relay of pool");
        assertThat(issuer.sign(csr, get(controller, stranger), "edge", "10.1.2.4").refusal()).contains("not a relay of pool");
        assertThat(issuer.sign(csr, controller.pods().inNamespace(namespace).withName("gone").get(), "edge", "10.1.2.3").refusal())
                .isEqualTo("no such pod");
        assertThat(IssuingRule.refusal(get(controller, relay), "edge", "10.1.2.3")).isNull();
    }

    private static Pod get(KubernetesClient client, Pod pod) {
        return client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).get();
    }

    /** A pod as the operator's Deployment makes them, its status (pod IP) set as a kubelet would. */
    private static Pod runningPod(String name, String pool, String ip) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withAutomountServiceAccountToken(false).addNewContainer().withName("relay").withImage("stripecast:test")
                .endContainer().endSpec();
        if (pool != null) {
            b.editMetadata().addToLabels("app.kubernetes.io/name", "stripecast-relay").addToLabels(RelayPoolModel.POOL_LABEL, pool)
                    .endMetadata();
        }
        Pod created = admin.pods().inNamespace(namespace).resource(b.build()).create();
        created.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Running").withPodIP(ip)
                .addNewPodIP(ip).build());
        return admin.pods().inNamespace(namespace).resource(created).updateStatus();
    }

    private static byte[] csr(String cn) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = g.generateKeyPair();
        return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + cn), pair.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())).getEncoded();
    }
}
