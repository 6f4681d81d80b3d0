package io.stripecast.helm;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.stripecast.controller.k8s.RelayPoolModel;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Pod objects standing in for the relay processes a test runs locally (no kubelet here): what the issuing rule reads
 * (name, pool labels, status.podIP set through the status subresource as a kubelet sets it), and a look at the
 * certificate a process presents on a new TLS connection.
 */
final class RelayPods {
    private RelayPods() {
    }

    /** A pod named {@code name}, labelled as a relay of {@code pool} (none when null), running at {@code ip}. */
    static Pod create(KubernetesClient admin, String namespace, String name, String pool, String ip) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withAutomountServiceAccountToken(false).addNewContainer().withName("relay").withImage("stripecast:test")
                .endContainer().endSpec();
        if (pool != null) {
            b.editMetadata().addToLabels("app.kubernetes.io/name", "stripecast-relay").addToLabels(RelayPoolModel.POOL_LABEL, pool)
                    .endMetadata();
        }
        Pod created = admin.pods().inNamespace(namespace).resource(b.build()).create();
        created.setStatus(new PodStatusBuilder().withPhase("Running").withPodIP(ip).addNewPodIP(ip).build());
        return admin.pods().inNamespace(namespace).resource(created).updateStatus();
    }

    /**
     * A local relay's settings as the operator gives a relay pod in the chart's default TLS mode (issuer=controller,
     * the mounted cluster-CA file), pointing at a local controller.
     */
    static java.util.Map<String, String> issuedSettings(int controllerGrpcPort, String pool, boolean ingest, java.nio.file.Path caFile) {
        java.util.Map<String, String> r = new java.util.LinkedHashMap<>();
        r.put("stripecast.relay.controller", "127.0.0.1:" + controllerGrpcPort);
        r.put("stripecast.relay.pool", pool);
        r.put("stripecast.relay.ingest", String.valueOf(ingest));
        r.put("stripecast.relay.uplink-mbps", "20");
        r.put("stripecast.tls.plaintext", "false");
        r.put("stripecast.tls.issuer", "controller");
        r.put("stripecast.tls.ca", caFile.toAbsolutePath().toString());
        return r;
    }

    /** Waits until LiveStream {@code name} reports Ready=True, reason Carrying, on {@code relays} relays. */
    static void awaitCarrying(KubernetesClient admin, String namespace, String name, int relays, java.time.Duration wait) {
        org.awaitility.Awaitility.await(name + " Ready=True Carrying on " + relays + " relays").atMost(wait).until(() -> {
            io.stripecast.crds.LiveStream s = admin.resources(io.stripecast.crds.LiveStream.class).inNamespace(namespace).withName(name).get();
            io.fabric8.kubernetes.api.model.Condition c = s == null || s.getStatus() == null || s.getStatus().conditions == null ? null
                    : s.getStatus().conditions.stream().filter(x -> "Ready".equals(x.getType())).findFirst().orElse(null);
            return c != null && "True".equals(c.getStatus()) && "Carrying".equals(c.getReason()) && s.getStatus().relays == relays;
        });
    }

    /**
     * The certificate a TLS server on loopback presents to a new connection. The client shows no certificate, so a
     * server that requires one ends the handshake after sending its own; we only want the server's.
     */
    /**
     * Every relay lists and serves every segment ffmpeg uploaded for {@code stream}, byte for byte ({@code expected}:
     * the uploaded segments' hashes in order).
     */
    static void awaitEverySegmentAtEveryRelay(java.util.Map<String, io.stripecast.lab.cluster.JavaService> relays, String stream,
                                              java.util.List<String> expected, java.time.Duration wait) throws IOException, InterruptedException {
        for (var e : relays.entrySet()) {
            org.awaitility.Awaitility.await(e.getKey() + " lists every segment of " + stream).atMost(wait)
                    .pollInterval(java.time.Duration.ofMillis(250))
                    .until(() -> io.stripecast.lab.cluster.HlsCheck.listedSegments(e.getValue(), stream) >= expected.size());
            org.assertj.core.api.Assertions.assertThat(io.stripecast.lab.cluster.HlsCheck.servedHashes(e.getValue(), stream))
                    .as("segments of %s served by %s vs what ffmpeg uploaded", stream, e.getKey()).containsExactlyElementsOf(expected);
        }
    }

    static X509Certificate served(int port) throws IOException, GeneralSecurityException {
        AtomicReference<X509Certificate> seen = new AtomicReference<>();
        TrustManager capture = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                seen.set(chain[0]);
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[]{capture}, null);
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(5000);
            var params = socket.getSSLParameters();
            params.setApplicationProtocols(new String[]{"h2"});
            socket.setSSLParameters(params);
            try {
                socket.startHandshake();
            } catch (IOException refusedForWantOfAClientCertificate) {
                // expected from servers that require one
            }
        }
        if (seen.get() == null) {
            throw new IOException("port " + port + " presented no certificate");
        }
        return seen.get();
    }
}
