package io.stripecast.lab.bench;

import io.stripecast.controller.forest.CheckResult;
import io.stripecast.controller.forest.Forest;
import io.stripecast.controller.forest.ForestEvent;
import io.stripecast.controller.forest.ForestPlanner;
import io.stripecast.controller.forest.InvariantChecker;
import io.stripecast.controller.forest.Plan;
import io.stripecast.controller.forest.PlannerConfig;
import io.stripecast.controller.forest.RelayInfo;
import io.stripecast.controller.forest.Snapshot;
import io.stripecast.controller.forest.StreamParams;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The forest planner ({@link ForestPlanner}, pure Java) on one stream of k=3, m=2 (5 stripe trees),
 * 6 Mbit/s, so one shard (one child) costs its parent 2 Mbit/s; {@link PlannerConfig#defaults()}
 * (80 % of the uplink, at most 32 children). Relays: the ingest (10 Gbit/s, so capped at 32 children,
 * 6-7 per tree) plus {@code relays - 1} others with uplinks drawn uniformly from 20..1000 Mbit/s
 * (fanout 8..32) in 4 zones, from a fixed seed. {@code relays} counts the ingest.
 *
 * <ul>
 *   <li>{@link #planFromScratch}/{@link #planFromScratchSingleShot}: {@code StreamStarted} on an empty
 *       forest, i.e. the whole forest built from the relay set (what a stream start or a new leader
 *       without a forest costs).</li>
 *   <li>{@link #repairInteriorDeath}: {@code RelayDied} of a relay that has children, on the same planned
 *       forest each time (the snapshot is immutable, so nothing drifts); each invocation takes the next
 *       relay of a shuffled list of all interior relays. It includes what the planner does per event on
 *       the whole relay set: copying the relay map without the dead relay and loading the forest.</li>
 *   <li>{@link #drainInterior}: {@code RelayDraining} of a relay that has children (its children move, it stays
 *       a leaf), same forest, same shuffled relays in reverse order.</li>
 *   <li>{@link #joinRelay}: {@code RelayJoined} of a relay new to the pool, same forest.</li>
 * </ul>
 *
 * <p>Setup checks the plans (status OK, nobody unplaced, {@link InvariantChecker} clean; for a sample of
 * repairs also the moves) and prints a short summary, so a wrong forest cannot look fast.
 */
@State(Scope.Thread)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PlannerBenchmark {

    static final String INGEST = "ingest";
    static final int K = 3;
    static final int M = 2;
    static final double BITRATE_MBPS = 6.0;
    static final double INGEST_UPLINK_MBPS = 10_000;
    static final String[] ZONES = {"zone-a", "zone-b", "zone-c", "zone-d"};
    static final long SEED = 20261125L;
    /** Repairs checked in setup (moves and the resulting forest), of the shuffled interior relays. */
    static final int CHECKED_REPAIRS = 100;
    /** Drains and joins checked in setup. */
    static final int CHECKED_OTHERS = 20;
    /** Distinct new relays the join benchmark cycles through (each joins the same planned forest). */
    static final int JOINERS = 1000;

    static final StreamParams STREAM = new StreamParams("bench", K, M, BITRATE_MBPS / K, INGEST);
    static final PlannerConfig CONFIG = PlannerConfig.defaults();

    /** A relay set and the empty snapshot to plan from. */
    @State(Scope.Thread)
    public static class Fresh {
        /** Relays including the ingest. */
        @Param({"1000", "10000", "100000"})
        public int relays;

        ForestPlanner planner;
        Snapshot empty;
        ForestEvent start;

        @Setup(Level.Trial)
        public void setUp() {
            planner = new ForestPlanner(CONFIG);
            empty = new Snapshot(relaySet(relays), STREAM, null);
            start = new ForestEvent.StreamStarted();
            long t0 = System.nanoTime();
            Plan plan = planner.plan(empty, start);
            long coldNanos = System.nanoTime() - t0;
            checkFullPlan(empty, plan);
            System.out.println();
            System.out.println("# first plan in this JVM (cold, interpreted) " + millis(coldNanos) + " ms: "
                    + plan.forest() + ", " + plan.moves().size() + " moves, designated per tree "
                    + designatedPerTree(empty, plan.forest()));
        }
    }

    /** A planned forest and the interior relays whose deaths are repaired, in a shuffled order. */
    @State(Scope.Thread)
    public static class Planned {
        /** Relays including the ingest. */
        @Param({"1000", "10000", "100000"})
        public int relays;

        ForestPlanner planner;
        Snapshot base;
        ForestEvent.RelayDied[] deaths;
        ForestEvent.RelayDraining[] drains;
        ForestEvent.RelayJoined[] joins;
        int next;
        int nextDrain;
        int nextJoin;

        @Setup(Level.Trial)
        public void setUp() {
            planner = new ForestPlanner(CONFIG);
            Snapshot empty = new Snapshot(relaySet(relays), STREAM, null);
            Plan plan = planner.plan(empty, new ForestEvent.StreamStarted());
            checkFullPlan(empty, plan);
            base = empty.withForest(plan.forest());

            Forest forest = plan.forest();
            List<String> interior = new ArrayList<>();
            for (String id : forest.members()) {
                if (!id.equals(INGEST) && forest.childCount(id) > 0) {
                    interior.add(id);
                }
            }
            Collections.sort(interior);
            Collections.shuffle(interior, new Random(SEED + 1));
            if (interior.isEmpty()) {
                throw new IllegalStateException("no interior relay in " + forest);
            }
            deaths = new ForestEvent.RelayDied[interior.size()];
            for (int i = 0; i < deaths.length; i++) {
                deaths[i] = new ForestEvent.RelayDied(interior.get(i));
            }
            next = 0;
            drains = new ForestEvent.RelayDraining[interior.size()];
            for (int i = 0; i < drains.length; i++) {
                drains[i] = new ForestEvent.RelayDraining(interior.get(drains.length - 1 - i));
            }
            Random rnd = new Random(SEED + 2);
            joins = new ForestEvent.RelayJoined[JOINERS];
            for (int i = 0; i < JOINERS; i++) {
                String id = String.format("joiner-%05d", i);
                joins[i] = new ForestEvent.RelayJoined(new RelayInfo(id, ZONES[rnd.nextInt(ZONES.length)],
                        20 + rnd.nextDouble() * 980));
            }

            // Check a sample of repairs and summarise what they do.
            InvariantChecker checker = new InvariantChecker(CONFIG);
            Map<Plan.Status, Integer> statuses = new EnumMap<>(Plan.Status.class);
            int checked = Math.min(CHECKED_REPAIRS, deaths.length);
            long moves = 0;
            int maxMoves = 0;
            long firstRepairNanos = 0;
            for (int i = 0; i < checked; i++) {
                long t0 = System.nanoTime();
                Plan repair = planner.plan(base, deaths[i]);
                if (i == 0) {
                    firstRepairNanos = System.nanoTime() - t0;
                }
                Snapshot after = base.next(deaths[i], repair);
                CheckResult result = checker.check(after, repair.moves());
                if (!result.ok() || !repair.unplaced().isEmpty()) {
                    throw new IllegalStateException("repair of " + deaths[i].relayId() + " is not sound: status "
                            + repair.status() + ", unplaced " + repair.unplaced() + ", violations "
                            + result.violations() + ", notes " + repair.notes());
                }
                statuses.merge(repair.status(), 1, Integer::sum);
                moves += repair.moves().size();
                maxMoves = Math.max(maxMoves, repair.moves().size());
            }
            checkOthers(this, checker, drains, "drain");
            checkOthers(this, checker, joins, "join");
            System.out.println();
            System.out.println("# " + forest + ": " + deaths.length + " interior relays; " + checked
                    + " repairs checked: " + statuses + ", moves per repair mean "
                    + String.format("%.1f", (double) moves / checked) + " max " + maxMoves
                    + "; first repair in this JVM (after one full plan) " + millis(firstRepairNanos) + " ms");
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Plan drainInterior(Planned s) {
        ForestEvent.RelayDraining drain = s.drains[s.nextDrain];
        s.nextDrain = s.nextDrain + 1 == s.drains.length ? 0 : s.nextDrain + 1;
        return s.planner.plan(s.base, drain);
    }

    /** {@code RelayJoined} of a relay new to the pool (20..1000 Mbit/s, zones a-d), on the same planned forest. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Plan joinRelay(Planned s) {
        ForestEvent.RelayJoined join = s.joins[s.nextJoin];
        s.nextJoin = s.nextJoin + 1 == s.joins.length ? 0 : s.nextJoin + 1;
        return s.planner.plan(s.base, join);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public Plan planFromScratch(Fresh s) {
        return s.planner.plan(s.empty, s.start);
    }

    /** Each measured call is one plan, after only the warm-up calls: closer to a controller's first plans. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public Plan planFromScratchSingleShot(Fresh s) {
        return s.planner.plan(s.empty, s.start);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Plan repairInteriorDeath(Planned s) {
        ForestEvent.RelayDied death = s.deaths[s.next];
        s.next = s.next + 1 == s.deaths.length ? 0 : s.next + 1;
        return s.planner.plan(s.base, death);
    }

    // ---------------------------------------------------------------- setup helpers

    /** Plans the first {@link #CHECKED_OTHERS} events on {@code s.base} and fails unless each is OK and sound. */
    static void checkOthers(Planned s, InvariantChecker checker, ForestEvent[] events, String what) {
        long moves = 0;
        Map<Plan.Status, Integer> statuses = new EnumMap<>(Plan.Status.class);
        for (int i = 0; i < Math.min(CHECKED_OTHERS, events.length); i++) {
            Plan plan = s.planner.plan(s.base, events[i]);
            CheckResult result = checker.check(s.base.next(events[i], plan), plan.moves());
            if (!result.ok() || !plan.unplaced().isEmpty() || plan.status() == Plan.Status.DEGRADED) {
                throw new IllegalStateException(what + " " + events[i] + " is not sound: status " + plan.status()
                        + ", unplaced " + plan.unplaced() + ", violations " + result.violations() + ", notes " + plan.notes());
            }
            moves += plan.moves().size();
            statuses.merge(plan.status(), 1, Integer::sum);
        }
        System.out.println("# " + Math.min(CHECKED_OTHERS, events.length) + " " + what + "s checked: " + statuses
                + ", " + moves + " moves in all");
    }

    /** The ingest plus {@code relays - 1} relays, 20..1000 Mbit/s, zones a-d, all from {@link #SEED}. */
    static Map<String, RelayInfo> relaySet(int relays) {
        Random rnd = new Random(SEED);
        Map<String, RelayInfo> out = new HashMap<>();
        out.put(INGEST, new RelayInfo(INGEST, ZONES[0], INGEST_UPLINK_MBPS));
        for (int i = 1; i < relays; i++) {
            String id = String.format("relay-%05d", i);
            String zone = ZONES[rnd.nextInt(ZONES.length)];
            double uplink = 20 + rnd.nextDouble() * 980;
            out.put(id, new RelayInfo(id, zone, uplink));
        }
        return out;
    }

    static String millis(long nanos) {
        return String.format("%.1f", nanos / 1e6);
    }

    static void checkFullPlan(Snapshot empty, Plan plan) {
        CheckResult result = new InvariantChecker(CONFIG).check(empty.withForest(plan.forest()));
        if (plan.status() != Plan.Status.OK || !plan.unplaced().isEmpty() || !result.ok()
                || plan.forest().size() != empty.relays().size()) {
            throw new IllegalStateException("plan of " + empty.relays().size() + " relays is not sound: status "
                    + plan.status() + ", " + plan.forest().size() + " members, unplaced " + plan.unplaced().size()
                    + ", violations " + result.violations() + ", notes " + plan.notes());
        }
    }

    static List<String> designatedPerTree(Snapshot empty, Forest forest) {
        CheckResult result = new InvariantChecker(CONFIG).check(empty.withForest(forest));
        List<String> out = new ArrayList<>();
        for (CheckResult.Tree t : result.trees()) {
            out.add(t.designated() + " (depth " + t.depth() + "/" + t.depthBound() + ")");
        }
        return out;
    }
}
