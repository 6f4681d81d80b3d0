package io.stripecast.lab.sim;

import io.stripecast.controller.forest.ForestEvent;
import io.stripecast.controller.forest.ForestPlanner;
import io.stripecast.controller.forest.Plan;
import io.stripecast.controller.forest.PlannerConfig;
import io.stripecast.controller.forest.RelayInfo;
import io.stripecast.controller.forest.Snapshot;
import io.stripecast.controller.forest.StreamParams;

import java.util.HashMap;
import java.util.Map;

/**
 * The real planner's first forest over the nodes present at time 0 ({@code StreamStarted}). It depends on
 * the population and (k, m) only, not on churn, so runs at several churn rates share it.
 *
 * @param relays the registry at time 0 (immutable, so snapshots built from it are not copied)
 * @param ids    node index to relay id ("n" + index; n0 is the source)
 * @param wallMs the planner's wall time for this plan
 */
record InitialPlan(StreamParams stream, PlannerConfig plannerConfig, Map<String, RelayInfo> relays, String[] ids,
                   Plan plan, double wallMs) {

    static String id(int v) {
        return "n" + v;
    }

    static InitialPlan build(SimConfig config, Population pop, int nodes, int k, int m) {
        String[] ids = new String[nodes];
        Map<String, RelayInfo> relays = new HashMap<>(nodes * 2);
        for (int v = 0; v < nodes; v++) {
            ids[v] = id(v);
            relays.put(ids[v], new RelayInfo(ids[v], "z" + pop.zone[v], pop.uplinkMbps[v]));
        }
        Map<String, RelayInfo> frozen = Map.copyOf(relays);
        StreamParams stream = new StreamParams("sim", k, m, config.stream().bitrateMbps() / k, ids[0]);
        PlannerConfig pc = new PlannerConfig(config.control().targetUtilisation(), config.control().maxFanout());
        long t0 = System.nanoTime();
        Plan plan = new ForestPlanner(pc).plan(new Snapshot(frozen, stream, null), new ForestEvent.StreamStarted());
        double wall = (System.nanoTime() - t0) / 1e6;
        if (!plan.unplaced().isEmpty()) {
            System.err.printf("initial plan k=%d m=%d over %d nodes: %s, %d unplaced (%s)%n", k, m, nodes,
                    plan.status(), plan.unplaced().size(), plan.notes().stream().limit(3).toList());
        }
        return new InitialPlan(stream, pc, frozen, ids, plan, wall);
    }
}
