package io.stripecast.relay.ingest;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What pull ingest may fetch (issue 16, SSRF): a playlist is outside input, and without this guard any URI in it (or a
 * redirect) would make the relay fetch from wherever the playlist's author likes (the cloud's metadata service at
 * 169.254.169.254, the cluster's internal services) and serve the answer to viewers. Pure: no I/O, the caller
 * resolves names and hands the addresses in.
 *
 * <p>A URI may name only the pull URL's own origin (scheme, host, port) or one of the configured extra hosts (any
 * port, http or https). Every address a name resolves to must be public: loopback, link-local, private, CGNAT,
 * unique-local, multicast, unspecified and reserved ranges are refused unless inside a configured allowed network.
 */
final class UpstreamGuard {
    /** Why a fetch was refused: fixed words, a metric label. */
    static final String SCHEME = "scheme";
    static final String OTHER_ORIGIN = "other_origin";
    static final String FORBIDDEN_ADDRESS = "forbidden_address";
    static final String REDIRECT_ELSEWHERE = "redirect_elsewhere";
    static final String TOO_MANY_REDIRECTS = "too_many_redirects";
    static final String TOO_LARGE = "too_large";

    private final URI origin;
    private final Set<String> extraHosts;
    private final List<AddressRange> allowedNetworks;

    UpstreamGuard(URI pullUrl, List<String> extraHosts, List<AddressRange> allowedNetworks) {
        this.origin = pullUrl;
        this.extraHosts = extraHosts.stream().map(h -> h.trim().toLowerCase(Locale.ROOT)).filter(h -> !h.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
        this.allowedNetworks = List.copyOf(allowedNetworks);
    }

    /** The refusal for fetching this URI, or empty when its scheme and host are allowed (its addresses are checked apart). */
    Optional<String> refuseUri(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return Optional.of(SCHEME);
        }
        if (uri.getHost() == null || uri.getRawUserInfo() != null) {
            return Optional.of(OTHER_ORIGIN);
        }
        if (sameOrigin(uri, origin)) {
            return Optional.empty();
        }
        return extraHosts.contains(uri.getHost().toLowerCase(Locale.ROOT)) ? Optional.empty() : Optional.of(OTHER_ORIGIN);
    }

    /** The refusal for a name that resolved to these addresses: every one must be allowed, not just the first. */
    Optional<String> refuseAddresses(InetAddress[] addresses) {
        if (addresses.length == 0) {
            return Optional.of(FORBIDDEN_ADDRESS);
        }
        for (InetAddress a : addresses) {
            if (!allowed(a)) {
                return Optional.of(FORBIDDEN_ADDRESS);
            }
        }
        return Optional.empty();
    }

    boolean allowed(InetAddress address) {
        for (AddressRange r : allowedNetworks) {
            if (r.contains(address)) {
                return true;
            }
        }
        return !internal(address);
    }

    /** Same scheme, host and port (the port the scheme implies when none is written). */
    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme() != null && b.getScheme() != null && a.getHost() != null && b.getHost() != null
                && a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    static int port(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    /** Addresses no public origin has: the host itself, its networks, the cloud's metadata service, multicast. */
    static boolean internal(InetAddress a) {
        if (a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
                || a.isMulticastAddress()) {
            return true;
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int o0 = b[0] & 0xff;
            int o1 = b[1] & 0xff;
            return o0 == 0                                   // "this network"
                    || (o0 == 100 && (o1 & 0xc0) == 64)      // 100.64/10, carrier-grade NAT
                    || (o0 == 192 && o1 == 0 && (b[2] & 0xff) == 0) // 192.0.0/24, protocol assignments
                    || (o0 == 198 && (o1 & 0xfe) == 18)      // 198.18/15, benchmarking
                    || o0 >= 240;                            // reserved and broadcast
        }
        if ((b[0] & 0xfe) == 0xfc) {
            return true;                                     // fc00::/7, unique local
        }
        // IPv6 forms that carry an IPv4 address a gateway turns into a connection to it: check that address.
        Inet4Address embedded = null;
        if (((Inet6Address) a).isIPv4CompatibleAddress()) {
            embedded = v4(b, 12);
        } else if ((b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b) {
            embedded = v4(b, 12);                            // 64:ff9b::/96, NAT64
        } else if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x02) {
            embedded = v4(b, 2);                             // 2002::/16, 6to4
        }
        return embedded != null && internal(embedded);
    }

    private static Inet4Address v4(byte[] b, int from) {
        try {
            return (Inet4Address) InetAddress.getByAddress(new byte[] {b[from], b[from + 1], b[from + 2], b[from + 3]});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
