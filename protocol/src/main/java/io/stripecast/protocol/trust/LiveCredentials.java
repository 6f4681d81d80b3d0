package io.stripecast.protocol.trust;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Credentials that can be replaced while the process runs (a renewed certificate). TLS contexts built on it read the
 * current key and certificate at every handshake: new connections present the new certificate, connections already
 * open keep the one they were made with. What it trusts is a {@link TrustBundle}: the CA alone, or a bundle re-read
 * when its file changes (a CA roll, docs/trust.md), or one the controller sets.
 */
public final class LiveCredentials {
    private static final String ALIAS = "stripecast";
    private final AtomicReference<Credentials> current;
    private final TrustBundle trust;

    /** Trusting the CA of {@code initial} alone. */
    public LiveCredentials(Credentials initial) {
        this(initial, TrustBundle.of(initial.ca()));
    }

    public LiveCredentials(Credentials initial, TrustBundle trust) {
        this.current = new AtomicReference<>(Objects.requireNonNull(initial));
        this.trust = Objects.requireNonNull(trust);
    }

    /** The CA certificates peers are checked against, as they stand now. */
    public TrustBundle trust() {
        return trust;
    }

    public Credentials get() {
        return current.get();
    }

    /** From the next handshake on, {@code renewed} is presented; it must carry the same identity (its CA may be a new one of the bundle). */
    public void set(Credentials renewed) {
        Credentials old = current.get();
        if (!renewed.identity().equals(old.identity())) {
            throw new IllegalArgumentException("a renewed certificate names " + renewed.identity() + ", not " + old.identity());
        }
        current.set(renewed);
    }

    X509ExtendedKeyManager keyManager() {
        return new X509ExtendedKeyManager() {
            @Override
            public String[] getClientAliases(String keyType, Principal[] issuers) {
                return new String[]{ALIAS};
            }

            @Override
            public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
                return ALIAS;
            }

            @Override
            public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
                return ALIAS;
            }

            @Override
            public String[] getServerAliases(String keyType, Principal[] issuers) {
                return new String[]{ALIAS};
            }

            @Override
            public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
                return ALIAS;
            }

            @Override
            public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
                return ALIAS;
            }

            @Override
            public X509Certificate[] getCertificateChain(String alias) {
                return new X509Certificate[]{current.get().certificate()};
            }

            @Override
            public PrivateKey getPrivateKey(String alias) {
                return current.get().key();
            }
        };
    }
}
