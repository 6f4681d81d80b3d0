package io.stripecast.helm;

import com.google.protobuf.ByteString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import io.stripecast.protocol.trust.CertificateRequests;
import io.stripecast.protocol.trust.Credentials;
import io.stripecast.protocol.trust.GrpcTls;
import io.stripecast.protocol.trust.PeerIdentity;
import io.stripecast.protocol.trust.Pem;
import io.stripecast.protocol.v1.ControlPlaneGrpc;
import io.stripecast.protocol.v1.ControllerMessage;
import io.stripecast.protocol.v1.Hello;
import io.stripecast.protocol.v1.RelayMessage;
import io.stripecast.protocol.v1.SignRequest;
import io.stripecast.protocol.v1.TrustGrpc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Trust.Sign under attack, on a real API server with the chart's controller (its ServiceAccount token, its cluster
 * CA): a caller asking as a pod that does not exist, a pod of another pool, a pod at another address, a terminating
 * pod, or with an oversized request gets no certificate, and each refusal is counted by reason; a caller that asks
 * too fast is cut off per address; and the handshake that lets a relay without a certificate reach Trust.Sign does
 * not let it into the control plane.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrustSignAttackIT {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final Path DIR = Path.of("target", "apiserver-it", "trust-sign-attack");
    static final String POOL = "edge";

    static RealApiServer api;
    static KubernetesClient admin;
    static InstalledChart chart;
    static JavaService controller;
    static X509Certificate ca;

    @BeforeAll
    static void installTheChartAndStartItsController() throws Exception {
        HlsCheck.deleteRecursively(DIR);
        api = RealApiServer.shared();
        admin = api.admin();
        chart = InstalledChart.install(api, api.namespace("trustsign"), Map.of());
        controller = chart.startController("stripecast-controller-0", Map.of("stripecast.tls.plaintext", "false"),
                DIR.resolve("logs")).awaitReady();
        var published = await("the CA certificate Secret").atMost(WAIT)
                .until(() -> admin.secrets().inNamespace(chart.namespace).withName("stripecast-cluster-ca-cert").get(), s -> s != null);
        Path file = DIR.resolve("ca.crt");
        Files.write(file, Base64.getDecoder().decode(published.getData().get("ca.crt")));
        ca = Pem.readCertificate(file);
    }

    @AfterAll
    static void stop() {
        if (controller != null) {
            controller.close();
        }
    }

    static String target() {
        return "127.0.0.1:" + controller.grpcPort;
    }

    static StatusRuntimeException refused(String pool, String pod) {
        StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                () -> CertificateRequests.request(target(), ca, pool, pod, Duration.ofSeconds(10)));
        return e;
    }

    static double refusals(String reason) throws Exception {
        return controller.metric("stripecast_controller_certificates_refused_total", "reason=\"" + reason + "\"");
    }

    @Test
    @Order(1)
    void onlyAPodOfThePoolAtTheCallersAddressGetsACertificateAndEveryRefusalIsCounted() throws Exception {
        RelayPods.create(admin, chart.namespace, "edge-good", POOL, "127.0.0.1");
        RelayPods.create(admin, chart.namespace, "other-pool", "elsewhere", "127.0.0.1");
        RelayPods.create(admin, chart.namespace, "not-a-relay", null, "127.0.0.1");
        RelayPods.create(admin, chart.namespace, "edge-far", POOL, "10.9.9.9");
        Pod leaving = RelayPods.create(admin, chart.namespace, "edge-leaving", POOL, "127.0.0.1");
        // A finalizer keeps the deleted pod visible while it terminates (deletionTimestamp set), as a kubelet would.
        admin.pods().inNamespace(chart.namespace).withName("edge-leaving")
                .edit(p -> new io.fabric8.kubernetes.api.model.PodBuilder(p).editMetadata().addToFinalizers("stripecast.io/test").endMetadata().build());
        admin.pods().inNamespace(chart.namespace).withName("edge-leaving").delete();
        await("edge-leaving terminating").atMost(WAIT).until(() ->
                admin.pods().inNamespace(chart.namespace).withName("edge-leaving").get().getMetadata().getDeletionTimestamp() != null);

        Credentials good = CertificateRequests.request(target(), ca, POOL, "edge-good", Duration.ofSeconds(10));
        assertThat(good.identity()).as("the control: a pod of the pool at its address is served").isEqualTo(PeerIdentity.relay(POOL, "edge-good"));

        assertThat(refused(POOL, "ghost").getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(refused(POOL, "other-pool").getStatus().getDescription()).contains("not a relay of pool edge");
        assertThat(refused("elsewhere", "edge-good").getStatus().getDescription()).as("a pod asking as another pool")
                .contains("not a relay of pool elsewhere");
        assertThat(refused(POOL, "not-a-relay").getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(refused(POOL, "edge-far").getStatus().getDescription()).contains("not from pod edge-far's IP 10.9.9.9");
        assertThat(refused(POOL, "edge-leaving").getStatus().getDescription()).contains("terminating");

        // An oversized request, and a request signed by another key than the one it carries.
        ManagedChannel channel = NettyChannelBuilder.forTarget(target()).sslContext(GrpcTls.clientWithoutCertificate(ca)).build();
        try {
            var stub = TrustGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
            assertThatThrownBy(() -> stub.sign(SignRequest.newBuilder().setPool(POOL).setPod("edge-good")
                    .setCsr(ByteString.copyFrom(new byte[64 * 1024])).build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
            byte[] forged = CertificateRequests.csr(CertificateRequests.newKeyPair(), PeerIdentity.relay(POOL, "edge-good"));
            forged[forged.length - 5] ^= 0x5a; // the signature no longer matches
            assertThatThrownBy(() -> TrustGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .sign(SignRequest.newBuilder().setPool(POOL).setPod("edge-good").setCsr(ByteString.copyFrom(forged)).build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
        } finally {
            channel.shutdownNow();
        }

        assertThat(refusals("no_pod")).isEqualTo(1);
        assertThat(refusals("wrong_pool")).isEqualTo(3);
        assertThat(refusals("address_mismatch")).isEqualTo(1);
        assertThat(refusals("terminating")).isEqualTo(1);
        assertThat(refusals("bad_request")).isEqualTo(2);
        assertThat(controller.metric("stripecast_controller_certificates_issued_total")).as("the controller's own is not counted")
                .isEqualTo(1);
        admin.pods().inNamespace(chart.namespace).withName("edge-leaving")
                .edit(p -> new io.fabric8.kubernetes.api.model.PodBuilder(p).editMetadata().withFinalizers(List.of()).endMetadata().build());
    }

    @Test
    @Order(2)
    void aCallerWithoutACertificateReachesTrustSignButNotTheControlPlane() throws Exception {
        double before = controller.metric("stripecast_controller_rejected_total", "reason=\"no_identity\"");
        ManagedChannel channel = NettyChannelBuilder.forTarget(target()).sslContext(GrpcTls.clientWithoutCertificate(ca)).build();
        try {
            CompletableFuture<Throwable> ended = new CompletableFuture<>();
            StreamObserver<RelayMessage> session = ControlPlaneGrpc.newStub(channel).connect(new StreamObserver<>() {
                @Override
                public void onNext(ControllerMessage value) {
                    ended.completeExceptionally(new AssertionError("the controller answered a caller without a certificate: " + value));
                }

                @Override
                public void onError(Throwable t) {
                    ended.complete(t);
                }

                @Override
                public void onCompleted() {
                    ended.completeExceptionally(new AssertionError("the session ended without an error"));
                }
            });
            session.onNext(RelayMessage.newBuilder().setHello(Hello.newBuilder().setRelayId("edge-good").setPool(POOL)
                    .setDataAddress("127.0.0.1:9100")).build());
            Throwable t = ended.get(30, TimeUnit.SECONDS);
            assertThat(Status.fromThrowable(t).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        } finally {
            channel.shutdownNow();
        }
        assertThat(controller.metric("stripecast_controller_rejected_total", "reason=\"no_identity\"")).isEqualTo(before + 1);
    }

    @Test
    @Order(3)
    void oneAddressAskingTooFastIsCutOffAndCounted() throws Exception {
        // The default: one request a second per address, a burst of ten.
        int exhausted = 0;
        for (int i = 0; i < 30; i++) {
            try {
                CertificateRequests.request(target(), ca, POOL, "ghost", Duration.ofSeconds(10));
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                    exhausted++;
                }
            }
        }
        assertThat(exhausted).as("requests refused for their rate").isGreaterThanOrEqualTo(10);
        assertThat(refusals("rate_limited")).isEqualTo(exhausted);
    }
}
