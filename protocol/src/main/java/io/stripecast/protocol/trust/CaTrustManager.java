package io.stripecast.protocol.trust;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.function.Predicate;

/**
 * Trusts certificates our CA (or, during a CA roll, either CA of the bundle) issued (PKIX: signature, validity, key usage) and, of those, only the identities
 * {@code accepts} allows. Host names play no part: peers are dialled by IP address from assignments, and what a
 * peer must prove is its stripecast identity (the SAN URI), as SPIFFE does; the JDK's public roots are never used.
 */
final class CaTrustManager extends X509ExtendedTrustManager {
    private final TrustBundle bundle;
    private final Predicate<PeerIdentity> accepts;
    private final String expected;

    CaTrustManager(X509Certificate ca, Predicate<PeerIdentity> accepts, String expected) {
        this(TrustBundle.of(ca), accepts, expected);
    }

    /** Trusts a leaf any CA of {@code bundle} issued, as the bundle stands at each handshake (a CA roll). */
    CaTrustManager(TrustBundle bundle, Predicate<PeerIdentity> accepts, String expected) {
        this.bundle = bundle;
        this.accepts = accepts;
        this.expected = expected;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        bundle.pkix().checkClientTrusted(chain, authType);
        checkIdentity(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        bundle.pkix().checkServerTrusted(chain, authType);
        checkIdentity(chain);
    }

    // The socket/engine variants would add host name checks (endpoint identification); we check identities instead.
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return bundle.cas().toArray(X509Certificate[]::new);
    }

    private void checkIdentity(X509Certificate[] chain) throws CertificateException {
        PeerIdentity identity = PeerIdentity.of(chain[0]).orElseThrow(() -> new CertificateException(
                "peer certificate " + chain[0].getSubjectX500Principal() + " carries no stripecast identity"));
        if (!accepts.test(identity)) {
            throw new CertificateException("peer is " + identity + ", expected " + expected);
        }
    }
}
