package io.stripecast.lab.scenario.fault;

import io.stripecast.lab.cluster.Forests;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * SIGKILL of the primary ingest mid-stream, with a standby ingest taking the same uploads: the controller must re-root
 * every stripe tree at the standby, and no relay may miss a segment (the root is no exception to the promise).
 */
record KillIngest(int atSegment) implements Fault {
    @Override
    public void run(FaultContext ctx) throws Exception {
        ctx.awaitIngested(atSegment);
        String ingest = ctx.cluster().ingestId();
        Set<String> stay = new TreeSet<>(Forests.members(ctx.forest()));
        stay.remove(ingest);
        long t = System.currentTimeMillis();
        ctx.faulted(ingest);
        ctx.cluster().relay(ingest).kill();
        ctx.mark("SIGKILL " + ingest + " (primary ingest)");
        ctx.left(ingest);
        Recovery.awaitForest(ctx, "re-rooted at the standby", f -> !f.get("root").asText().equals(ingest), t, Duration.ofSeconds(30));
        String standby = ctx.forest().get("root").asText();
        ctx.cluster().ingestFailedOver(standby);
        ctx.note("the standby ingest " + standby + " roots every tree");
        Recovery.awaitRepaired(ctx, "forest without " + ingest, List.of(ingest), stay, t, Duration.ofSeconds(30));
    }
}
