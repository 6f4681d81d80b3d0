package io.stripecast.lab.sim;

/**
 * Everything a run depends on. All times are integer milliseconds of simulated time; all rates Mbit/s.
 *
 * @param nodes           peers (viewers) besides the source; the hybrid adds {@link Hybrid#coreRelays()} relays
 * @param durationS       simulated seconds
 * @param warmupS         seconds before measurement starts (the mesh needs a few to fill its buffers)
 * @param churnPerMin     percent of the nodes that die (unannounced) per minute; as many join
 * @param seed            the one seed everything random follows from
 * @param checkInvariants run {@code InvariantChecker} on the planner's forest after every controller tick
 */
public record SimConfig(int nodes, int durationS, int warmupS, double churnPerMin, long seed,
                        Stream stream, Network network, Control control, Mesh mesh, Hybrid hybrid,
                        boolean checkInvariants) {

    public SimConfig {
        if (nodes < 2) {
            throw new IllegalArgumentException("need at least 2 nodes, got " + nodes);
        }
        if (durationS * 1000 < warmupS * 1000 + stream.latencyCapMs() + stream.segmentMs()) {
            throw new IllegalArgumentException("duration " + durationS + " s leaves nothing to measure after "
                    + warmupS + " s warm-up and the " + stream.latencyCapMs() + " ms latency cap");
        }
        if (churnPerMin < 0 || churnPerMin > 100) {
            throw new IllegalArgumentException("churn must be in [0, 100] % per minute, got " + churnPerMin);
        }
        if (stream.latencyCapMs() > 29 * stream.segmentMs()) {
            throw new IllegalArgumentException("latency cap must stay within 29 segments (the mesh's ring)");
        }
    }

    public static SimConfig defaults(int nodes, int durationS, double churnPerMin, long seed) {
        return new SimConfig(nodes, durationS, Math.min(30, durationS / 4), churnPerMin, seed, Stream.defaults(),
                Network.defaults(), Control.defaults(), Mesh.defaults(), Hybrid.defaults(), false);
    }

    public int durationMs() {
        return durationS * 1000;
    }

    /** Segments produced during the run. */
    public int segments() {
        return durationMs() / stream.segmentMs();
    }

    /** Whether segment {@code s} counts: after the warm-up, and early enough that its latency cap fits the run. */
    public boolean measured(int s) {
        int p = s * stream.segmentMs();
        return p >= warmupS * 1000 && p + stream.latencyCapMs() + stream.segmentMs() <= durationMs();
    }

    public SimConfig withNodes(int n) {
        return new SimConfig(n, durationS, warmupS, churnPerMin, seed, stream, network, control, mesh, hybrid, checkInvariants);
    }

    public SimConfig withChurn(double c) {
        return new SimConfig(nodes, durationS, warmupS, c, seed, stream, network, control, mesh, hybrid, checkInvariants);
    }

    public SimConfig withSeed(long s) {
        return new SimConfig(nodes, durationS, warmupS, churnPerMin, s, stream, network, control, mesh, hybrid, checkInvariants);
    }

    public SimConfig withStream(Stream s) {
        return new SimConfig(nodes, durationS, warmupS, churnPerMin, seed, s, network, control, mesh, hybrid, checkInvariants);
    }

    public SimConfig withNetwork(Network n) {
        return new SimConfig(nodes, durationS, warmupS, churnPerMin, seed, stream, n, control, mesh, hybrid, checkInvariants);
    }

    public SimConfig withMesh(Mesh me) {
        return new SimConfig(nodes, durationS, warmupS, churnPerMin, seed, stream, network, control, me, hybrid, checkInvariants);
    }

    public SimConfig withHybrid(Hybrid h) {
        return new SimConfig(nodes, durationS, warmupS, churnPerMin, seed, stream, network, control, mesh, h, checkInvariants);
    }

    public SimConfig withCheckInvariants(boolean on) {
        return new SimConfig(nodes, durationS, warmupS, churnPerMin, seed, stream, network, control, mesh, hybrid, on);
    }

    /**
     * The stream and what the players want.
     *
     * @param k                 data stripes of the forest overlays (the single tree uses 1)
     * @param m                 parity stripes of the parity overlay and the hybrid's core
     * @param segmentMs         segment duration; one segment is produced at the root every segmentMs
     * @param playoutDelayMs    a segment is on time at a node when it is complete within this of its production
     * @param latencyCapMs      arrivals later than this count as lost (the relays' window)
     * @param regenerateGraceMs how long a relay holding k shards waits for its own stripe's shard before
     *                          regenerating it (the relay's {@code regenerate-grace}, 750 ms)
     * @param joinGraceMs       a joining node owes segments produced from this long after it joined
     * @param joinBackfillMs    history a node new to a tree asks its parent for: 0 = from the newest whole segment
     *                          (a viewer joining live). The relay today subscribes from the start of its parent's
     *                          window when its own is empty (30 s), which queues that history before live shards.
     */
    public record Stream(int k, int m, double bitrateMbps, int segmentMs, int playoutDelayMs, int latencyCapMs,
                         int regenerateGraceMs, int joinGraceMs, int joinBackfillMs) {
        public static Stream defaults() {
            return new Stream(4, 1, 2.0, 1000, 5000, 25000, 750, 3000, 0);
        }

        public Stream withKm(int newK, int newM) {
            return new Stream(newK, newM, bitrateMbps, segmentMs, playoutDelayMs, latencyCapMs, regenerateGraceMs,
                    joinGraceMs, joinBackfillMs);
        }

        public Stream withPlayoutDelay(int ms) {
            return new Stream(k, m, bitrateMbps, segmentMs, ms, latencyCapMs, regenerateGraceMs, joinGraceMs, joinBackfillMs);
        }

        public Stream withBitrate(double mbps) {
            return new Stream(k, m, mbps, segmentMs, playoutDelayMs, latencyCapMs, regenerateGraceMs, joinGraceMs, joinBackfillMs);
        }

        public Stream withJoinBackfill(int ms) {
            return new Stream(k, m, bitrateMbps, segmentMs, playoutDelayMs, latencyCapMs, regenerateGraceMs, joinGraceMs, ms);
        }

        public long segmentBytes() {
            return Math.round(bitrateMbps * segmentMs * 1000 / 8);
        }
    }

    /**
     * Nodes and links. Peer uplinks are lognormal (median, sigma) clipped to [min, max]: most residential
     * uplinks sit near the median, a long tail is much faster, and some cannot carry the stream at all.
     * Link latency is drawn once per pair, uniformly within the zone range when both ends share a zone and
     * within the (higher) inter-zone range otherwise.
     */
    public record Network(double uplinkMedianMbps, double uplinkSigma, double uplinkMinMbps, double uplinkMaxMbps,
                          double sourceUplinkMbps, int zones, int intraZoneMinMs, int intraZoneMaxMs,
                          int interZoneMinMs, int interZoneMaxMs) {
        public static Network defaults() {
            return new Network(5.0, 0.9, 0.25, 200, 100, 8, 10, 40, 40, 150);
        }

        public Network withUplink(double median, double sigma) {
            return new Network(median, sigma, uplinkMinMbps, uplinkMaxMbps, sourceUplinkMbps, zones, intraZoneMinMs,
                    intraZoneMaxMs, interZoneMinMs, interZoneMaxMs);
        }
    }

    /**
     * The controller. Detection as the real Coordinator does it: relays report every {@code heartbeatMs};
     * a sweep every {@code heartbeatMs / 2} declares dead a relay silent for more than {@code deadAfterMs}.
     * The planner's own wall time is measured, but simulated time charges a deterministic model of it
     * ({@code plannerBaseMs + plannerUsPerRelay * |R| / 1000}) so that a seed replays exactly. Since the planner
     * continues on its working store instead of copying the forest per event (issue 17 point 4) an event costs what it
     * changes, ~0.005-0.6 ms at 100,000 relays in PlannerBenchmark (join, drain, repair): the default charges
     * 0.5 ms + 0.005 us per relay (1.0 ms at 100,000), an upper bound of those means; the model of the old planner,
     * which copied everything per event, was 0.5 ms + 0.35 us per relay ({@code --planner-us-per-relay 0.35}).
     */
    public record Control(int heartbeatMs, int deadAfterMs, double plannerBaseMs, double plannerUsPerRelay,
                          double targetUtilisation, int maxFanout) {
        public Control withPlannerModel(double baseMs, double usPerRelay) {
            return new Control(heartbeatMs, deadAfterMs, baseMs, usPerRelay, targetUtilisation, maxFanout);
        }

        public static Control defaults() {
            return new Control(1000, 3000, 0.5, 0.005, 0.8, 16);
        }
    }

    /**
     * The CoolStreaming-style mesh (also the hybrid's leaves).
     *
     * @param partners          partners a node keeps (M)
     * @param maxPartners       partners a node accepts at most
     * @param bufferMapPeriodMs each node sends its buffer map and schedules pulls once per period
     * @param requestTimeoutMs  a pull not answered in this long is asked of someone else
     * @param supplierQueueMs   a supplier refuses a pull it could not start within this long
     * @param sourcePartners    partners of the source (pure mesh)
     * @param partnerTimeoutMs  a partner silent for this long is dropped and replaced
     * @param maxPending        pulls a node keeps outstanding at once (its download pipeline)
     * @param urgentMs          a segment this close to its deadline is pulled before rarer ones
     */
    public record Mesh(int partners, int maxPartners, int bufferMapPeriodMs, int requestTimeoutMs, int supplierQueueMs,
                       int sourcePartners, int partnerTimeoutMs, int maxPending, int urgentMs) {
        public static Mesh defaults() {
            return new Mesh(6, 12, 500, 3000, 1000, 16, 3000, 4, 0);
        }

        public Mesh withPartners(int m) {
            return new Mesh(m, Math.max(maxPartners, 2 * m), bufferMapPeriodMs, requestTimeoutMs, supplierQueueMs,
                    sourcePartners, partnerTimeoutMs, maxPending, urgentMs);
        }
    }

    /**
     * The hybrid: relays form the core forest (k+m of {@link Stream}); every node is a mesh leaf of one edge
     * relay in its zone. Leaves pull from partners on the same edge; a segment not held within
     * {@code fallbackLeadMs} of its deadline comes from the edge over HTTP, and with probability
     * {@code httpSeedProbability} a leaf fetches a fresh segment from the edge at once (p2p-media-loader's
     * random HTTP downloads, which seed the swarm).
     *
     * @param coreRelays      relays in the core; 0 = nodes / 500 (at least 8)
     * @param relayUplinkMbps a relay's uplink (a CDN pod)
     */
    public record Hybrid(int coreRelays, double relayUplinkMbps, double httpSeedProbability, int fallbackLeadMs) {
        public static Hybrid defaults() {
            return new Hybrid(0, 10_000, 0.05, 2000);
        }

        public int relaysFor(int nodes) {
            return coreRelays > 0 ? coreRelays : Math.max(8, nodes / 500);
        }
    }
}
