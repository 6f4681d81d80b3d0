package io.stripecast.protocol.trust;

import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The CA certificates a process trusts: one, or several during a CA roll (docs/trust.md, "Rotation": the old CA and
 * the new one, concatenated PEM). Read from a file it is re-read when the file's bytes change (the kubelet updates a
 * mounted Secret in place), checked at most every {@code checkEvery} when a handshake asks: an unchanged file costs
 * one small read and a byte comparison, never a parse. The controller sets its bundle from the Secret it publishes.
 */
public final class TrustBundle {
    private static final Logger LOG = Logger.getLogger(TrustBundle.class.getName());
    public static final Duration CHECK_EVERY = Duration.ofSeconds(1);

    /** One version of the bundle: the CA certificates and the JDK's PKIX check over exactly them. */
    record Anchors(List<X509Certificate> cas, X509TrustManager pkix, byte[] source) {
    }

    private final AtomicReference<Anchors> current;
    private final Path file;
    private final long checkEveryNanos;
    private final AtomicLong nextCheck = new AtomicLong();
    private final AtomicLong parses = new AtomicLong();

    private TrustBundle(Anchors initial, Path file, Duration checkEvery) {
        this.current = new AtomicReference<>(initial);
        this.file = file;
        this.checkEveryNanos = checkEvery.toNanos();
        this.nextCheck.set(System.nanoTime() + checkEveryNanos);
    }

    /** A bundle that stays as given (files mode, tests) unless {@link #set(List)} replaces it. */
    public static TrustBundle of(List<X509Certificate> cas) {
        return new TrustBundle(anchors(cas, null), null, Duration.ZERO);
    }

    public static TrustBundle of(X509Certificate ca) {
        return of(List.of(ca));
    }

    /** The bundle in {@code file} (PEM, one or more certificates), re-read when its content changes. */
    public static TrustBundle watching(Path file, Duration checkEvery) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        TrustBundle b = new TrustBundle(anchors(Pem.parseCertificates(bytes, file.toString()), bytes), file, checkEvery);
        b.parses.incrementAndGet();
        return b;
    }

    /** The CA certificates trusted now, the first being the one a file or the publisher lists first. */
    public List<X509Certificate> cas() {
        return anchors().cas();
    }

    /** Replaces the bundle (the controller, when the CA Secret changes). */
    public void set(List<X509Certificate> cas) {
        if (!cas.equals(current.get().cas())) {
            current.set(anchors(cas, null));
        }
    }

    /** The CA of the bundle that signed {@code leaf}, if any (signature only; validity is the handshake's check). */
    public Optional<X509Certificate> issuerOf(X509Certificate leaf) {
        for (X509Certificate ca : cas()) {
            if (!ca.getSubjectX500Principal().equals(leaf.getIssuerX500Principal())) {
                continue;
            }
            try {
                leaf.verify(ca.getPublicKey());
                return Optional.of(ca);
            } catch (GeneralSecurityException notThisOne) {
                // same name, another key: the other CA of a roll may match
            }
        }
        return Optional.empty();
    }

    /** How many times the file was parsed (for tests: an unchanged file is not). */
    long parses() {
        return parses.get();
    }

    Anchors anchors() {
        if (file != null) {
            long now = System.nanoTime();
            long due = nextCheck.get();
            if (now - due >= 0 && nextCheck.compareAndSet(due, now + checkEveryNanos)) {
                reload();
            }
        }
        return current.get();
    }

    X509TrustManager pkix() {
        return anchors().pkix();
    }

    private void reload() {
        try {
            byte[] bytes = Files.readAllBytes(file);
            if (Arrays.equals(bytes, current.get().source())) {
                return;
            }
            List<X509Certificate> cas = Pem.parseCertificates(bytes, file.toString());
            parses.incrementAndGet();
            current.set(anchors(cas, bytes));
            LOG.info(() -> "trust bundle " + file + " changed: " + cas.size() + " CA certificate(s) "
                    + cas.stream().map(c -> c.getSubjectX500Principal().getName() + " #" + c.getSerialNumber().toString(16)).toList());
        } catch (IOException | RuntimeException e) {
            // Keep the last good bundle: a missing or unreadable file must not drop every trust at once.
            LOG.log(Level.WARNING, "cannot re-read the trust bundle " + file + ", keeping the previous one: " + e.getMessage());
        }
    }

    private static Anchors anchors(List<X509Certificate> cas, byte[] source) {
        if (cas.isEmpty()) {
            throw new IllegalArgumentException("a trust bundle needs at least one CA certificate");
        }
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                store.setCertificateEntry("stripecast-ca-" + i, cas.get(i));
            }
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init(store);
            for (TrustManager tm : f.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    return new Anchors(List.copyOf(cas), x, source);
                }
            }
            throw new IllegalStateException("the JDK offers no X509 trust manager");
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a trust store from the CA bundle: " + e.getMessage(), e);
        }
    }
}
