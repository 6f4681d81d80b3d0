package io.stripecast.lab.scenario.fault;

import com.fasterxml.jackson.databind.JsonNode;
import io.stripecast.lab.cluster.Forests;

import java.time.Duration;
import java.util.List;

/**
 * Kills, in turn, the ingest's child in one stripe tree (the one with the largest subtree): once the
 * controller has repaired, the relay that took its place is the next victim, and so on down the chain.
 * Every victim is interior in the same tree only, so with m >= 1 nothing may be lost however many go;
 * each repair must also cope with the previous one's result.
 */
record KillChain(int atSegment, int length, int gapMillis) implements Fault {
    @Override
    public void run(FaultContext ctx) throws Exception {
        ctx.awaitIngested(atSegment);
        int stripe = Forests.busiestStripe(ctx.forest());
        ctx.note("kill-chain down stripe tree " + stripe);
        for (int i = 0; i < length; i++) {
            JsonNode forest = ctx.forest();
            String victim = Forests.ingestChild(forest, stripe);
            if (victim == null) {
                ctx.note("stripe " + stripe + " has no relay left below the ingest: chain ends after " + i);
                return;
            }
            var stay = Recovery.staying(ctx, victim);
            long t = System.currentTimeMillis();
            ctx.faulted(victim);
            ctx.cluster().relay(victim).kill();
            ctx.mark("SIGKILL " + victim + " (ingest's child in stripe " + stripe + ", " + (i + 1) + "/" + length + ")");
            ctx.left(victim);
            Recovery.awaitRepaired(ctx, "forest without " + victim, List.of(victim), stay, t, Duration.ofSeconds(30));
            if (gapMillis > 0 && i + 1 < length) {
                Thread.sleep(gapMillis); // the schedule's pace, not a wait for anything
            }
        }
    }
}
