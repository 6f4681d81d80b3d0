package io.stripecast.controller.forest;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One uplink, many streams: what each relay's uplink is already promised, and how much of it one stream may plan
 * with. Pure arithmetic over the streams' current forests (no I/O), like {@link Fanout}.
 *
 * <p>A relay feeds, per stream, one shard per child ({@code childCount x shardRate}; for the ingest that is its
 * children in every tree of every stream it roots) and serves viewers (measured playback egress, reported by the
 * relay). The planner sees one stream at a time, so it must be shown only the part of the uplink the other streams
 * and the viewers leave: for stream S and relay R the planner gets
 *
 * <pre>  uplink'(R, S) = max(0, uplink(R) - (planned(R, other streams) + playback(R)) / utilisation)</pre>
 *
 * so that {@link Fanout#limit} gives {@code floor((uplink x utilisation - others - playback) / shardRate(S))} and
 * the relay's planned egress summed over every stream plus its playback stays within {@code uplink x utilisation}
 * whenever every plan is strict. When it is not (the pool is too small for its streams), the planner degrades as
 * docs/never-go-dark.md says, against the same reduced uplink.
 *
 * <p>First come, first kept: a stream's children count against the other streams until a plan of its own sheds
 * them, so a new stream gets what the running ones leave and relaxes (never takes a running stream's slots).
 */
public final class UplinkBudget {

    /** Planned egress below this is rounding noise (Mbit/s); a relay is over only past it. */
    static final double EPSILON_MBPS = 1e-6;

    /**
     * What one stream asks of relays' uplinks now.
     *
     * @param stream        its name
     * @param forest        its current forest (empty when not running)
     * @param shardRateMbps the stream's bitrate divided by k: what one child costs its parent
     */
    public record StreamLoad(String stream, Forest forest, double shardRateMbps, String rootRelayId, int stripes) {
        public StreamLoad {
            Objects.requireNonNull(stream, "stream");
            Objects.requireNonNull(forest, "forest");
            if (!Double.isFinite(shardRateMbps) || shardRateMbps < 0) {
                throw new IllegalArgumentException("stream " + stream + ": shard rate must be finite and >= 0");
            }
        }

        public StreamLoad(StreamParams params, Forest forest) {
            this(params.name(), forest, params.shardRateMbps(), params.rootRelayId(), params.stripes());
        }
    }

    private final double utilisation;
    private final Map<String, Double> uplinks;
    private final Map<String, Double> playback;
    /** relay -> stream -> planned shard egress, Mbit/s (only non-zero entries). */
    private final Map<String, Map<String, Double>> planned;
    /** ingest -> stream it roots -> the least it must feed: one child per tree ({@code stripes x shardRate}). */
    private final Map<String, Map<String, Double>> rootMinimum;

    private UplinkBudget(double utilisation, Map<String, Double> uplinks, Map<String, Double> playback,
                         Map<String, Map<String, Double>> planned, Map<String, Map<String, Double>> rootMinimum) {
        this.utilisation = utilisation;
        this.uplinks = uplinks;
        this.playback = playback;
        this.planned = planned;
        this.rootMinimum = rootMinimum;
    }

    /**
     * @param uplinks         relay id to its advertised uplink, Mbit/s
     * @param playbackEgress  relay id to its measured egress to viewers, Mbit/s (absent: none measured)
     * @param streams         every stream's current load
     * @param config          the planner's knobs (its target utilisation)
     */
    public static UplinkBudget of(Map<String, Double> uplinks, Map<String, Double> playbackEgress,
                                  Collection<StreamLoad> streams, PlannerConfig config) {
        Map<String, Map<String, Double>> planned = new HashMap<>();
        Map<String, Map<String, Double>> rootMinimum = new HashMap<>();
        for (StreamLoad load : streams) {
            if (load.rootRelayId() != null && !load.rootRelayId().isEmpty()) {
                rootMinimum.computeIfAbsent(load.rootRelayId(), r -> new HashMap<>())
                        .put(load.stream(), load.stripes() * load.shardRateMbps());
            }
            Forest f = load.forest();
            if (f.isEmpty() || load.shardRateMbps() == 0) {
                continue;
            }
            for (String relay : f.members()) {
                int children = f.childCount(relay);
                if (children > 0) {
                    planned.computeIfAbsent(relay, r -> new HashMap<>())
                            .merge(load.stream(), children * load.shardRateMbps(), Double::sum);
                }
            }
        }
        Map<String, Double> play = new HashMap<>();
        playbackEgress.forEach((r, mbps) -> {
            if (Double.isFinite(mbps) && mbps > 0) {
                play.put(r, mbps);
            }
        });
        return new UplinkBudget(config.targetUtilisation(), Map.copyOf(uplinks), play, planned, rootMinimum);
    }

    /** The relay's planned shard egress over every stream, Mbit/s. */
    public double plannedMbps(String relay) {
        Map<String, Double> byStream = planned.get(relay);
        if (byStream == null) {
            return 0;
        }
        double sum = 0;
        for (double v : byStream.values()) {
            sum += v;
        }
        return sum;
    }

    /** The relay's planned shard egress for one stream, Mbit/s. */
    public double plannedMbps(String relay, String stream) {
        Map<String, Double> byStream = planned.get(relay);
        return byStream == null ? 0 : byStream.getOrDefault(stream, 0.0);
    }

    /** The relay's measured egress to viewers, Mbit/s (0 when none reported). */
    public double playbackMbps(String relay) {
        return playback.getOrDefault(relay, 0.0);
    }

    /** What the relay may send in all: {@code uplink x utilisation}, Mbit/s (0 for an unknown relay). */
    public double limitMbps(String relay) {
        return uplinks.getOrDefault(relay, 0.0) * utilisation;
    }

    /** What stream {@code stream} may plan on the relay: the limit less the other streams and the viewers, >= 0. */
    public double budgetMbps(String relay, String stream) {
        return Math.max(rootFloorMbps(relay, stream), limitMbps(relay) - othersMbps(relay, stream));
    }

    /**
     * An ingest never plans a stream it roots with less than one child per tree: below that a tree has no root child,
     * and every relay of the stream would be hung, relaxed, under whatever is left (the ingest itself, in the end).
     * Only when the streams' minimums together exceed the ingest's limit is it over (the pool is too small for them).
     */
    double rootFloorMbps(String relay, String stream) {
        return rootMinimum.getOrDefault(relay, Map.of()).getOrDefault(stream, 0.0);
    }

    /** The least the relay must feed as root of its streams, summed (0 for a relay that roots none). */
    public double rootMinimumMbps(String relay) {
        double sum = 0;
        for (double v : rootMinimum.getOrDefault(relay, Map.of()).values()) {
            sum += v;
        }
        return sum;
    }

    /**
     * What the relay's uplink owes to everything but {@code stream}: the other streams' planned egress and the
     * viewers. An ingest also keeps, for every other stream it roots, at least one child per tree (so the first
     * stream planned cannot take the ingest whole and leave the next ones without a root).
     */
    double othersMbps(String relay, String stream) {
        double others = playbackMbps(relay);
        Map<String, Double> byStream = planned.getOrDefault(relay, Map.of());
        Map<String, Double> minimum = rootMinimum.getOrDefault(relay, Map.of());
        for (Map.Entry<String, Double> e : byStream.entrySet()) {
            if (!e.getKey().equals(stream)) {
                others += Math.max(e.getValue(), minimum.getOrDefault(e.getKey(), 0.0));
            }
        }
        for (Map.Entry<String, Double> e : minimum.entrySet()) {
            if (!e.getKey().equals(stream) && !byStream.containsKey(e.getKey())) {
                others += e.getValue();
            }
        }
        return others;
    }

    /**
     * The relay as the planner of {@code stream} should see it: its uplink reduced so that {@link Fanout#limit}
     * is exactly what {@link #budgetMbps} allows.
     */
    public RelayInfo forStream(RelayInfo relay, String stream) {
        if (!uplinks.containsKey(relay.id())) {
            return relay;
        }
        double others = othersMbps(relay.id(), stream);
        if (others <= 0) {
            return relay;
        }
        double uplink = Math.max(0, relay.uplinkMbps() - others / utilisation);
        double floor = rootFloorMbps(relay.id(), stream);
        if (floor > 0 && uplink * utilisation < floor) {
            // A hair above the floor so that the fanout's floor() rounds to one child per tree, not one less.
            uplink = floor / utilisation * (1 + 1e-9) + 1e-12;
        }
        return new RelayInfo(relay.id(), relay.zone(), uplink, relay.draining());
    }

    /** Planned egress of every stream plus playback above {@code uplink x utilisation}. */
    public boolean overLimit(String relay) {
        return plannedMbps(relay) + playbackMbps(relay) > limitMbps(relay) + EPSILON_MBPS;
    }

    /**
     * True when the stream's strict forest asks more of some relay than {@code relays} (the budgeted view,
     * {@link #forStream}) now allows: children beyond the usable fanout, the ingest beyond its share in a tree, or a
     * relay designated interior that may no longer forward. Budgets shrink when another stream or the viewers take
     * uplink, and the planner's repairs and joins move only what the event needs, so the caller plans a
     * {@link ForestEvent.Rebalance} first (it sheds and re-designates, DESIGN.md invariant 4). Relaxed relays do not
     * count: every plan takes them out and places them again anyway. O(members x stripes).
     */
    public static boolean outgrown(Forest forest, Map<String, RelayInfo> relays, StreamParams stream,
                                   PlannerConfig config) {
        if (forest.isEmpty()) {
            return false;
        }
        java.util.Set<String> relaxed = forest.relaxed();
        String root = forest.root();
        int stripes = forest.stripes();
        // Invariant 5 moves with the budget too: a tree's bound follows the smallest fanout designated in it.
        int[] smallest = new int[stripes];
        java.util.Arrays.fill(smallest, Integer.MAX_VALUE);
        for (String id : forest.members()) {
            int t = forest.interiorStripe(id);
            RelayInfo info = relays.get(id);
            if (t >= 0 && info != null && !id.equals(root)) {
                smallest[t] = Math.min(smallest[t], Math.max(2, Fanout.usable(info, stream, config)));
            }
        }
        for (int t = 0; t < stripes; t++) {
            int bound = Fanout.depthBound(forest.size(), smallest[t] == Integer.MAX_VALUE ? -1 : smallest[t]);
            if (strictDepth(forest, t, relaxed) > bound) {
                return true;
            }
        }
        for (String id : forest.members()) {
            RelayInfo info = relays.get(id);
            if (info == null) {
                continue; // not described: the planner freezes it, nothing to compare with
            }
            int usable = Fanout.usable(info, stream, config);
            if (id.equals(root)) {
                for (int t = 0; t < forest.stripes(); t++) {
                    if (strictChildren(forest, t, id, relaxed) > Fanout.rootShare(usable, forest.stripes(), t)) {
                        return true;
                    }
                }
                continue;
            }
            int t = forest.interiorStripe(id);
            if (t < 0) {
                continue;
            }
            if (usable < 2 || strictChildren(forest, t, id, relaxed) > usable) {
                return true;
            }
        }
        return false;
    }

    private static int strictDepth(Forest forest, int stripe, java.util.Set<String> relaxed) {
        if (relaxed.isEmpty()) {
            return forest.treeDepth(stripe);
        }
        int max = 0;
        for (String id : forest.members()) {
            if (!relaxed.contains(id)) {
                max = Math.max(max, forest.depth(stripe, id));
            }
        }
        return max;
    }

    private static int strictChildren(Forest forest, int stripe, String relay, java.util.Set<String> relaxed) {
        if (relaxed.isEmpty()) {
            return forest.childCount(stripe, forest.indexOf(relay));
        }
        int n = 0;
        for (String c : forest.children(stripe, relay)) {
            if (!relaxed.contains(c)) {
                n++;
            }
        }
        return n;
    }

    /** Streams in which the relay has children (where shedding some would relieve it). */
    public java.util.Set<String> streamsFedBy(String relay) {
        Map<String, Double> byStream = planned.get(relay);
        return byStream == null ? java.util.Set.of() : java.util.Set.copyOf(byStream.keySet());
    }
}
