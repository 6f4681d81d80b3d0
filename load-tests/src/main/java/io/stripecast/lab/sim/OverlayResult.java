package io.stripecast.lab.sim;

import java.util.Map;

/**
 * What one overlay did in one run (nodes, churn, seed): the report's raw figures. Everything but
 * {@link #wallSeconds()} and the planner's wall times follows from the seed.
 *
 * @param continuity   share of owed (node, segment) pairs complete within the playout delay
 * @param playoutDelayMs the deadline the run was configured with (the mesh and the hybrid schedule by it; the
 *                     trees do not depend on it)
 * @param continuityAt share of owed pairs complete within other delays, by milliseconds ("2000", "5000", ...)
 * @param lostShare    share of owed pairs not complete within the latency cap
 * @param latencyMs    production to complete at a node, over the pairs complete within the cap
 * @param latencyByDepthMs trees: by the depth of the shard that completed the segment
 * @param deaths       nodes that died during the run (the hybrid: leaves, its relays in {@code control})
 */
public record OverlayResult(String overlay, int nodes, double churnPerMin, int k, int m, int playoutDelayMs, long due,
                            double continuity,
                            Map<String, Double> continuityAt, double lostShare, Quantiles latencyMs,
                            Map<Integer, Quantiles> latencyByDepthMs, Traffic traffic, Control control,
                            int deaths, int joins, double wallSeconds) {

    /** The same figures with the wall-clock ones zeroed: what must replay exactly from a seed. */
    public OverlayResult withoutWallClock() {
        return new OverlayResult(overlay, nodes, churnPerMin, k, m, playoutDelayMs, due, continuity, continuityAt, lostShare, latencyMs,
                latencyByDepthMs, traffic, control == null ? null : control.withoutWallClock(), deaths, joins, 0);
    }

    /** Milliseconds: count of samples, p50, p90, p99, max (-1 when there is none). */
    public record Quantiles(long count, int p50, int p90, int p99, int max) {
    }

    /**
     * Bytes moved. Data counts every segment or shard transmission (duplicates and parity included);
     * control counts reports, assignments, subscriptions, buffer maps, requests and handshakes.
     *
     * @param sourceEgressPerSegment bytes the source sent per segment, in segments
     * @param edgeShare              hybrid: share of the leaves' segments that came from edge relays (HTTP)
     * @param regeneratedShards      parity: shards rebuilt by orphaned interior nodes
     */
    public record Traffic(long dataBytes, long controlBytes, long duplicateBytes, long parityBytes, long sourceBytes,
                          long edgeBytes, long peerBytes, double controlOverhead, double duplicateShare,
                          double parityShare, double sourceEgressPerSegment, double edgeShare, long regeneratedShards,
                          long partnerReplacements, long edgeSwitches) {
    }

    /**
     * The control side. Trees: the real planner's calls. Mesh: partner replacements (no controller).
     *
     * @param planWallMs          measured wall time of the planner's calls: total, p50, p99, max (not replayable)
     * @param initialPlanWallMs   the first plan over all nodes (cached across churn rates)
     * @param modeledServiceMs    mean simulated time charged per call (see {@link SimConfig.Control})
     * @param maxControllerLagMs  worst delay of a controller sweep behind its tick (a busy planner)
     * @param moves               assignment changes sent
     * @param orphanMoves         of them, children of a dead node re-parented
     * @param nonOrphanMoves      moves in OK plans for a death that were not the dead node's or its orphans' (0)
     * @param repairMs            per death with orphans: death to the last orphan's new subscription at its parent
     * @param statuses            plan statuses (OK, RESHAPED, DEGRADED)
     * @param maxUnplaced         most relays waiting for room after any plan
     * @param invariantViolations violations InvariantChecker found after controller ticks (when checked)
     */
    public record Control(long planCalls, Map<String, Double> planWallMs, double initialPlanWallMs,
                          double modeledServiceMs, int maxControllerLagMs, long moves, long orphanMoves,
                          long nonOrphanMoves, Quantiles repairMs, Map<String, Integer> statuses, int maxUnplaced,
                          int invariantChecks, int invariantViolations, String firstViolation, int relays,
                          int relayDeaths) {

        Control withoutWallClock() {
            return new Control(planCalls, Map.of(), 0, modeledServiceMs, maxControllerLagMs, moves, orphanMoves,
                    nonOrphanMoves, repairMs, statuses, maxUnplaced, invariantChecks, invariantViolations,
                    firstViolation, relays, relayDeaths);
        }
    }
}
