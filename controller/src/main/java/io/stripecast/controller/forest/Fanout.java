package io.stripecast.controller.forest;

/**
 * The fanout and depth arithmetic of the forest, in one place (DESIGN.md invariants 4 and 5).
 *
 * <ul>
 *   <li><b>Fanout limit</b> of a relay: {@code min(maxFanout, floor(uplinkMbps * targetUtilisation / shardRateMbps))}.
 *       It bounds the relay's children summed over all trees.</li>
 *   <li><b>Usable fanout</b> of a non-root relay: its limit when that is at least 2, else 0. A relay that
 *       could feed only one child would only lengthen a chain (no branching, and {@code log_1} is undefined),
 *       so it is a leaf in every tree.</li>
 *   <li><b>Root</b>: the ingest is root of every tree and is treated like any relay (same formula, same cap),
 *       its limit split evenly between the {@code k+m} trees ({@link #rootShare}) so that no tree starves
 *       another. With a limit below {@code k+m} some tree gets no share and cannot hold any relay: give the
 *       ingest an uplink worth at least {@code k+m} shards.</li>
 *   <li><b>Depth bound</b> of tree t: {@code ceil(log_f |R|) + 1}, where {@code |R|} counts the forest's
 *       members (root included) and {@code f} is the smallest usable fanout among the relays designated
 *       interior in t ({@link Forest#interiorStripe}), at least 2. The root is not counted in f: its share
 *       may be 1, the {@code +1} absorbs that level. A tree with no designated relay can only be a star
 *       under the root: bound 1.</li>
 * </ul>
 */
public final class Fanout {

    private Fanout() {
    }

    /** The fanout the relay's uplink allows: {@code min(maxFanout, floor(uplink * utilisation / shardRate))}. */
    public static int limit(RelayInfo relay, StreamParams stream, PlannerConfig config) {
        return limit(relay.uplinkMbps(), stream.shardRateMbps(), config);
    }

    static int limit(double uplinkMbps, double shardRateMbps, PlannerConfig config) {
        double raw = Math.floor(uplinkMbps * config.targetUtilisation() / shardRateMbps);
        if (!(raw >= 0)) {
            return 0;
        }
        return (int) Math.min(config.maxFanout(), raw);
    }

    /**
     * The children the relay's whole uplink can carry: {@code min(maxFanout, floor(uplink / shardRate))}, the
     * limit without the headroom {@code targetUtilisation} keeps. A parent between its limit and this ceiling is
     * over its fanout but not over its uplink: the first place the planner puts a relay it cannot place within
     * the bounds ({@link Relaxation#FANOUT}).
     */
    public static int ceiling(RelayInfo relay, StreamParams stream, PlannerConfig config) {
        double raw = Math.floor(relay.uplinkMbps() / stream.shardRateMbps());
        if (!(raw >= 0)) {
            return 0;
        }
        return (int) Math.min(config.maxFanout(), raw);
    }

    /** The fanout the planner uses: the limit for the root, and for other relays the limit or 0 when below 2. */
    public static int usable(RelayInfo relay, StreamParams stream, PlannerConfig config) {
        int limit = limit(relay, stream, config);
        if (relay.id().equals(stream.rootRelayId())) {
            return limit;
        }
        return limit >= 2 ? limit : 0;
    }

    /** The root's children allowed in {@code stripe}: its fanout split evenly, remainder to the first trees. */
    public static int rootShare(int rootFanout, int stripes, int stripe) {
        return rootFanout / stripes + (stripe < rootFanout % stripes ? 1 : 0);
    }

    /**
     * {@code ceil(log_f relays) + 1}; {@code treeFanout <= 0} means the tree has no designated interior relay
     * (a star under the root: bound 1).
     */
    public static int depthBound(int relays, int treeFanout) {
        if (treeFanout <= 0) {
            return 1;
        }
        return ceilLog(Math.max(2, treeFanout), relays) + 1;
    }

    /** The smallest e >= 0 with {@code base^e >= n}. */
    static int ceilLog(int base, int n) {
        int e = 0;
        long p = 1;
        while (p < n) {
            p *= base;
            e++;
        }
        return e;
    }
}
