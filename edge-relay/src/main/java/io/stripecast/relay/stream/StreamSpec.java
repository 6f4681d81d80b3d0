package io.stripecast.relay.stream;

import io.stripecast.protocol.Names;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.trust.PlaybackTokens;
import io.stripecast.protocol.v1.PublisherKeyVerifier;

import java.time.Duration;
import java.util.Optional;

/**
 * A stream's parameters as this relay knows them. {@code mesh} is set when the controller decides the leaf mesh
 * (from the LiveStream); null means the relay's own {@code stripecast.streams.<name>.mesh} settings apply. {@code key}
 * checks the publisher's key (see {@link io.stripecast.protocol.trust.PublisherKeys}); the key itself is not kept.
 * {@code playbackSigning} is set when viewers need a signed URL (see {@link PlaybackTokens}); null leaves it to this
 * relay's own {@code stripecast.streams.<name>.playback-signing-key}, and without that playback is open.
 */
public record StreamSpec(String name, int k, int m, Duration window, Optional<PublisherKeyVerifier> key, Optional<String> pullUrl,
                         Duration pullInterval, boolean onDemand, Mesh mesh, PlaybackSigning playbackSigning) {

    /** The HMAC key viewers' tokens are checked with: an edge has to hold it to check them (a symmetric key). */
    public record PlaybackSigning(String key) {
        public PlaybackSigning {
            String problem = PlaybackTokens.problem(key);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
        }

        /** Keeps the key out of logs. */
        @Override
        public String toString() {
            return "PlaybackSigning[***]";
        }
    }

    public StreamSpec(String name, int k, int m, Duration window, Optional<PublisherKeyVerifier> key, Optional<String> pullUrl,
                      Duration pullInterval, boolean onDemand, Mesh mesh) {
        this(name, k, m, window, key, pullUrl, pullInterval, onDemand, mesh, null);
    }

    /** The leaf mesh as the controller set it; {@code ice} null leaves STUN/TURN to this relay's own settings. */
    public record Mesh(boolean enabled, int maxPeers, Ice ice) {
        public Mesh {
            if (maxPeers < 1 || maxPeers > 64) {
                throw new IllegalArgumentException("mesh max peers must be in 1..64, got " + maxPeers);
            }
        }

        public Mesh(boolean enabled, int maxPeers) {
            this(enabled, maxPeers, null);
        }
    }

    /**
     * STUN/TURN servers for the viewers' browsers.
     *
     * @param urls         at most 8 stun:/turn:/turns: URLs
     * @param relayOnly    ICE transport policy {@code relay}: TURN only, no viewer learns another's address
     * @param staticUser   a fixed TURN user name, or empty
     * @param staticCredential its credential, or empty
     * @param turnSecret   the TURN REST API shared secret (coturn's static-auth-secret), or empty; per-page
     *                     credentials are derived from it and win over a static user
     * @param turnTtl      lifetime of derived credentials
     */
    public record Ice(java.util.List<String> urls, boolean relayOnly, Optional<String> staticUser,
                      Optional<String> staticCredential, Optional<String> turnSecret, Duration turnTtl) {
        public static final int MAX_SERVERS = 8;

        public Ice {
            urls = java.util.List.copyOf(urls);
            if (urls.size() > MAX_SERVERS) {
                throw new IllegalArgumentException("at most " + MAX_SERVERS + " ICE servers, got " + urls.size());
            }
            for (String url : urls) {
                if (url.length() > 256 || !url.matches("(stun|turn|turns):\\S+")) {
                    throw new IllegalArgumentException("not a stun:, turn: or turns: URL: " + url);
                }
            }
            if (turnTtl.compareTo(Duration.ofMinutes(1)) < 0 || turnTtl.compareTo(Duration.ofDays(1)) > 0) {
                throw new IllegalArgumentException("TURN credential lifetime must be in 1 min..1 day, got " + turnTtl);
            }
        }

        /** Keeps credentials out of logs. */
        @Override
        public String toString() {
            return "Ice[urls=" + urls + ", relayOnly=" + relayOnly + "]";
        }
    }

    public StreamSpec(String name, int k, int m, Duration window, Optional<PublisherKeyVerifier> key, Optional<String> pullUrl,
                      Duration pullInterval, boolean onDemand) {
        this(name, k, m, window, key, pullUrl, pullInterval, onDemand, null);
    }

    /** A stream every relay of the pool carries (not on demand). */
    public StreamSpec(String name, int k, int m, Duration window, Optional<PublisherKeyVerifier> key, Optional<String> pullUrl,
                      Duration pullInterval) {
        this(name, k, m, window, key, pullUrl, pullInterval, false);
    }

    public StreamSpec {
        if (!Names.isStreamName(name)) {
            throw new IllegalArgumentException("bad stream name: " + name);
        }
        if (k < 1 || m < 0 || k + m > StripeCodec.MAX_TOTAL_SHARDS) {
            throw new IllegalArgumentException("stream " + name + ": need 1 <= k, 0 <= m, k + m <= 32, got k=" + k + " m=" + m);
        }
        if (window.isNegative() || window.isZero() || window.compareTo(Duration.ofHours(6)) > 0) {
            throw new IllegalArgumentException("stream " + name + ": window must be in (0, 6h], got " + window);
        }
    }

    /** Same stripes and window: a runtime built for one serves the other. */
    public boolean sameShape(StreamSpec other) {
        return k == other.k && m == other.m && window.equals(other.window);
    }

    public int stripes() {
        return k + m;
    }
}
