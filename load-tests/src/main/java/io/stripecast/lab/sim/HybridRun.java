package io.stripecast.lab.sim;

/**
 * Overlay 5: a stripe forest (k+m, the real planner) over a core of relays, and every node a mesh leaf of
 * one edge relay. The relays churn at the same rate as the nodes (a conservative choice: pods are
 * steadier than viewers). Figures are the leaves'; bytes include the core's.
 */
final class HybridRun {

    static ChurnSchedule relayChurn(SimConfig c) {
        int relays = c.hybrid().relaysFor(c.nodes());
        return ChurnSchedule.generate(c.seed(), "relays", relays + 1, c.churnPerMin(), c.durationMs());
    }

    static Population relayPopulation(SimConfig c, ChurnSchedule relayChurn) {
        return Population.relays(c, relayChurn.total);
    }

    static OverlayResult run(SimConfig c, World w, ChurnSchedule relayChurn, Population relays, InitialPlan core) {
        long t0 = System.nanoTime();
        int k = core.stream().k();
        int m = core.stream().m();
        EdgeLog log = new EdgeLog(k + m, relayChurn.total);
        // Relays have their own index space: their own latency draws (leaf-to-relay links use w.latency()).
        Latency coreLatency = new Latency(c.seed() + 1, c.network());
        ForestController ctl = new ForestController(c, core, relays, relayChurn, coreLatency, log);
        TreeDataPlane plane = new TreeDataPlane(log, relays, coreLatency, relayChurn, c.stream(), k, m);
        Recorder rec = new Recorder(c, w.churn().total);
        CoreEdges edges = new CoreEdges(c, w.peers(), w.churn(), relays, relayChurn, w.latency(), rec,
                Seeds.random(c.seed(), "edges"));
        int seg = c.stream().segmentMs();
        long[] reports = new long[1];
        new MeshDataPlane(c, w.peers(), w.churn(), w.latency(), rec, edges, Seeds.random(c.seed(), "leaves"))
                .run(s -> {
                    int p = s * seg;
                    ctl.advanceTo(p + c.stream().latencyCapMs());
                    plane.resolve(s);
                    edges.record(s, plane);
                    for (int r = 1; r < relayChurn.total; r++) {
                        if (relayChurn.aliveAt(r, p)) {
                            reports[0]++;
                        }
                    }
                });
        long shard = plane.shardBytes();
        rec.controlBytes += ctl.controlBytes
                + Math.round(reports[0] * (double) seg / c.control().heartbeatMs() * TreeRun.reportBytes(k + m));
        rec.dataBytes += (plane.shardsDelivered + plane.shardsDuplicate) * shard;
        rec.duplicateBytes += plane.shardsDuplicate * shard;
        rec.parityBytes += Math.round(plane.shardsDelivered * shard * (double) m / (k + m));
        rec.sourceBytes += plane.rootShards * shard;
        rec.regenerated += plane.shardsRegenerated;
        OverlayResult.Control control = ctl.result(core.wallMs(), relayChurn.initial - 1, relayChurn.deathCount());
        return Results.of(Overlay.HYBRID, c, k, m, rec, control, w.churn().deathCount(), w.churn().joinCount(), t0);
    }
}
