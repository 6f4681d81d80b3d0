package io.stripecast.protocol.trust;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CertificateAuthorityTest {
    private static final CertificateAuthority CA = CertificateAuthority.generate("test-ca", Duration.ofDays(1));

    @Test
    void identityTravelsInTheSanUri() {
        assertThat(PeerIdentity.of(CA.issue(PeerIdentity.relay("pool-a", "r1"), Duration.ofHours(1)).certificate()))
                .contains(PeerIdentity.relay("pool-a", "r1"));
        assertThat(PeerIdentity.of(CA.issue(PeerIdentity.relay("", "r1"), Duration.ofHours(1)).certificate()))
                .contains(PeerIdentity.relay("", "r1"));
        assertThat(PeerIdentity.of(CA.issue(PeerIdentity.CONTROLLER, Duration.ofHours(1)).certificate()))
                .contains(PeerIdentity.CONTROLLER);
        assertThat(PeerIdentity.parse("spiffe://stripecast/pool/../relay/x")).isEmpty();
        assertThat(PeerIdentity.parse("spiffe://other/relay/x")).isEmpty();
    }

    @Test
    void pemFilesRoundTrip(@TempDir Path dir) throws Exception {
        Credentials issued = CA.issue(PeerIdentity.relay("", "r2"), Duration.ofHours(1));
        TlsFiles files = issued.write(dir, "r2");
        Credentials read = Credentials.load(files);
        assertThat(read.certificate()).isEqualTo(issued.certificate());
        assertThat(read.key().getEncoded()).isEqualTo(issued.key().getEncoded());
        assertThat(read.ca()).isEqualTo(CA.certificate());
        assertThat(read.identity()).isEqualTo(PeerIdentity.relay("", "r2"));
        CA.write(dir.resolve("ca"));
        assertThat(CertificateAuthority.load(dir.resolve("ca/ca.crt"), dir.resolve("ca/ca.key")).certificate()).isEqualTo(CA.certificate());
    }

    @Test
    void trustsOnlyOurCaAndTheExpectedIdentity() throws Exception {
        var trust = new CaTrustManager(CA.certificate(), id -> id.equals(PeerIdentity.relay("", "r1")), "relay r1");
        X509Certificate good = CA.issue(PeerIdentity.relay("", "r1"), Duration.ofHours(1)).certificate();
        trust.checkClientTrusted(new X509Certificate[]{good}, "ECDHE_ECDSA");
        trust.checkServerTrusted(new X509Certificate[]{good}, "ECDHE_ECDSA");

        X509Certificate otherId = CA.issue(PeerIdentity.relay("", "r9"), Duration.ofHours(1)).certificate();
        assertThatThrownBy(() -> trust.checkServerTrusted(new X509Certificate[]{otherId}, "ECDHE_ECDSA"))
                .isInstanceOf(CertificateException.class).hasMessageContaining("expected relay r1");

        CertificateAuthority foreign = CertificateAuthority.generate("test-ca", Duration.ofDays(1));
        X509Certificate foreignCert = foreign.issue(PeerIdentity.relay("", "r1"), Duration.ofHours(1)).certificate();
        assertThatThrownBy(() -> trust.checkClientTrusted(new X509Certificate[]{foreignCert, foreign.certificate()}, "ECDHE_ECDSA"))
                .isInstanceOf(CertificateException.class);
    }
}
