package io.stripecast.controller.control;

import io.stripecast.protocol.trust.PeerIdentity;
import io.stripecast.protocol.v1.Hello;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Does a hello speak for the relay that sent it? Its id and pool must be its certificate's, and the data address
 * it advertises must be the address it connects from: otherwise one relay could claim another's id (and its
 * children) or point the forest at a third party's address.
 */
final class HelloIdentity {
    private HelloIdentity() {
    }

    /** Why the hello's id or pool disagree with the certificate's identity; null when they agree. */
    static String mismatch(Hello h, PeerIdentity identity, boolean required) {
        if (identity == null) {
            return required ? "no certificate identity" : null;
        }
        if (identity.isController()) {
            return "a controller certificate cannot say hello as a relay";
        }
        if (!identity.relayId().equals(h.getRelayId())) {
            return "relay_id " + h.getRelayId() + " is not the certificate's (" + identity.relayId() + ")";
        }
        if (!identity.pool().equals(h.getPool())) {
            return "pool '" + h.getPool() + "' is not the certificate's ('" + identity.pool() + "')";
        }
        return null;
    }

    /**
     * The data address's host is the peer's address. Only IP literals count (no name is resolved here). On one
     * machine (the lab, the demo) every process speaks from loopback: a loopback peer may advertise any loopback
     * address, since whoever can bind there is on the same host.
     */
    static boolean addressIsPeer(String dataAddress, String peerHost) {
        int colon = dataAddress.lastIndexOf(':');
        String host = dataAddress.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        InetAddress advertised = literal(host);
        InetAddress peer = literal(peerHost);
        if (advertised == null || peer == null) {
            return false;
        }
        if (peer.isLoopbackAddress() && advertised.isLoopbackAddress()) {
            return true;
        }
        return advertised.equals(peer) || mapped(advertised).equals(mapped(peer));
    }

    private static InetAddress literal(String host) {
        if (host.isEmpty() || !host.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
            return null;
        }
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** An IPv4 peer seen on a dual-stack socket arrives as ::ffff:a.b.c.d; compare it as the IPv4 address. */
    private static InetAddress mapped(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 16) {
            boolean v4mapped = true;
            for (int i = 0; i < 10; i++) {
                v4mapped &= b[i] == 0;
            }
            if (v4mapped && b[10] == (byte) 0xff && b[11] == (byte) 0xff) {
                try {
                    return InetAddress.getByAddress(new byte[]{b[12], b[13], b[14], b[15]});
                } catch (UnknownHostException e) {
                    return a;
                }
            }
        }
        return a;
    }
}
