package io.stripecast.lab.cluster;

import io.stripecast.protocol.trust.CertificateAuthority;
import io.stripecast.protocol.trust.Credentials;
import io.stripecast.protocol.trust.PeerIdentity;
import io.stripecast.protocol.trust.TlsFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The lab's own CA, made once per JVM (a test run, a scenario): every relay and controller the lab starts gets a
 * certificate for its identity in a temporary directory, so every end-to-end run speaks mutual TLS on both planes.
 */
public final class LabTrust {
    private static final LabTrust INSTANCE = new LabTrust();

    private final CertificateAuthority ca = CertificateAuthority.generate("stripecast-lab-ca", Duration.ofDays(2));
    private final Path dir;
    private final Map<PeerIdentity, TlsFiles> issued = new HashMap<>();

    private LabTrust() {
        try {
            dir = Files.createTempDirectory("stripecast-lab-tls");
            dir.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static LabTrust get() {
        return INSTANCE;
    }

    /** The CA, for tests that issue certificates of their own (rogue clients with a valid certificate). */
    public CertificateAuthority ca() {
        return ca;
    }

    /** The PEM files for {@code identity}, issued on first use (a restarted relay keeps its certificate). */
    public synchronized TlsFiles files(PeerIdentity identity) {
        return issued.computeIfAbsent(identity, id -> {
            Credentials c = ca.issue(id, Duration.ofDays(1));
            try {
                return c.write(dir, id.isController() ? "controller" : (id.pool().isEmpty() ? "" : id.pool() + "-") + id.relayId());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * Settings that give a process its certificate, unless the caller chose its own TLS settings (or plaintext).
     */
    static Map<String, String> withTls(Map<String, String> settings, PeerIdentity identity) {
        if (settings.containsKey("stripecast.tls.cert") || settings.containsKey("stripecast.tls.plaintext")) {
            return settings;
        }
        Map<String, String> s = new HashMap<>(get().files(identity).settings());
        // Explicit, so a pod environment the test replays (the chart's STRIPECAST_TLS_PLAINTEXT) cannot turn TLS off.
        s.put("stripecast.tls.plaintext", "false");
        s.putAll(settings);
        return s;
    }
}
