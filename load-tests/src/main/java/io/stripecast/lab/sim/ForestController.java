package io.stripecast.lab.sim;

import io.stripecast.controller.forest.CheckResult;
import io.stripecast.controller.forest.Forest;
import io.stripecast.controller.forest.ForestEvent;
import io.stripecast.controller.forest.ForestPlanner;
import io.stripecast.controller.forest.InvariantChecker;
import io.stripecast.controller.forest.Move;
import io.stripecast.controller.forest.Plan;
import io.stripecast.controller.forest.RelayInfo;
import io.stripecast.controller.forest.Snapshot;
import io.stripecast.controller.forest.StreamParams;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The controller of one stream, driving the real {@link ForestPlanner} in simulated time.
 *
 * <p>As the Coordinator does: every node reports each {@code heartbeat}; a sweep every {@code heartbeat/2}
 * declares dead a node silent for more than {@code deadAfter} and plans {@code RelayDied} for each, one
 * call per death, each moving only that node's orphans. Joins are planned at the sweep too, all the nodes
 * that said hello since the last one in a single {@code RelayJoined} call (the planner places every
 * registered relay that waits, so the outcome is the one per-join calls would reach). The planner runs on
 * one thread: a sweep starts when the previous one's plans are done, so a slow planner delays repairs.
 *
 * <p>Every move becomes edges in the {@link EdgeLog}: the child hears of it one controller latency after
 * the plan is done, and its subscription reaches the new parent one link latency later. The old edge ends
 * when the new one starts (a live old parent keeps sending until then).
 *
 * <p>Deviation from the Coordinator, to keep 100k-node runs affordable: all nodes found dead in one sweep
 * leave the registry before their deaths are planned, so the planner never gives an orphan to a node the
 * same sweep found dead (the Coordinator plans them one after another, the later ones still registered).
 */
final class ForestController {
    private final SimConfig config;
    private final ForestPlanner planner;
    private final StreamParams stream;
    private final Population pop;
    private final ChurnSchedule churn;
    private final Latency latency;
    final EdgeLog log;
    private final String[] ids;
    private final InvariantChecker checker;

    private final Map<String, RelayInfo> registry;
    private Map<String, RelayInfo> frozen;
    private Forest forest;

    /** Death detections as (sweep time << 32 | node), sorted; joins as (hello arrival << 32 | node), sorted. */
    private final long[] detections;
    private final long[] hellos;
    private int nextDetection;
    private int nextHello;
    private final int tickMs;
    private final int segmentMs;
    private final int lastTick;
    private int tick;
    private int busyUntil;

    // ---- what it measured ----
    long planCalls;
    final Longs wallNanos = new Longs();
    double modeledMsTotal;
    int maxLagMs;
    long moves;
    long orphanMoves;
    long nonOrphanMoves;
    final IntList repairMs = new IntList();
    final Map<String, Integer> statuses = new TreeMap<>();
    int maxUnplaced;
    int invariantChecks;
    int invariantViolations;
    String firstViolation;
    long controlBytes;

    /** Report, assignment and subscription message sizes (payload + ~40 bytes of headers). */
    static final int ASSIGNMENT_BYTES = 64;
    static final int SUBSCRIPTION_BYTES = 48;

    ForestController(SimConfig config, InitialPlan initial, Population pop, ChurnSchedule churn, Latency latency,
                     EdgeLog log) {
        this.config = config;
        this.planner = new ForestPlanner(initial.plannerConfig());
        this.stream = initial.stream();
        this.pop = pop;
        this.churn = churn;
        this.latency = latency;
        this.log = log;
        this.checker = new InvariantChecker(initial.plannerConfig());
        this.ids = new String[churn.total];
        for (int v = 0; v < churn.total; v++) {
            ids[v] = v < initial.ids().length ? initial.ids()[v] : InitialPlan.id(v);
        }
        this.registry = new HashMap<>(initial.relays());
        this.frozen = initial.relays();
        this.forest = ownCopy(initial.plan().forest());
        SimConfig.Control c = config.control();
        this.tickMs = Math.max(100, c.heartbeatMs() / 2);
        this.segmentMs = config.stream().segmentMs();
        this.lastTick = (config.durationMs() + config.stream().latencyCapMs()) / tickMs + 1;
        this.detections = detections(c);
        this.hellos = hellos();
        for (Move mv : initial.plan().moves()) {
            apply(mv, Integer.MIN_VALUE / 4, -1);
        }
    }

