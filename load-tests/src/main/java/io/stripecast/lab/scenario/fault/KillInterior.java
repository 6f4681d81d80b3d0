package io.stripecast.lab.scenario.fault;

import io.stripecast.lab.cluster.Forests;
import io.stripecast.lab.cluster.JavaService;

import java.time.Duration;
import java.util.List;

/**
 * One interior relay below the ingest goes: SIGKILL (no goodbye; its orphans regenerate their stripe
 * from the others while the controller re-parents them), or SIGTERM (it asks to be drained and exits once
 * its children moved: nothing may be lost even with m = 0).
 */
record KillInterior(int atSegment, boolean drain) implements Fault {
    @Override
    public void run(FaultContext ctx) throws Exception {
        ctx.awaitIngested(atSegment);
        String victim = Forests.interiorRelay(ctx.forest());
        JavaService relay = ctx.cluster().relay(victim);
        var stay = Recovery.staying(ctx, victim);
        long t = System.currentTimeMillis();
        ctx.faulted(victim);
        if (drain) {
            ctx.mark("SIGTERM " + victim + " (interior, drained)");
            relay.terminate(60);
            ctx.note(victim + " exited after " + (System.currentTimeMillis() - t) + " ms");
        } else {
            ctx.mark("SIGKILL " + victim + " (interior)");
            relay.kill();
        }
        ctx.left(victim);
        Recovery.awaitRepaired(ctx, "forest without " + victim, List.of(victim), stay, t, Duration.ofSeconds(30));
    }
}
