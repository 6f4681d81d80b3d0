package io.stripecast.lab.sim;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The simulation's command line: {@code Simulate --nodes 10000,100000 --churn 0,1,5 --out DIR} runs the five
 * overlays over the same worlds and writes {@code sim-report.json} and {@code sim-report.md}.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Discrete-event simulation of five live-streaming overlays (single tree, stripe forest, forest + parity, "
                + "CoolStreaming-style mesh, tree core + mesh leaves) with the real forest planner; writes sim-report.json and sim-report.md.")
public final class Simulate implements Callable<Integer> {

    @Option(names = "--nodes", split = ",", description = "node counts, e.g. 10000,100000 (default: ${DEFAULT-VALUE})",
            defaultValue = "10000")
    List<Integer> nodes;

    @Option(names = "--duration", description = "simulated seconds per run (default: ${DEFAULT-VALUE})", defaultValue = "180")
    int durationS;

    @Option(names = "--warmup", description = "seconds before measuring (default: ${DEFAULT-VALUE})", defaultValue = "30")
    int warmupS;

    @Option(names = "--churn", split = ",", description = "churn rates, %% of nodes dying (and joining) per minute "
            + "(default: ${DEFAULT-VALUE})", defaultValue = "0,1,5")
    List<Double> churn;

    @Option(names = "--seed", description = "seed (default: ${DEFAULT-VALUE})", defaultValue = "1")
    long seed;

    @Option(names = "--overlays", split = ",", description = "any of tree,forest,parity,mesh,hybrid (default: all)",
            defaultValue = "tree,forest,parity,mesh,hybrid")
    List<String> overlays;

    @Option(names = "--k", description = "data stripes of the forests (default: ${DEFAULT-VALUE})", defaultValue = "4")
    int k;

    @Option(names = "--m", description = "parity stripes of the parity forest and the hybrid's core (default: ${DEFAULT-VALUE})",
            defaultValue = "1")
    int m;

    @Option(names = "--bitrate", description = "stream Mbit/s (default: ${DEFAULT-VALUE})", defaultValue = "2.0")
    double bitrate;

    @Option(names = "--playout-delay", split = ",", description = "deadlines, ms behind live a segment must be complete; "
            + "the mesh and the hybrid run once per deadline (default: ${DEFAULT-VALUE})", defaultValue = "5000,20000")
    List<Integer> playoutDelayMs;

    @Option(names = "--join-backfill-ms", description = "history a node new to a tree asks its parent for; 0 = the live "
            + "edge, 30000 = what the relay does today (from the start of its parent's window) (default: ${DEFAULT-VALUE})",
            defaultValue = "0")
    int joinBackfillMs;

    @Option(names = "--uplink-median", description = "peer uplink median, Mbit/s (default: ${DEFAULT-VALUE})", defaultValue = "5.0")
    double uplinkMedian;

    @Option(names = "--uplink-sigma", description = "peer uplink lognormal sigma (default: ${DEFAULT-VALUE})", defaultValue = "0.9")
    double uplinkSigma;

    @Option(names = "--partners", description = "mesh partners M (default: ${DEFAULT-VALUE})", defaultValue = "6")
    int partners;

    @Option(names = "--core-relays", description = "hybrid core relays; 0 = nodes/500, at least 8 (default: ${DEFAULT-VALUE})",
            defaultValue = "0")
    int coreRelays;

    @Option(names = "--threads", description = "runs in parallel (default: ${DEFAULT-VALUE})", defaultValue = "2")
    int threads;

    @Option(names = "--planner-base-ms", description = "simulated planner time per call, fixed part (default: ${DEFAULT-VALUE})",
            defaultValue = "0.5")
    double plannerBaseMs;

    @Option(names = "--planner-us-per-relay", description = "simulated planner time per call and relay, us; 0.35 models the "
            + "planner that copied the forest per event (default: ${DEFAULT-VALUE})", defaultValue = "0.005")
    double plannerUsPerRelay;

    @Option(names = "--check-invariants", description = "run InvariantChecker after every controller sweep (slow at 100k)")
    boolean checkInvariants;

    @Option(names = "--out", description = "report folder (default: ${DEFAULT-VALUE})", defaultValue = "load-tests/target/sim")
    Path out;

    @Override
    public Integer call() throws Exception {
        SimConfig base = SimConfig.defaults(nodes.get(0), durationS, 0, seed);
        SimConfig.Stream st = base.stream().withKm(k, m).withPlayoutDelay(playoutDelayMs.get(0));
        st = st.withBitrate(bitrate).withJoinBackfill(joinBackfillMs);
        SimConfig.Mesh mc = base.mesh().withPartners(partners);
        SimConfig.Hybrid h = base.hybrid();
        h = new SimConfig.Hybrid(coreRelays, h.relayUplinkMbps(), h.httpSeedProbability(), h.fallbackLeadMs());
        SimConfig config = new SimConfig(nodes.get(0), durationS, warmupS, 0, seed, st,
                base.network().withUplink(uplinkMedian, uplinkSigma),
                base.control().withPlannerModel(plannerBaseMs, plannerUsPerRelay), mc, h, checkInvariants);
        List<Overlay> which = overlays.stream().map(Overlay::parse).toList();
        long t0 = System.nanoTime();
        List<OverlayResult> results = new Simulation(config, threads, System.out).run(nodes, churn, which, playoutDelayMs);
        double wall = (System.nanoTime() - t0) / 1e9;
        SimReport report = SimReport.of(config, nodes, churn, which, playoutDelayMs, results, threads, wall);
        report.write(out);
        System.out.printf("%d runs in %.1f s; report in %s%n", results.size(), wall, out.resolve("sim-report.md"));
        return 0;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Simulate()).execute(args));
    }
}
