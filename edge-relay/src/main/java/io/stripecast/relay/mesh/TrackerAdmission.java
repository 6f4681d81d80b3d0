package io.stripecast.relay.mesh;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Who may open a tracker socket (issue 16): a browser page from an allowed origin, and at most so many sockets per
 * client address. The Origin check keeps other sites' pages from using this edge's viewers (and its tracker) for a
 * swarm of their own: by default only pages this edge served itself (Origin = the Host the browser asked) or the
 * configured playback URL's origin, plus the configured ones. A client without an Origin header is no browser, and
 * a forged Origin is one header away for it anyway: the per-address cap is what bounds those. The count map holds
 * one entry per address with an open socket, so it is bounded by the sockets themselves.
 */
final class TrackerAdmission {
    private final Set<String> allowedOrigins;
    private final int maxPerAddress;
    private final Map<String, Integer> open = new ConcurrentHashMap<>();

    TrackerAdmission(List<String> allowedOrigins, int maxPerAddress) {
        this.allowedOrigins = allowedOrigins.stream().map(TrackerAdmission::normalize).filter(o -> o != null)
                .collect(Collectors.toUnmodifiableSet());
        this.maxPerAddress = maxPerAddress;
    }

    /** Whether a page from this Origin may use the tracker of an edge the browser reached as {@code host}. */
    boolean originAllowed(String origin, String host) {
        if (origin == null) {
            return true;
        }
        String o = normalize(origin);
        if (o == null) {
            return false;
        }
        if (allowedOrigins.contains(o)) {
            return true;
        }
        return host != null && sameAuthority(URI.create(o), host);
    }

    /** Takes a socket slot for this address; false when it holds the most already. */
    boolean acquire(String address) {
        boolean[] ok = {false};
        open.compute(address, (a, n) -> {
            int held = n == null ? 0 : n;
            if (held >= maxPerAddress) {
                return n;
            }
            ok[0] = true;
            return held + 1;
        });
        return ok[0];
    }

    void release(String address) {
        open.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }

    int addresses() {
        return open.size();
    }

    /** {@code scheme://host[:port]} in lower case, the scheme's default port dropped; null when it is not an origin. */
    static String normalize(String origin) {
        try {
            URI u = new URI(origin.trim());
            String scheme = u.getScheme() == null ? null : u.getScheme().toLowerCase(Locale.ROOT);
            if (scheme == null || u.getHost() == null || !(scheme.equals("http") || scheme.equals("https"))
                    || (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/"))
                    || u.getRawQuery() != null || u.getRawUserInfo() != null) {
                return null;
            }
            int port = u.getPort();
            boolean defaultPort = port < 0 || (scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443);
            return scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    /**
     * The page came from the edge itself: the Origin's host and port are the Host header's. Behind a proxy that ends
     * TLS the Host keeps the browser's name; its port may be left out, then the Origin's scheme's default is meant.
     */
    private static boolean sameAuthority(URI origin, String host) {
        URI h;
        try {
            h = new URI("x://" + host.trim());
        } catch (java.net.URISyntaxException e) {
            return false;
        }
        if (h.getHost() == null || !h.getHost().equalsIgnoreCase(origin.getHost())) {
            return false;
        }
        int originPort = origin.getPort() >= 0 ? origin.getPort() : ("https".equals(origin.getScheme()) ? 443 : 80);
        return h.getPort() < 0 ? origin.getPort() < 0 : h.getPort() == originPort;
    }
}
