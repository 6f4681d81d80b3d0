package io.stripecast.protocol.trust;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.function.Predicate;

/**
 * Trusts certificates our CA issued (PKIX: signature, validity, key usage) and, of those, only the identities
 * {@code accepts} allows. Host names play no part: peers are dialled by IP address from assignments, and what a
 * peer must prove is its stripecast identity (the SAN URI), as SPIFFE does; the JDK's public roots are never used.
 */
final class CaTrustManager extends X509ExtendedTrustManager {
    private final X509TrustManager pkix;
    private final X509Certificate ca;
    private final Predicate<PeerIdentity> accepts;
    private final String expected;

    CaTrustManager(X509Certificate ca, Predicate<PeerIdentity> accepts, String expected) {
        this.ca = ca;
        this.accepts = accepts;
        this.expected = expected;
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            store.setCertificateEntry("stripecast-ca", ca);
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init(store);
            X509TrustManager found = null;
            for (TrustManager tm : f.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    found = x;
                }
            }
            if (found == null) {
                throw new IllegalStateException("the JDK offers no X509 trust manager");
            }
            this.pkix = found;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot build a trust store from the CA: " + e.getMessage(), e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.checkClientTrusted(chain, authType);
        checkIdentity(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.checkServerTrusted(chain, authType);
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
        return new X509Certificate[]{ca};
    }

    private void checkIdentity(X509Certificate[] chain) throws CertificateException {
        PeerIdentity identity = PeerIdentity.of(chain[0]).orElseThrow(() -> new CertificateException(
                "peer certificate " + chain[0].getSubjectX500Principal() + " carries no stripecast identity"));
        if (!accepts.test(identity)) {
            throw new CertificateException("peer is " + identity + ", expected " + expected);
        }
    }
}
