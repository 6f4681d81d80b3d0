package io.stripecast.lab.scenario.fault;

import io.stripecast.lab.cluster.Forests;
import io.stripecast.lab.cluster.JavaService;
import io.stripecast.lab.cluster.LinkShape;

import java.time.Duration;
import java.util.List;

/**
 * One interior relay becomes slow for a while: frozen by SIGSTOP (a hung or starved machine: it reads
 * nothing, reports nothing) or, in network namespaces, its link throttled far below the stream's rate.
 * Its parents must cut it off rather than wait (bounded per-child queue), its siblings must not slow
 * down, the controller must move its children, and once it is fast again it must come back and catch up.
 */
final class SlowChild implements Fault {
    private final FaultSpec spec;
    private final LinkShape normal;

    SlowChild(FaultSpec spec, LinkShape normal) {
        this.spec = spec;
        this.normal = normal;
    }

    @Override
    public void run(FaultContext ctx) throws Exception {
        ctx.awaitIngested(spec.atSegment());
        String victim = Forests.interiorRelay(ctx.forest());
        JavaService relay = ctx.cluster().relay(victim);
        double cutoffsBefore = cutoffs(ctx);
        var stay = Recovery.staying(ctx, victim);
        ctx.faulted(victim);
        long t = System.currentTimeMillis();
        boolean frozen = spec.slowMode().equals("sigstop");
        if (frozen) {
            relay.signal("STOP");
            ctx.mark("SIGSTOP " + victim + " (interior) for " + spec.slowSeconds() + " s");
        } else {
            ctx.cluster().network().shape(victim, new LinkShape(normal.delayMs(), normal.lossPercent(), spec.slowRateMbit()));
            ctx.mark("link of " + victim + " (interior) limited to " + spec.slowRateMbit() + " Mbit/s for " + spec.slowSeconds() + " s");
        }
        if (frozen) {
            // A frozen relay stops reporting: the controller should take it out (heartbeat) while it is slow.
            Recovery.awaitRepaired(ctx, "forest without " + victim + " (while frozen)", List.of(victim), stay, t,
                    Duration.ofSeconds(spec.slowSeconds()));
        } else {
            ctx.note(victim + " keeps reporting while throttled: only its parents can tell it is slow");
        }
        long left = t + spec.slowSeconds() * 1000L - System.currentTimeMillis();
        if (left > 0) {
            Thread.sleep(left); // how long it stays slow: the scenario's pace
        }
        long resumed = System.currentTimeMillis();
        if (frozen) {
            relay.signal("CONT");
            ctx.mark("SIGCONT " + victim);
        } else {
            ctx.cluster().network().shape(victim, normal);
            ctx.mark("link of " + victim + " back to " + normal);
        }
        stay.add(victim);
        Recovery.awaitRepaired(ctx, frozen ? victim + " back in the forest (from SIGCONT)" : "forest whole (from the link's restore)",
                List.of(), stay, resumed, Duration.ofSeconds(60));
        ctx.note("parents' slow-child cut-offs during the run: " + (long) (cutoffs(ctx) - cutoffsBefore)
                + " (stripecast_relay_slow_child_cutoffs_total, summed over relays)");
        ctx.note(victim + " was slow for " + (resumed - t) + " ms");
    }

    private static double cutoffs(FaultContext ctx) {
        double sum = 0;
        for (JavaService r : List.copyOf(ctx.cluster().relays().values())) {
            try {
                if (r.isAlive()) {
                    sum += r.metric("stripecast_relay_slow_child_cutoffs_total");
                }
            } catch (Exception e) {
                // A relay that does not answer (the frozen one) adds nothing.
            }
        }
        return sum;
    }
}
