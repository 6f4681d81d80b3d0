package io.stripecast.protocol.trust;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The {@code stripecast.tls.*} settings of a process, read once: mutual TLS with the given files (the default), or
 * plaintext only when {@code stripecast.tls.plaintext=true} says so explicitly.
 */
public final class TransportSecurity {
    private TransportSecurity() {
    }

    /** The process's credentials, or empty in plaintext mode; TLS on without its three files is a start-up error. */
    public static Optional<Credentials> load(boolean plaintext, Optional<String> cert, Optional<String> key, Optional<String> ca) {
        if (plaintext) {
            return Optional.empty();
        }
        if (cert.isEmpty() || key.isEmpty() || ca.isEmpty()) {
            throw new IllegalStateException("TLS is on by default: set stripecast.tls.cert, stripecast.tls.key and stripecast.tls.ca "
                    + "(PEM files; our CA issues them), or stripecast.tls.plaintext=true to run without TLS");
        }
        try {
            return Optional.of(Credentials.load(new TlsFiles(Path.of(cert.get()), Path.of(key.get()), Path.of(ca.get()))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the TLS files: " + e.getMessage(), e);
        }
    }

    /** The one WARN line a plaintext process logs at start. */
    public static String plaintextWarning(String what) {
        return "PLAINTEXT: stripecast.tls.plaintext=true, so " + what
                + " runs without TLS: anyone who reaches its gRPC port can pose as any relay. Never in production.";
    }
}
