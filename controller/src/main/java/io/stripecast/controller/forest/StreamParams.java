package io.stripecast.controller.forest;

import java.util.Objects;

/**
 * The parameters of one stream that shape its forest.
 *
 * @param name          the stream's name (carried into every {@link Move})
 * @param k             data stripes, {@code >= 1}
 * @param m             parity stripes, {@code >= 0}
 * @param shardRateMbps the measured bitrate divided by {@code k}: what one child costs its parent
 * @param rootRelayId   the ingest relay, root of every stripe tree
 */
public record StreamParams(String name, int k, int m, double shardRateMbps, String rootRelayId) {

    /** More stripes than this makes no sense for a Reed-Solomon code over GF(2^8). */
    public static final int MAX_STRIPES = 255;

    public StreamParams {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(rootRelayId, "rootRelayId");
        if (k < 1 || m < 0 || k + m > MAX_STRIPES) {
            throw new IllegalArgumentException("stream " + name + ": need k >= 1, m >= 0, k + m <= "
                    + MAX_STRIPES + ", got k=" + k + " m=" + m);
        }
        if (!Double.isFinite(shardRateMbps) || shardRateMbps <= 0) {
            throw new IllegalArgumentException("stream " + name + ": shard rate must be finite and > 0, got "
                    + shardRateMbps);
        }
    }

    /** The number of stripe trees, {@code k + m}. */
    public int stripes() {
        return k + m;
    }

    public StreamParams withShardRate(double mbps) {
        return new StreamParams(name, k, m, mbps, rootRelayId);
    }
}
