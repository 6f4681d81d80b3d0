package io.stripecast.protocol.trust;

import java.nio.file.Path;
import java.util.Map;

/** Where a process finds its PEM files: its certificate, its private key (PKCS#8), the CA certificate. */
public record TlsFiles(Path cert, Path key, Path ca) {

    /** As settings: {@code stripecast.tls.cert}, {@code .key}, {@code .ca}. */
    public Map<String, String> settings() {
        return Map.of("stripecast.tls.cert", cert.toString(), "stripecast.tls.key", key.toString(), "stripecast.tls.ca", ca.toString());
    }
}
