package io.stripecast.controller.trust;

import com.google.protobuf.ByteString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.stripecast.controller.control.PeerAddress;
import io.stripecast.protocol.trust.PeerIdentity;
import io.stripecast.protocol.v1.SignRequest;
import io.stripecast.protocol.v1.SignResponse;
import io.stripecast.protocol.v1.TrustGrpc;
import org.jboss.logging.Logger;

import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * {@code Trust.Sign}: a relay pod without a certificate asks for one (docs/trust.md). The call needs no client
 * certificate (the control plane's TLS lets it through as OPTIONAL; the ControlPlane service refuses such callers);
 * what the caller proves is that it speaks from the IP of the pod it names, which the API server says. Bounded:
 * request sizes, a token bucket per address, and a small queue in front of the API look-ups, which never run on a
 * gRPC thread. Every outcome is counted: {@code stripecast_controller_certificates_issued_total},
 * {@code stripecast_controller_certificates_refused_total{reason}}.
 */
public final class TrustService extends TrustGrpc.TrustImplBase {
    private static final Logger LOG = Logger.getLogger(TrustService.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** Addresses remembered for rate limiting; beyond it idle ones are forgotten. */
    private static final int MAX_ADDRESSES = 4096;

    private final RelayCertificates issuer;
    private final KubernetesClient kube;
    private final String namespace;
    private final MeterRegistry registry;
    private final double ratePerSecond;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor lookups = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(64), r -> {
        Thread t = new Thread(r, "trust-sign");
        t.setDaemon(true);
        return t;
    });

    public TrustService(RelayCertificates issuer, KubernetesClient kube, String namespace, MeterRegistry registry, double ratePerSecond) {
        this.issuer = issuer;
        this.kube = kube;
        this.namespace = namespace;
        this.registry = registry;
        this.ratePerSecond = ratePerSecond;
        // Both series from the start, so an alert on refusals has something to compare with.
        registry.counter("stripecast.controller.certificates.issued");
    }

    @Override
    public void sign(SignRequest request, StreamObserver<SignResponse> out) {
        String peer = PeerAddress.host();
        if (!take(peer)) {
            refuse(out, "rate_limited", Status.RESOURCE_EXHAUSTED, "too many certificate requests from " + peer);
            return;
        }
        if (!NAME.matcher(request.getPool()).matches() || !NAME.matcher(request.getPod()).matches()) {
            refuse(out, "bad_request", Status.INVALID_ARGUMENT, "pool and pod must be 1..64 characters of [A-Za-z0-9._-]");
            return;
        }
        if (request.getCsr().size() > RelayCertificates.MAX_CSR_BYTES) {
            refuse(out, "bad_request", Status.INVALID_ARGUMENT, "certificate request larger than " + RelayCertificates.MAX_CSR_BYTES + " bytes");
            return;
        }
        try {
            lookups.execute(() -> decide(request, peer, out));
        } catch (RejectedExecutionException e) {
            refuse(out, "busy", Status.RESOURCE_EXHAUSTED, "too many certificate requests waiting");
        }
    }

    private void decide(SignRequest request, String peer, StreamObserver<SignResponse> out) {
        Pod pod;
        try {
            pod = kube.pods().inNamespace(namespace).withName(request.getPod()).get();
        } catch (RuntimeException e) {
            LOG.warnf("cannot read pod %s/%s for a certificate request: %s", namespace, request.getPod(), e.getMessage());
            refuse(out, "api_unavailable", Status.UNAVAILABLE, "cannot check the pod now; ask again");
            return;
        }
        RelayCertificates.Outcome outcome = issuer.sign(request.getCsr().toByteArray(), pod, request.getPool(), peer);
        if (outcome.certificate() == null) {
            LOG.infof("refused a certificate to %s asking as %s/%s: %s", peer, request.getPool(), request.getPod(), outcome.refusal());
            refuse(out, outcome.reason(), "bad_request".equals(outcome.reason()) ? Status.INVALID_ARGUMENT : Status.PERMISSION_DENIED,
                    outcome.refusal());
            return;
        }
        X509Certificate c = outcome.certificate();
        try {
            SignResponse response = SignResponse.newBuilder().setCertificate(ByteString.copyFrom(c.getEncoded()))
                    .setCa(ByteString.copyFrom(issuer.ca().certificate().getEncoded())).build();
            registry.counter("stripecast.controller.certificates.issued").increment();
            LOG.infof("issued %s (serial %s, until %s) to %s", PeerIdentity.relay(request.getPool(), request.getPod()),
                    c.getSerialNumber().toString(16), c.getNotAfter().toInstant(), peer);
            out.onNext(response);
            out.onCompleted();
        } catch (CertificateEncodingException e) {
            refuse(out, "internal", Status.INTERNAL, "cannot encode the certificate");
        }
    }

    private void refuse(StreamObserver<SignResponse> out, String reason, Status status, String message) {
        registry.counter("stripecast.controller.certificates.refused", "reason", reason).increment();
        out.onError(status.withDescription(message).asRuntimeException());
    }

    private boolean take(String address) {
        if (buckets.size() > MAX_ADDRESSES) {
            long now = System.nanoTime();
            buckets.values().removeIf(b -> b.idleSince(now) > TimeUnit.MINUTES.toNanos(1));
        }
        return buckets.computeIfAbsent(address, a -> new Bucket(ratePerSecond, Math.max(1, ratePerSecond * 10))).take();
    }

    public void close() {
        lookups.shutdownNow();
    }

    /** A token bucket: {@code rate} a second, at most {@code burst} saved. */
    private static final class Bucket {
        private final double rate;
        private final double burst;
        private double tokens;
        private long last = System.nanoTime();

        Bucket(double rate, double burst) {
            this.rate = rate;
            this.burst = burst;
            this.tokens = burst;
        }

        synchronized boolean take() {
            long now = System.nanoTime();
            tokens = Math.min(burst, tokens + (now - last) / 1e9 * rate);
            last = now;
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }

        synchronized long idleSince(long now) {
            return now - last;
        }
    }
}
