package io.stripecast.protocol.trust;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * What one process presents and trusts: its key and certificate, and the CA certificate it accepts peers from
 * (only that CA: never the JDK's public roots).
 */
public record Credentials(PrivateKey key, X509Certificate certificate, X509Certificate ca) {

    /** The identity in our own certificate. */
    public PeerIdentity identity() {
        return PeerIdentity.of(certificate).orElseThrow(() -> new IllegalStateException(
                "the certificate " + certificate.getSubjectX500Principal() + " carries no stripecast identity (SAN URI)"));
    }

    public static Credentials load(TlsFiles files) throws IOException {
        return new Credentials(Pem.readKey(files.key()), Pem.readCertificate(files.cert()), Pem.readCertificate(files.ca()));
    }

    /** Writes cert, key (owner-only) and CA as {@code <name>.crt}, {@code <name>.key}, {@code ca.crt} in {@code dir}. */
    public TlsFiles write(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        TlsFiles files = new TlsFiles(dir.resolve(name + ".crt"), dir.resolve(name + ".key"), dir.resolve("ca.crt"));
        Pem.writeCertificate(files.cert(), certificate);
        Pem.writeKey(files.key(), key);
        Pem.writeCertificate(files.ca(), ca);
        return files;
    }

    /** The CA file alone, for a peer that only checks servers (no client certificate yet). */
    public static Optional<X509Certificate> caOf(TlsFiles files) throws IOException {
        return Files.exists(files.ca()) ? Optional.of(Pem.readCertificate(files.ca())) : Optional.empty();
    }
}
