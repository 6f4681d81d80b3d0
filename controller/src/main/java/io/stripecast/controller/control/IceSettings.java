package io.stripecast.controller.control;

import java.util.List;
import java.util.Objects;

/**
 * The STUN/TURN servers a LiveStream hands to its viewers' browsers, passed to every relay with the stream.
 *
 * @param servers         stun:/turn:/turns: URLs; empty leaves ICE to the relays' own settings
 * @param transportPolicy {@code all} or {@code relay}
 * @param turnSecret      the TURN REST API shared secret (coturn's static-auth-secret), or null for none
 * @param turnTtlSeconds  lifetime of the credentials one page gets
 */
public record IceSettings(List<String> servers, String transportPolicy, String turnSecret, int turnTtlSeconds) {
    public static final IceSettings NONE = new IceSettings(List.of(), "all", null, 3600);

    public IceSettings {
        servers = List.copyOf(servers);
        Objects.requireNonNull(transportPolicy, "transportPolicy");
        if (!transportPolicy.equals("all") && !transportPolicy.equals("relay")) {
            throw new IllegalArgumentException("ICE transport policy must be all or relay, got " + transportPolicy);
        }
        if (turnTtlSeconds < 60 || turnTtlSeconds > 86400) {
            throw new IllegalArgumentException("TURN credential lifetime must be in 60..86400 s, got " + turnTtlSeconds);
        }
    }

    /** Keeps the secret out of logs and status. */
    @Override
    public String toString() {
        return "IceSettings[servers=" + servers + ", transportPolicy=" + transportPolicy + ", turnSecret="
                + (turnSecret == null ? "none" : "***") + ", turnTtlSeconds=" + turnTtlSeconds + "]";
    }
}
