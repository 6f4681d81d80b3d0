package io.stripecast.lab.sim;

/**
 * Overlays 1-3: the stripe trees over every node, planned and repaired by the real planner, one segment
 * pushed at a time. The controller is kept one latency cap ahead of the segment being pushed, so every
 * repair that can still matter to it is in the {@link EdgeLog}.
 */
final class TreeRun {

    /** Per report: header plus, per stripe, parent, last sequence and lag. */
    static int reportBytes(int stripes) {
        return 40 + 24 * stripes;
    }

    /** What a tree run leaves behind, for tests that look inside. */
    record Outcome(OverlayResult result, Recorder recorder, ForestController controller) {
    }

    static OverlayResult run(SimConfig c, World w, Overlay overlay, InitialPlan initial) {
        return simulate(c, w, overlay, initial).result();
    }

    /** Runs one tree overlay in world {@code w} (built from a config with the same nodes, churn and seed). */
    static Outcome simulate(SimConfig c, World w, Overlay overlay, InitialPlan initial) {
        long t0 = System.nanoTime();
        int k = initial.stream().k();
        int m = initial.stream().m();
        ChurnSchedule churn = w.churn();
        EdgeLog log = new EdgeLog(k + m, churn.total);
        ForestController ctl = new ForestController(c, initial, w.peers(), churn, w.latency(), log);
        TreeDataPlane plane = new TreeDataPlane(log, w.peers(), w.latency(), churn, c.stream(), k, m);
        Recorder rec = new Recorder(c, churn.total);
        int seg = c.stream().segmentMs();
        double reportsPerSegment = (double) seg / c.control().heartbeatMs();
        long reports = 0;
        for (int s = 0; s < c.segments(); s++) {
            int p = s * seg;
            ctl.advanceTo(p + c.stream().latencyCapMs());
            plane.resolve(s);
            reports += sweep(c, churn, plane, rec, s, p);
        }
        rec.controlBytes += Math.round(reports * reportsPerSegment * reportBytes(k + m)) + ctl.controlBytes;
        long shard = plane.shardBytes();
        rec.dataBytes = (plane.shardsDelivered + plane.shardsDuplicate) * shard;
        rec.duplicateBytes = plane.shardsDuplicate * shard;
        rec.parityBytes = Math.round(plane.shardsDelivered * shard * (double) m / (k + m));
        rec.sourceBytes = plane.rootShards * shard;
        rec.regenerated = plane.shardsRegenerated;
        OverlayResult.Control control = ctl.result(initial.wallMs(), 0, 0);
        OverlayResult r = Results.of(overlay, c, k, m, rec, control, churn.deathCount(), churn.joinCount(), t0);
        return new Outcome(r, rec, ctl);
    }

    /** Records segment s at every node that owes it; returns the nodes alive (they report to the controller). */
    private static int sweep(SimConfig c, ChurnSchedule churn, TreeDataPlane plane, Recorder rec, int s, int p) {
        boolean measured = c.measured(s);
        int st = TreeDataPlane.stampOf(s);
        int alive = 0;
        for (int v = 1; v < churn.total; v++) {
            if (!churn.aliveAt(v, p)) {
                continue;
            }
            alive++;
            if (!measured || !churn.due(v, p, c.stream())) {
                continue;
            }
            if (plane.hasStamp[v] == st) {
                rec.delivered(v, plane.hasAt[v] - p, plane.hasDepth[v]);
            } else {
                rec.lost(v);
            }
        }
        return alive;
    }
}
