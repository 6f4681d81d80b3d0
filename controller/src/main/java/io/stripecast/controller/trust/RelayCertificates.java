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
    /** Short-lived: the relay renews at two thirds of it (docs/trust.md). */
    public static final Duration LIFETIME = Duration.ofHours(24);
    static final int MAX_CSR_BYTES = 8 * 1024;

    private final CertificateAuthority ca;

    public RelayCertificates(CertificateAuthority ca) {
        this.ca = ca;
    }

    /** The decision: a certificate, or why not. */
    public record Outcome(X509Certificate certificate, String refusal) {
    }

    public Outcome sign(byte[] csrDer, Pod pod, String pool, String peerIp) {
        String refusal = IssuingRule.refusal(pod, pool, peerIp);
        if (refusal != null) {
            return new Outcome(null, refusal);
        }
        if (csrDer.length > MAX_CSR_BYTES) {
            return new Outcome(null, "certificate request larger than " + MAX_CSR_BYTES + " bytes");
        }
        PublicKey key;
        try {
            JcaPKCS10CertificationRequest csr = new JcaPKCS10CertificationRequest(csrDer);
            key = csr.getPublicKey();
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
                return new Outcome(null, "the certificate request is not signed by its key");
            }
        } catch (IOException | GeneralSecurityException | OperatorCreationException | PKCSException | RuntimeException e) {
            return new Outcome(null, "unreadable certificate request: " + e.getMessage());
        }
        PeerIdentity identity = PeerIdentity.relay(pool, pod.getMetadata().getName());
        return new Outcome(ca.issue(identity, key, LIFETIME), null);
    }
}
