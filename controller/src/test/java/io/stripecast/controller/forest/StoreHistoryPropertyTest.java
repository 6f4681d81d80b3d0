package io.stripecast.controller.forest;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The planner is a function of its input whatever its working store has been through: at every step of the
 * close-deaths scenario (and random events), {@code plan(before, e)} gives the same moves and the same forest
 * (a) on the store as the chain left it, (b) on a fresh load of an array copy of the same forest, and (c) after
 * the store went on to a later version and must come back (undo, or a fresh load when the way is long).
 */
class StoreHistoryPropertyTest {

    static LongStream seeds() {
        return LongStream.range(6001, 6101);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void aPlanDoesNotDependOnTheHistoryOfTheStoreItIsPlannedOn(long seed) {
        ForestGen gen = new ForestGen(seed, ForestGen.Profile.TIGHT);
        ForestPlanner planner = new ForestPlanner(gen.config);
        Map<String, RelayInfo> pool = gen.justEnoughRelaySet(2 * gen.stream.stripes() + 2 + gen.nextInt(60));
        Snapshot s = step(gen + ", start", planner, new Snapshot(pool, gen.stream, null), new ForestEvent.StreamStarted());
        int rounds = 1 + gen.nextInt(3);
        for (int round = 0; round < rounds; round++) {
            for (String v : gen.interiorOfDifferentTrees(s.current(), 2 + gen.nextInt(2))) {
                if (!s.current().contains(v) || v.equals(gen.stream.rootRelayId())) {
                    continue;
                }
                s = step(gen + ", round " + round + ", " + v + " died", planner, s, new ForestEvent.RelayDied(v));
            }
            for (int i = 0; i < 6; i++) {
                ForestEvent e = gen.event(s, 200);
                if (e instanceof ForestEvent.StreamStopped) {
                    continue;
                }
                s = step(gen + ", round " + round + ", event " + e, planner, s, e);
                if (s.current().isEmpty()) {
                    s = step(gen + ", restart", planner, s, new ForestEvent.StreamStarted());
                }
            }
        }
    }

    private static Snapshot step(String where, ForestPlanner planner, Snapshot s, ForestEvent e) {
        Plan continued = planner.plan(s, e);
        List<String> expected = describe(continued);
        Snapshot after = s.next(e, continued);
        if (!s.current().isEmpty()) {
            Plan fresh = planner.plan(s.withForest(arrayCopy(s.current())), e);
            assertThat(describe(fresh)).as("%s: fresh load gives the continued store's plan", where).isEqualTo(expected);
        }
        // Go on from the new version (one more plan), then come back to the old one.
        if (!after.current().isEmpty()) {
            planner.plan(after, new ForestEvent.Rebalance());
        }
        Plan undone = planner.plan(s, e);
        assertThat(describe(undone)).as("%s: after a later version, same plan", where).isEqualTo(expected);
        return after;
    }

    private static List<String> describe(Plan p) {
        List<String> out = new ArrayList<>();
        out.add(p.status() + " " + p.unplaced() + " relaxed " + new java.util.TreeSet<>(p.forest().relaxed()));
        p.moves().forEach(m -> out.add(m.toString()));
        Forest f = p.forest();
        out.add("members " + f.members());
        for (int t = 0; t < f.stripes(); t++) {
            out.add(t + ": " + f.parents(t));
        }
        return out;
    }

    /** The same forest held as arrays (member order kept), so the planner loads it afresh. */
    static Forest arrayCopy(Forest f) {
        List<String> ids = f.members();
        int n = ids.size();
        String[] a = ids.toArray(new String[0]);
        int[] interior = new int[n];
        int[][] parent = new int[f.stripes()][n];
        java.util.Map<String, Integer> idx = new java.util.HashMap<>();
        for (int i = 0; i < n; i++) {
            idx.put(a[i], i);
        }
        for (int i = 0; i < n; i++) {
            interior[i] = f.interiorStripe(a[i]);
            for (int t = 0; t < f.stripes(); t++) {
                String p = f.parent(t, a[i]);
                parent[t][i] = p == null ? -1 : idx.get(p);
            }
        }
        return new Forest(f.stripes(), a, idx.get(f.root()), parent, interior, f.relaxed());
    }
}
