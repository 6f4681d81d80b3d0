package io.stripecast.lab.scenario.fault;

import com.fasterxml.jackson.databind.JsonNode;
import io.stripecast.lab.cluster.Forests;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Capacity runs short: the ingest's child with the largest subtree in two different stripe trees is SIGKILLed,
 * {@code gapMillis} apart (close together: the second goes before or while the first is repaired). In a pool with
 * just enough fanout for an interior-disjoint forest, the survivors cannot hold every relay within every bound: the
 * planner must relax (and say so), never leave a live relay dark.
 */
record KillTwoInterior(int atSegment, int gapMillis) implements Fault {
    @Override
    public void run(FaultContext ctx) throws Exception {
        ctx.awaitIngested(atSegment);
        JsonNode forest = ctx.forest();
        List<String> victims = new ArrayList<>();
        for (int stripe = 0; stripe < forest.get("stripes").size() && victims.size() < 2; stripe++) {
            String child = Forests.ingestChild(forest, stripe);
            if (child != null && !victims.contains(child)) {
                victims.add(child);
            }
        }
        if (victims.size() < 2) {
            throw new IllegalStateException("no two distinct interior relays below the ingest: " + victims);
        }
        Set<String> stay = new TreeSet<>(Forests.members(forest));
        stay.removeAll(victims);
        long t = System.currentTimeMillis();
        for (int i = 0; i < victims.size(); i++) {
            String victim = victims.get(i);
            ctx.faulted(victim);
            ctx.cluster().relay(victim).kill();
            ctx.mark("SIGKILL " + victim + " (interior, " + (i + 1) + " of 2)");
            ctx.left(victim);
            if (i == 0 && gapMillis > 0) {
                Thread.sleep(gapMillis); // the schedule's pace, not a wait for anything
            }
        }
        Recovery.awaitRepaired(ctx, "forest without " + victims, victims, stay, t, Duration.ofSeconds(30));
    }
}