    /**
     * The initial forest is shared by the runs of every churn rate, which may run in parallel. The planner keeps its
     * working state in the forests it returns and continues on it with the next event; two runs planning alternately
     * from one forest would each pull that state back to their own branch. A copy per run (one O(n) load) keeps them
     * apart.
     */
    private static Forest ownCopy(Forest f) {
        if (f.isEmpty() || !f.relaxed().isEmpty()) {
            return f;
        }
        List<Map<String, String>> parents = new ArrayList<>();
        for (int t = 0; t < f.stripes(); t++) {
            parents.add(f.parents(t));
        }
        Map<String, Integer> interior = new HashMap<>();
        for (String id : f.members()) {
            if (f.interiorStripe(id) >= 0) {
                interior.put(id, f.interiorStripe(id));
            }
        }
        return Forest.of(f.root(), parents, interior);
    }

    /** When the sweep finds each death: the last report it got, plus deadAfter, rounded up to a sweep. */
    private long[] detections(SimConfig.Control c) {
        long salt = Seeds.salt(config.seed(), "heartbeat-phase");
        long[] out = new long[churn.deaths.length];
        for (int i = 0; i < out.length; i++) {
            int v = churn.deaths[i];
            int died = churn.deathAt[v];
            int phase = (int) ((Seeds.mix(salt + v) >>> 1) % c.heartbeatMs());
            int lastSent = died - Math.floorMod(died - phase, c.heartbeatMs());
            int lastSeen = lastSent + latency.toController(v);
            int sweep = (Math.floorDiv(lastSeen + c.deadAfterMs(), tickMs) + 1) * tickMs;
            out[i] = ((long) sweep << 32) | v;
        }
        Arrays.sort(out);
        return out;
    }

    private long[] hellos() {
        long[] out = new long[churn.total - churn.initial];
        for (int v = churn.initial; v < churn.total; v++) {
            out[v - churn.initial] = ((long) (churn.joinAt[v] + latency.toController(v)) << 32) | v;
        }
        Arrays.sort(out);
        return out;
    }

    Forest forest() {
        return forest;
    }

    /** The registry as a snapshot the checker can use (includes waiting joiners and undetected dead). */
    Snapshot snapshot() {
        return new Snapshot(Map.copyOf(registry), stream, forest);
    }

    /** Runs every sweep that starts by {@code limit} (edges it makes start later still). */
    void advanceTo(int limit) {
        while (tick <= lastTick) {
            int due = tick * tickMs;
            int start = Math.max(due, busyUntil);
            if (start > limit) {
                return;
            }
            maxLagMs = Math.max(maxLagMs, start - due);
            busyUntil = sweep(due, start);
            tick++;
        }
    }

    private int sweep(int due, int start) {
        int time = start;
        int from = nextDetection;
        while (nextDetection < detections.length && (int) (detections[nextDetection] >>> 32) <= due) {
            registry.remove(ids[(int) detections[nextDetection]]);
            nextDetection++;
        }
        boolean changed = nextDetection > from;
        if (changed) {
            frozen = Map.copyOf(registry);
        }
        for (int i = from; i < nextDetection; i++) {
            int x = (int) detections[i];
            if (forest.contains(ids[x])) {
                time = plan(new ForestEvent.RelayDied(ids[x]), time, x);
            }
        }
        String joiner = null;
        while (nextHello < hellos.length && (int) (hellos[nextHello] >>> 32) <= due) {
            int v = (int) hellos[nextHello++];
            if (churn.deathAt[v] > due) {
                joiner = ids[v];
                registry.put(joiner, info(v));
            }
        }
        if (joiner != null) {
            changed = true;
            frozen = Map.copyOf(registry);
            time = plan(new ForestEvent.RelayJoined(registry.get(joiner)), time, -1);
        }
        if (changed && config.checkInvariants()) {
            check();
        }
        return time;
    }

    private RelayInfo info(int v) {
        return new RelayInfo(ids[v], "z" + pop.zone[v], pop.uplinkMbps[v]);
    }

