package io.stripecast.protocol.trust;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The trust side of a CA roll (docs/trust.md, "Rotation"): a bundle of CAs, followed as its file changes. */
class TrustBundleTest {
    private static final CertificateAuthority OLD = CertificateAuthority.generate("cluster-ca", Duration.ofDays(1));
    private static final CertificateAuthority NEW = CertificateAuthority.generate("cluster-ca-2", Duration.ofDays(1));
    private static final PeerIdentity R1 = PeerIdentity.relay("edge", "r1");

    private static X509Certificate[] leaf(CertificateAuthority ca, PeerIdentity id) {
        return new X509Certificate[]{ca.issue(id, Duration.ofHours(1)).certificate()};
    }

    @Test
    void aBundleOfTwoCasTrustsLeavesOfEitherAndStillChecksTheIdentity(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ca.crt");
        Files.writeString(file, Pem.toPem(OLD.certificate()) + Pem.toPem(NEW.certificate()), StandardCharsets.US_ASCII);
        var trust = new CaTrustManager(TrustBundle.watching(file, Duration.ZERO), R1::equals, "relay r1");

        trust.checkClientTrusted(leaf(OLD, R1), "ECDHE_ECDSA");
        trust.checkServerTrusted(leaf(NEW, R1), "ECDHE_ECDSA");
        assertThat(trust.getAcceptedIssuers()).containsExactly(OLD.certificate(), NEW.certificate());
        assertThatThrownBy(() -> trust.checkServerTrusted(leaf(NEW, PeerIdentity.relay("edge", "r9")), "ECDHE_ECDSA"))
                .isInstanceOf(CertificateException.class).hasMessageContaining("expected relay r1");
        CertificateAuthority foreign = CertificateAuthority.generate("cluster-ca", Duration.ofDays(1));
        assertThatThrownBy(() -> trust.checkClientTrusted(leaf(foreign, R1), "ECDHE_ECDSA")).isInstanceOf(CertificateException.class);
    }

    @Test
    void theFileIsReadAgainWhenItsContentChangesAndTheDroppedCaIsRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ca.crt");
        Files.writeString(file, Pem.toPem(OLD.certificate()), StandardCharsets.US_ASCII);
        TrustBundle bundle = TrustBundle.watching(file, Duration.ZERO);
        var trust = new CaTrustManager(bundle, id -> true, "any");
        X509Certificate[] oldLeaf = leaf(OLD, R1);
        X509Certificate[] newLeaf = leaf(NEW, R1);
        trust.checkClientTrusted(oldLeaf, "ECDHE_ECDSA");
        assertThatThrownBy(() -> trust.checkClientTrusted(newLeaf, "ECDHE_ECDSA")).isInstanceOf(CertificateException.class);

        // Phase 1: the kubelet writes the bundle of both.
        Files.writeString(file, Pem.toPem(OLD.certificate()) + Pem.toPem(NEW.certificate()), StandardCharsets.US_ASCII);
        trust.checkClientTrusted(newLeaf, "ECDHE_ECDSA");
        trust.checkClientTrusted(oldLeaf, "ECDHE_ECDSA");
        assertThat(bundle.issuerOf(newLeaf[0])).contains(NEW.certificate());

        // Phase 3: the old CA is dropped.
        Files.writeString(file, Pem.toPem(NEW.certificate()), StandardCharsets.US_ASCII);
        trust.checkClientTrusted(newLeaf, "ECDHE_ECDSA");
        assertThatThrownBy(() -> trust.checkClientTrusted(oldLeaf, "ECDHE_ECDSA")).isInstanceOf(CertificateException.class);
        assertThat(bundle.issuerOf(oldLeaf[0])).isEmpty();
    }

    @Test
    void anUnchangedFileIsNotParsedAgainAndABrokenOneKeepsTheLastGoodBundle(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ca.crt");
        Files.writeString(file, Pem.toPem(OLD.certificate()), StandardCharsets.US_ASCII);
        TrustBundle bundle = TrustBundle.watching(file, Duration.ZERO);
        for (int i = 0; i < 100; i++) {
            assertThat(bundle.cas()).containsExactly(OLD.certificate());
        }
        assertThat(bundle.parses()).as("parsed once, at start").isEqualTo(1);

        Files.writeString(file, "-----BEGIN CERTIFICATE-----\nnot base64\n", StandardCharsets.US_ASCII);
        assertThat(bundle.cas()).as("a broken file keeps the last good bundle").containsExactly(OLD.certificate());
        Files.writeString(file, Pem.toPem(NEW.certificate()), StandardCharsets.US_ASCII);
        assertThat(bundle.cas()).containsExactly(NEW.certificate());
        long parses = bundle.parses();
        bundle.cas();
        bundle.cas();
        assertThat(bundle.parses()).isEqualTo(parses);
    }

    @Test
    void theFileIsLookedAtNoMoreOftenThanAsked(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ca.crt");
        Files.writeString(file, Pem.toPem(OLD.certificate()), StandardCharsets.US_ASCII);
        TrustBundle bundle = TrustBundle.watching(file, Duration.ofHours(1));
        Files.writeString(file, Pem.toPem(NEW.certificate()), StandardCharsets.US_ASCII);
        assertThat(bundle.cas()).as("not due yet").containsExactly(OLD.certificate());
    }
}
