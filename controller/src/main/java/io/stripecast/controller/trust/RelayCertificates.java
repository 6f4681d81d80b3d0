package io.stripecast.controller.trust;

import io.fabric8.kubernetes.api.model.Pod;
import io.stripecast.protocol.trust.CertificateAuthority;
import io.stripecast.protocol.trust.PeerIdentity;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;

/**
 * Signs a relay pod's certificate request under {@link IssuingRule}: the CSR must be signed by the key it carries
 * (the relay holds that key), and the certificate names the pod, not whatever the CSR's subject says.
 */
public final class RelayCertificates {
    /** Short-lived: the relay renews at two thirds of it (docs/trust.md). The default of stripecast.tls.leaf-lifetime. */
    public static final Duration LIFETIME = Duration.ofHours(24);
    public static final int MAX_CSR_BYTES = 8 * 1024;

    /** Replaced when a CA roll starts issuing from the new CA. */
    private volatile CertificateAuthority ca;
    private final Duration lifetime;

    public RelayCertificates(CertificateAuthority ca) {
        this(ca, LIFETIME);
    }

    public RelayCertificates(CertificateAuthority ca, Duration lifetime) {
        this.ca = ca;
        this.lifetime = lifetime;
    }

    public CertificateAuthority ca() {
        return ca;
    }

    /** From now on issue from {@code next} (phase 2 of a CA roll). */
    void issueFrom(CertificateAuthority next) {
        this.ca = next;
    }

    /** The decision: a certificate, or why not ({@code reason}: a word for the refusal metric). */
    public record Outcome(X509Certificate certificate, String refusal, String reason) {
        static Outcome refused(String reason, String message) {
            return new Outcome(null, message, reason);
        }
    }

    public Outcome sign(byte[] csrDer, Pod pod, String pool, String peerIp) {
        IssuingRule.Refusal refusal = IssuingRule.check(pod, pool, peerIp);
        if (refusal != null) {
            return Outcome.refused(refusal.reason(), refusal.message());
        }
        if (csrDer.length > MAX_CSR_BYTES) {
            return Outcome.refused("bad_request", "certificate request larger than " + MAX_CSR_BYTES + " bytes");
        }
        PublicKey key;
        try {
            JcaPKCS10CertificationRequest csr = new JcaPKCS10CertificationRequest(csrDer);
            key = csr.getPublicKey();
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
                return Outcome.refused("bad_request", "the certificate request is not signed by its key");
            }
        } catch (IOException | GeneralSecurityException | OperatorCreationException | PKCSException | RuntimeException e) {
            return Outcome.refused("bad_request", "unreadable certificate request: " + e.getMessage());
        }
        PeerIdentity identity = PeerIdentity.relay(pool, pod.getMetadata().getName());
        CertificateAuthority issuing = ca;
        return new Outcome(issuing.issue(identity, key, lifetime), null, null);
    }
}
