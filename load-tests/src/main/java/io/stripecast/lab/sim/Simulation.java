package io.stripecast.lab.sim;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs every (nodes, churn, overlay) of a sweep on a few threads. Runs are independent (each has its own
 * random streams), so the results do not depend on the thread count or the order they finish in. Worlds
 * and the planner's initial forests are built once and shared by the runs that need them.
 */
public final class Simulation {

    /**
     * One run of the sweep. The trees push regardless of the players' deadline, so they run once per
     * (nodes, churn) and report continuity at every deadline; the mesh and the hybrid schedule by it and
     * run once per deadline.
     */
    public record Job(int nodes, double churnPerMin, Overlay overlay, int playoutDelayMs) {
    }

    private final SimConfig base;
    private final int threads;
    private final PrintStream log;
    private final Map<String, Memo<Object>> memos = new HashMap<>();

    public Simulation(SimConfig base, int threads, PrintStream log) {
        this.base = base;
        this.threads = Math.max(1, threads);
        this.log = log;
    }

    public List<OverlayResult> run(List<Integer> nodes, List<Double> churns, List<Overlay> overlays,
                                   List<Integer> playoutDelaysMs) {
        List<Job> jobs = new ArrayList<>();
        for (int n : nodes) {
            for (double c : churns) {
                for (Overlay o : overlays) {
                    for (int d : o.isTree() ? playoutDelaysMs.subList(0, 1) : playoutDelaysMs) {
                        jobs.add(new Job(n, c, o, d));
                    }
                }
            }
        }
        // Longest first (most nodes, most churn, planner-driven trees), so the threads finish together.
        List<Job> byCost = new ArrayList<>(jobs);
        byCost.sort(Comparator.comparingInt((Job j) -> -j.nodes()).thenComparingDouble(j -> -j.churnPerMin())
                .thenComparing(j -> !j.overlay().isTree()).thenComparing(Job::overlay));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "sim");
            t.setDaemon(true);
            return t;
        });
        try {
            Map<Job, Future<OverlayResult>> futures = new HashMap<>();
            for (Job j : byCost) {
                futures.put(j, pool.submit(() -> runOne(j)));
            }
            List<OverlayResult> out = new ArrayList<>();
            for (Job j : jobs) {
                out.add(futures.get(j).get());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("simulation failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** One run, synchronously (tests call this directly). */
    public OverlayResult runOne(Job j) {
        SimConfig c = base.withNodes(j.nodes()).withChurn(j.churnPerMin())
                .withStream(base.stream().withPlayoutDelay(j.playoutDelayMs()));
        World w = world(c);
        OverlayResult r = switch (j.overlay()) {
            case TREE -> TreeRun.run(c, w, Overlay.TREE, plan(c, w, 1, 0));
            case FOREST -> TreeRun.run(c, w, Overlay.FOREST, plan(c, w, c.stream().k(), 0));
            case PARITY -> TreeRun.run(c, w, Overlay.PARITY, plan(c, w, c.stream().k(), c.stream().m()));
            case MESH -> MeshRun.run(c, w);
            case HYBRID -> {
                ChurnSchedule relayChurn = HybridRun.relayChurn(c);
                Population relays = HybridRun.relayPopulation(c, relayChurn);
                InitialPlan core = memo("core/" + j.nodes() + "/" + relayChurn.initial, () -> InitialPlan.build(c,
                        relays, relayChurn.initial, c.stream().k(), c.stream().m()));
                yield HybridRun.run(c, w, relayChurn, relays, core);
            }
        };
        if (log != null) {
            log.printf(Locale.ROOT, "%-7s nodes=%-6d churn=%4.1f%%/min deadline=%5d ms  continuity=%.4f  latency p50=%d "
                            + "p99=%d ms  control/data=%.4f  wall=%.1f s%n", j.overlay().key(), j.nodes(), j.churnPerMin(),
                    j.playoutDelayMs(), r.continuity(), r.latencyMs().p50(), r.latencyMs().p99(),
                    r.traffic().controlOverhead(), r.wallSeconds());
        }
        return r;
    }

    private World world(SimConfig c) {
        return memo("world/" + c.nodes() + "/" + c.churnPerMin(), () -> World.of(c));
    }

    private InitialPlan plan(SimConfig c, World w, int k, int m) {
        return memo("plan/" + c.nodes() + "/" + k + "/" + m, () -> {
            InitialPlan p = InitialPlan.build(c, w.peers(), w.churn().initial, k, m);
            if (log != null) {
                log.printf(Locale.ROOT, "initial plan k=%d m=%d over %d nodes: %.0f ms (%s)%n", k, m,
                        w.churn().initial, p.wallMs(), p.plan().forest());
            }
            return p;
        });
    }

    @SuppressWarnings("unchecked")
    private <T> T memo(String key, java.util.function.Supplier<T> make) {
        Memo<Object> m;
        synchronized (memos) {
            m = memos.computeIfAbsent(key, x -> new Memo<>());
        }
        return (T) m.get((java.util.function.Supplier<Object>) make);
    }

    /** Computed once, by whoever asks first; the others wait for it. */
    private static final class Memo<T> {
        private T value;

        synchronized T get(java.util.function.Supplier<T> make) {
            if (value == null) {
                value = make.get();
            }
            return value;
        }
    }
}
