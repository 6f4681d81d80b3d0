package io.stripecast.controller.forest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * One uplink, many streams ({@link UplinkBudget}): several streams rooted at one ingest over one relay pool, each
 * planned against the uplink the others and the viewers leave, through random deaths, joins, bitrate changes and
 * changes of measured playback egress. After every event the controller's reaction is replayed (every relay over
 * {@code uplink x utilisation} has the streams it feeds rebalanced), then:
 * <ul>
 *   <li>every plan satisfies the checker against the budgeted relays it was planned with (invariants 1-5, only
 *       declared relaxations), and every live relay is in every stream (never dark);</li>
 *   <li>when no stream holds a relaxed relay, no relay's planned egress over all streams plus its playback exceeds
 *       {@code uplink x utilisation} (except an ingest whose streams need more than that for one child per tree
 *       each: it keeps that minimum rather than leave a tree without a root child);</li>
 *   <li>with a pool that can carry every stream, nothing is ever relaxed (so the bound above always holds).</li>
 * </ul>
 * The seed is in every failure message.
 */
class UplinkBudgetPropertyTest {

    static final PlannerConfig CONFIG = new PlannerConfig(0.8, 32);

    static LongStream ampleSeeds() {
        return LongStream.range(7001, 7031);
    }

    static LongStream tightSeeds() {
        return LongStream.range(8001, 8031);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("ampleSeeds")
    void withRoomForEveryStreamNoRelayIsPromisedMoreThanItsUplink(long seed) {
        Pool pool = new Pool(seed, true);
        pool.run(25);
        assertThat(pool.relaxedEver).as("seed %d: relaxed relays with room for every stream", seed).isZero();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("tightSeeds")
    void withTooLittleUplinkStreamsDegradeButNeverGoDarkAndStrictPlansStayWithinUplinks(long seed) {
        Pool pool = new Pool(seed, false);
        pool.run(25);
    }

    /**
     * The case: an ingest whose uplink carries one stream's trees at most, rooting 20 streams. Planned with
     * its whole uplink per stream, it is promised several times what it has; with the budget, never more than its limit.
     */
    @Test
    void anIngestRootingManyStreamsIsNotPromisedMoreThanItsUplink() {
        int streams = 20;
        double bitrate = 3.0;
        Map<String, RelayInfo> relays = new TreeMap<>();
        // 20 streams x 3 trees x 1.5 Mbit/s = 90 Mbit/s at least: 150 x 0.8 = 120 carries it, not 20 x 32 children.
        relays.put("ingest", new RelayInfo("ingest", "a", 150));
        for (int i = 0; i < 10; i++) {
            relays.put("r" + i, new RelayInfo("r" + i, "a", 200));
        }
        ForestPlanner planner = new ForestPlanner(CONFIG);
        List<StreamParams> params = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            params.add(new StreamParams("s" + s, 2, 1, bitrate / 2, "ingest"));
        }

        // Without the budget: each stream sees the whole uplink.
        Map<String, Forest> naive = new LinkedHashMap<>();
        for (StreamParams p : params) {
            naive.put(p.name(), planner.plan(new Snapshot(relays, p, null), new ForestEvent.StreamStarted()).forest());
        }
        UplinkBudget naiveLoad = budget(relays, Map.of(), params, naive);
        assertThat(naiveLoad.plannedMbps("ingest")).as("the old path over-promises the ingest")
                .isGreaterThan(naiveLoad.limitMbps("ingest") * 2);

        // With the budget.
        Map<String, Forest> forests = new LinkedHashMap<>();
        for (StreamParams p : params) {
            UplinkBudget b = budget(relays, Map.of(), params, forests);
            Snapshot snap = new Snapshot(budgeted(b, relays, p.name()), p, null);
            Plan plan = planner.plan(snap, new ForestEvent.StreamStarted());
            CheckResult check = new InvariantChecker(CONFIG).check(snap.withForest(plan.forest()));
            assertThat(check.ok()).as("stream %s: %s", p.name(), check.violations()).isTrue();
            assertThat(plan.forest().members()).as("stream %s never dark", p.name()).containsAll(relays.keySet());
            forests.put(p.name(), plan.forest());
        }
        UplinkBudget after = budget(relays, Map.of(), params, forests);
        forests.forEach((name, f) -> assertThat(f.relaxed()).as("stream %s: the pool carries all 20", name).isEmpty());
        for (String r : relays.keySet()) {
            assertThat(after.overLimit(r)).as("%s: planned %.1f of %.1f", r, after.plannedMbps(r), after.limitMbps(r))
                    .isFalse();
        }
        assertThat(after.plannedMbps("ingest")).as("every stream has its trees' roots")
                .isGreaterThanOrEqualTo(streams * 3 * bitrate / 2 - 1e-9);
    }

    // ---------------------------------------------------------------- helpers

    static UplinkBudget budget(Map<String, RelayInfo> relays, Map<String, Double> playback, List<StreamParams> params,
                               Map<String, Forest> forests) {
        Map<String, Double> uplinks = new HashMap<>();
        relays.forEach((id, r) -> uplinks.put(id, r.uplinkMbps()));
        List<UplinkBudget.StreamLoad> loads = new ArrayList<>();
        for (StreamParams p : params) {
            // Every defined stream, started or not, as the controller passes them: the ingest keeps a share for each.
            Forest f = forests.get(p.name());
            loads.add(new UplinkBudget.StreamLoad(p, f == null ? Forest.empty(p.stripes()) : f));
        }
        return UplinkBudget.of(uplinks, playback, loads, CONFIG);
    }

    static Map<String, RelayInfo> budgeted(UplinkBudget b, Map<String, RelayInfo> relays, String stream) {
        Map<String, RelayInfo> out = new HashMap<>();
        relays.forEach((id, r) -> out.put(id, b.forStream(r, stream)));
        return out;
    }

    /** A pool of relays, several streams rooted at one ingest, and the controller's reaction to every event. */
    static final class Pool {
        final long seed;
        final boolean ample;
        final SplittableRandom rnd;
        final ForestPlanner planner = new ForestPlanner(CONFIG);
        final InvariantChecker checker = new InvariantChecker(CONFIG);
        final Map<String, RelayInfo> relays = new TreeMap<>();
        final Map<String, Double> playback = new TreeMap<>();
        final List<StreamParams> streams = new ArrayList<>();
        final Map<String, Forest> forests = new LinkedHashMap<>();
        /** Bitrates move, but at most 1.5x the start (what the ample pool was sized for). */
        final List<Double> initialRates = new ArrayList<>();
        int nextId;
        int relaxedEver;
        String where = "";

        Pool(long seed, boolean ample) {
            this.seed = seed;
            this.ample = ample;
            this.rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L);
            int count = 2 + rnd.nextInt(7);
            double rootNeed = 0;
            for (int s = 0; s < count; s++) {
                int k = 1 + rnd.nextInt(4);
                int m = rnd.nextInt(3);
                double bitrate = 1 + rnd.nextDouble() * 7;
                streams.add(new StreamParams("s" + s, k, m, bitrate / k, "ingest"));
                initialRates.add(bitrate / k);
                // A few children per tree for each stream, kept with room for bitrate changes (x1.5).
                rootNeed += 3 * (k + m) * (bitrate / k) * 1.5;
            }
            double rootUplink = ample ? rootNeed / CONFIG.targetUtilisation() * 1.2
                    : rootNeed / CONFIG.targetUtilisation() * (0.15 + rnd.nextDouble() * 0.5);
            relays.put("ingest", new RelayInfo("ingest", "", rootUplink));
            int n = (ample ? 20 : 8) + rnd.nextInt(ample ? 60 : 40);
            for (int i = 0; i < n; i++) {
                RelayInfo r = relay();
                relays.put(r.id(), r);
            }
        }

        RelayInfo relay() {
            String id = "r" + (nextId++);
            String zone = rnd.nextInt(3) == 0 ? "" : "z" + rnd.nextInt(3);
            double uplink = ample ? 600 + rnd.nextDouble() * 400 : 5 + rnd.nextDouble() * 80;
            return new RelayInfo(id, zone, uplink);
        }

        UplinkBudget budget() {
            return UplinkBudgetPropertyTest.budget(relays, playback, streams, forests);
        }

        void run(int events) {
            for (StreamParams p : streams) {
                where = "start " + p.name();
                plan(p, new ForestEvent.StreamStarted());
            }
            settle();
            check();
            for (int e = 0; e < events; e++) {
                int roll = rnd.nextInt(100);
                List<String> ids = new ArrayList<>(relays.keySet());
                ids.remove("ingest");
                if (roll < 30 && ids.size() > 4) {
                    String dead = ids.get(rnd.nextInt(ids.size()));
                    where = "event " + e + ": " + dead + " died";
                    for (StreamParams p : streams) {
                        if (forests.get(p.name()).contains(dead)) {
                            plan(p, new ForestEvent.RelayDied(dead));
                        }
                    }
                    relays.remove(dead);
                    playback.remove(dead);
                } else if (roll < 60) {
                    RelayInfo joined = relay();
                    where = "event " + e + ": " + joined.id() + " joined";
                    relays.put(joined.id(), joined);
                    for (StreamParams p : streams) {
                        plan(p, new ForestEvent.RelayJoined(joined));
                    }
                } else if (roll < 80) {
                    int i = rnd.nextInt(streams.size());
                    StreamParams p = streams.get(i);
                    double factor = ample ? 0.7 + rnd.nextDouble() * 0.8 : 0.5 + rnd.nextDouble() * 1.5;
                    StreamParams changed = p.withShardRate(Math.min(p.shardRateMbps() * factor, initialRates.get(i) * 1.5));
                    streams.set(i, changed);
                    where = "event " + e + ": " + p.name() + " shard rate " + changed.shardRateMbps();
                } else {
                    String r = ids.isEmpty() ? "ingest" : ids.get(rnd.nextInt(ids.size()));
                    double uplink = relays.get(r).uplinkMbps();
                    double mbps = rnd.nextDouble() * uplink * (ample ? 0.2 : 0.6);
                    playback.put(r, mbps);
                    where = "event " + e + ": " + r + " serves viewers " + mbps + " Mbit/s";
                }
                settle();
                check();
            }
        }

        /** What the controller does: rebalance the streams fed by every relay over its limit, a few rounds. */
        void settle() {
            for (int round = 0; round < 3; round++) {
                UplinkBudget b = budget();
                List<String> over = new ArrayList<>();
                for (String r : relays.keySet()) {
                    if (b.overLimit(r)) {
                        over.add(r);
                    }
                }
                if (over.isEmpty()) {
                    return;
                }
                java.util.Set<String> toRebalance = new java.util.TreeSet<>();
                for (String r : over) {
                    toRebalance.addAll(b.streamsFedBy(r));
                }
                for (StreamParams p : streams) {
                    if (toRebalance.contains(p.name())) {
                        plan(p, new ForestEvent.Rebalance());
                    }
                }
            }
        }

        void plan(StreamParams p, ForestEvent event) {
            Map<String, RelayInfo> view = budgeted(budget(), relays, p.name());
            Forest current = forests.get(p.name());
            if (current != null && !(event instanceof ForestEvent.Rebalance)
                    && UplinkBudget.outgrown(current, view, p, CONFIG)) {
                // The budget shrank under the forest (another stream or the viewers took uplink): as the
                // controller does, shed first, then plan the event.
                planOne(p, new ForestEvent.Rebalance(), view);
                view = budgeted(budget(), relays, p.name());
            }
            planOne(p, event, view);
        }

        void planOne(StreamParams p, ForestEvent event, Map<String, RelayInfo> view) {
            Snapshot snap = new Snapshot(view, p, forests.get(p.name()));
            Plan plan = planner.plan(snap, event);
            Snapshot after = snap.next(event, plan);
            CheckResult result = checker.check(after, plan.moves());
            if (!result.ok()) {
                fail("seed " + seed + ", " + where + ", stream " + p.name() + " " + event + ": "
                        + result.violations().subList(0, Math.min(5, result.violations().size())) + "; notes "
                        + plan.notes());
            }
            for (RelayInfo r : after.relays().values()) {
                if (!r.draining()) {
                    assertThat(plan.forest().contains(r.id())).as("seed %d, %s, stream %s: %s placed",
                            seed, where, p.name(), r.id()).isTrue();
                }
            }
            relaxedEver += plan.forest().relaxed().size();
            forests.put(p.name(), plan.forest());
        }

        void check() {
            boolean anyRelaxed = forests.values().stream().anyMatch(f -> !f.relaxed().isEmpty());
            if (anyRelaxed) {
                return;
            }
            UplinkBudget b = budget();
            for (String r : relays.keySet()) {
                if (b.rootMinimumMbps(r) > b.limitMbps(r)) {
                    continue; // an ingest too weak for one child per tree of every stream it roots: over by design
                }
                assertThat(b.overLimit(r)).as("seed %d, %s: %s planned %.2f + playback %.2f over its limit %.2f",
                        seed, where, r, b.plannedMbps(r), b.playbackMbps(r), b.limitMbps(r)).isFalse();
            }
        }
    }
}
