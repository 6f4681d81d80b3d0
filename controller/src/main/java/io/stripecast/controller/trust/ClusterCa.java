package io.stripecast.controller.trust;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.stripecast.protocol.trust.CertificateAuthority;
import io.stripecast.protocol.trust.Pem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

/**
 * The cluster CA in a Secret (Strimzi's model): created with a new CA when absent, never overwritten, so every
 * controller replica and every restart issues from the same CA (a CA roll, {@link CaRoll}, is the one change made to
 * it later). Two replicas racing to create it both end up with
 * the one the API server kept.
 */
public final class ClusterCa {
    public static final String CERT_KEY = "ca.crt";
    public static final String KEY_KEY = "ca.key";
    /** Long: renewing a CA is a two-phase roll (docs/trust.md); leaves live a day. */
    static final Duration VALIDITY = Duration.ofDays(5 * 365);

    private ClusterCa() {
    }

    public static CertificateAuthority ensure(KubernetesClient client, String namespace, String secretName) {
        Secret existing = client.secrets().inNamespace(namespace).withName(secretName).get();
        if (existing != null) {
            return fromSecret(existing);
        }
        CertificateAuthority fresh = generate(namespace);
        Secret secret = new SecretBuilder().withNewMetadata().withName(secretName).withNamespace(namespace)
                .addToLabels("app.kubernetes.io/part-of", "stripecast").addToLabels("app.kubernetes.io/component", "cluster-ca")
                .endMetadata()
                .withType("Opaque")
                .withData(Map.of(CERT_KEY, b64(pem(fresh, false)), KEY_KEY, b64(pem(fresh, true))))
                .build();
        try {
            client.secrets().inNamespace(namespace).resource(secret).create();
            return fresh;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            // Another replica created it first: use theirs.
            return fromSecret(client.secrets().inNamespace(namespace).withName(secretName).get());
        }
    }

    static CertificateAuthority fromSecret(Secret s) {
        if (s.getData() == null || !s.getData().containsKey(CERT_KEY) || !s.getData().containsKey(KEY_KEY)) {
            throw new IllegalStateException("Secret " + s.getMetadata().getName() + " lacks " + CERT_KEY + " or " + KEY_KEY);
        }
        try {
            byte[] cert = Base64.getDecoder().decode(s.getData().get(CERT_KEY));
            String key = new String(Base64.getDecoder().decode(s.getData().get(KEY_KEY)), StandardCharsets.US_ASCII);
            return new CertificateAuthority(Pem.parseKey(key), Pem.parseCertificates(cert, s.getMetadata().getName() + "/" + CERT_KEY).get(0));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the cluster CA from Secret " + s.getMetadata().getName(), e);
        }
    }

    /** The first CA of the cluster of {@code namespace}. */
    static CertificateAuthority generate(String namespace) {
        return CertificateAuthority.generate("stripecast-cluster-ca-" + namespace, VALIDITY);
    }

    /** The CA a roll brings: named apart from the one it replaces (both sit in the bundle for a while). */
    static CertificateAuthority generate(String namespace, java.time.Instant now) {
        return CertificateAuthority.generate("stripecast-cluster-ca-" + namespace + "-" + now.getEpochSecond(), VALIDITY);
    }

    static String pem(CertificateAuthority ca, boolean key) {
        try {
            return key ? Pem.keyToPem(ca.key()) : Pem.toPem(ca.certificate());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.US_ASCII));
    }
}