    private int plan(ForestEvent event, int time, int dead) {
        long t0 = System.nanoTime();
        Plan plan = planner.plan(new Snapshot(frozen, stream, forest), event);
        wallNanos.add(System.nanoTime() - t0);
        planCalls++;
        forest = plan.forest();
        double modeled = config.control().plannerBaseMs() + config.control().plannerUsPerRelay() * forest.size() / 1000.0;
        modeledMsTotal += modeled;
        int done = time + (int) Math.ceil(modeled);
        statuses.merge(plan.status().name(), 1, Integer::sum);
        maxUnplaced = Math.max(maxUnplaced, plan.unplaced().size());
        String deadId = dead < 0 ? null : ids[dead];
        int lastOrphan = Integer.MIN_VALUE;
        for (Move mv : plan.moves()) {
            int started = apply(mv, done, dead);
            moves++;
            if (deadId != null) {
                if (deadId.equals(mv.oldParent()) && mv.newParent() != null) {
                    orphanMoves++;
                    lastOrphan = Math.max(lastOrphan, started);
                } else if (!deadId.equals(mv.child()) && plan.status() == Plan.Status.OK) {
                    nonOrphanMoves++; // an OK repair promises to move only the orphans
                }
            }
        }
        if (lastOrphan != Integer.MIN_VALUE) {
            repairMs.add(lastOrphan - churn.deathAt[dead]);
        }
        return done;
    }

    /** Turns one move into edges; returns when the new edge starts (or the old one ends). */
    private int apply(Move mv, int done, int dead) {
        int t = mv.stripe();
        int child = index(mv.child());
        int heard = done + latency.toController(child);
        controlBytes += ASSIGNMENT_BYTES;
        if (mv.newParent() == null) {
            log.close(t, child, heard);
            return heard;
        }
        int parent = index(mv.newParent());
        int start = heard + latency.between(child, pop.zone[child], parent, pop.zone[parent]);
        // A node new to the tree asks for the newest whole segment (or, with a backfill, that much history); a
        // moved one resumes from the first segment it lacks, which the new parent's window still holds.
        int from = mv.oldParent() == null && done >= 0
                ? start - Math.max(segmentMs, config.stream().joinBackfillMs()) : Integer.MIN_VALUE;
        log.open(t, parent, child, start, from);
        controlBytes += SUBSCRIPTION_BYTES;
        return start;
    }

    private static int index(String id) {
        return Integer.parseInt(id, 1, id.length(), 10);
    }

    private void check() {
        CheckResult r = checker.check(snapshot());
        invariantChecks++;
        if (!r.ok()) {
            invariantViolations += r.violationCount();
            if (firstViolation == null) {
                firstViolation = r.violations().isEmpty() ? "?" : r.violations().get(0).message();
            }
        }
    }

    OverlayResult.Control result(double initialPlanWallMs, int relays, int relayDeaths) {
        long[] w = wallNanos.sorted();
        Map<String, Double> wall = new LinkedHashMap<>();
        double total = 0;
        for (long x : w) {
            total += x;
        }
        wall.put("total", total / 1e6);
        wall.put("p50", w.length == 0 ? 0 : w[(int) Math.ceil(0.5 * w.length) - 1] / 1e6);
        wall.put("p99", w.length == 0 ? 0 : w[(int) Math.ceil(0.99 * w.length) - 1] / 1e6);
        wall.put("max", w.length == 0 ? 0 : w[w.length - 1] / 1e6);
        return new OverlayResult.Control(planCalls, wall, initialPlanWallMs,
                planCalls == 0 ? 0 : modeledMsTotal / planCalls, maxLagMs, moves, orphanMoves, nonOrphanMoves,
                Histogram.of(repairMs), Map.copyOf(statuses), maxUnplaced, invariantChecks, invariantViolations,
                firstViolation, relays, relayDeaths);
    }

    /** A growable array of longs (the planner's wall times). */
    static final class Longs {
        private long[] data = new long[64];
        private int size;

        void add(long v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        long[] sorted() {
            long[] a = Arrays.copyOf(data, size);
            Arrays.sort(a);
            return a;
        }
    }
}
