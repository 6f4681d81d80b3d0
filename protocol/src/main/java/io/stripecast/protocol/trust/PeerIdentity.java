package io.stripecast.protocol.trust;

import io.stripecast.protocol.Names;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who a certificate speaks for, carried in its one SAN URI (SPIFFE style):
 * {@code spiffe://stripecast/controller}, {@code spiffe://stripecast/relay/<id>} (no pool: the lab, the demo) or
 * {@code spiffe://stripecast/pool/<pool>/relay/<id>}. Names follow {@link Names#isRelayId}; anything else is no identity.
 *
 * @param pool    the relay's pool, "" for none (and for the controller)
 * @param relayId the relay's id, "" for the controller
 */
public record PeerIdentity(String pool, String relayId) {
    private static final String PREFIX = "spiffe://stripecast/";
    private static final Pattern RELAY = Pattern.compile("spiffe://stripecast/(?:pool/([A-Za-z0-9][A-Za-z0-9._-]{0,63})/)?relay/([A-Za-z0-9][A-Za-z0-9._-]{0,63})");
    private static final int URI_SAN = 6;

    public static final PeerIdentity CONTROLLER = new PeerIdentity("", "");

    public static PeerIdentity relay(String pool, String relayId) {
        if (!Names.isRelayId(relayId) || !(pool.isEmpty() || Names.isRelayId(pool))) {
            throw new IllegalArgumentException("not a relay identity: pool '" + pool + "', id '" + relayId + "'");
        }
        return new PeerIdentity(pool, relayId);
    }

    public boolean isController() {
        return relayId.isEmpty();
    }

    public String uri() {
        if (isController()) {
            return PREFIX + "controller";
        }
        return PREFIX + (pool.isEmpty() ? "" : "pool/" + pool + "/") + "relay/" + relayId;
    }

    public static Optional<PeerIdentity> parse(String uri) {
        if ((PREFIX + "controller").equals(uri)) {
            return Optional.of(CONTROLLER);
        }
        Matcher m = uri == null ? null : RELAY.matcher(uri);
        if (m == null || !m.matches()) {
            return Optional.empty();
        }
        return Optional.of(new PeerIdentity(m.group(1) == null ? "" : m.group(1), m.group(2)));
    }

    /** The identity a certificate carries: exactly one stripecast SAN URI, or none (two would be ambiguous). */
    public static Optional<PeerIdentity> of(X509Certificate certificate) {
        Collection<List<?>> names;
        try {
            names = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return Optional.empty();
        }
        if (names == null) {
            return Optional.empty();
        }
        List<String> uris = names.stream()
                .filter(n -> n.size() == 2 && Integer.valueOf(URI_SAN).equals(n.get(0)) && n.get(1) instanceof String)
                .map(n -> (String) n.get(1))
                .filter(u -> u.startsWith(PREFIX))
                .toList();
        return uris.size() == 1 ? parse(uris.get(0)) : Optional.empty();
    }

    @Override
    public String toString() {
        return uri();
    }
}
