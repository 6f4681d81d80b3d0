package io.stripecast.relay.stream;

import io.stripecast.protocol.Names;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.v1.PublisherKeyVerifier;

import java.time.Duration;
import java.util.Optional;

/**
 * A stream's parameters as this relay knows them. {@code mesh} is set when the controller decides the leaf mesh
 * (from the LiveStream); null means the relay's own {@code stripecast.streams.<name>.mesh} settings apply. {@code key}
 * checks the publisher's key (see {@link io.stripecast.protocol.trust.PublisherKeys}); the key itself is not kept.
 */
public record StreamSpec(String name, int k, int m, Duration window, Optional<PublisherKeyVerifier> key, Optional<String> pullUrl,
                         Duration pullInterval, boolean onDemand, Mesh mesh) {

    /** The leaf mesh as the controller set it. */
    public record Mesh(boolean enabled, int maxPeers) {
        public Mesh {
            if (maxPeers < 1 || maxPeers > 64) {
                throw new IllegalArgumentException("mesh max peers must be in 1..64, got " + maxPeers);
            }
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
