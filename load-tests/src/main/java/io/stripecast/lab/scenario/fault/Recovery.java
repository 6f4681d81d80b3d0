package io.stripecast.lab.scenario.fault;

import com.fasterxml.jackson.databind.JsonNode;
import io.stripecast.lab.cluster.Forests;

import java.time.Duration;
import java.util.Collection;
import java.util.Set;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/**
 * Watches the controller's topology API after a fault (every 100 ms) and records how long until the
 * forest is whole again: the lab's outside view of repair, detection included (the controller's own
 * repair_ms starts at detection).
 */
final class Recovery {
    private Recovery() {
    }

    /**
     * Until none of {@code gone} is in the forest, every one of {@code stay} still is (a repair that drops
     * relays from the forest has not repaired), and the invariant check passes.
     */
    static void awaitRepaired(FaultContext ctx, String what, Collection<String> gone, Collection<String> stay, long sinceMillis,
                              Duration atMost) {
        awaitForest(ctx, what, f -> Forests.repaired(f, gone) && Forests.members(f).containsAll(stay), sinceMillis, atMost);
    }

    /** The forest's members now, but for {@code leaving}: who must still be there once it is gone. */
    static Set<String> staying(FaultContext ctx, String leaving) throws java.io.IOException, InterruptedException {
        Set<String> out = new java.util.TreeSet<>(Forests.members(ctx.forest()));
        out.remove(leaving);
        return out;
    }

    /** Until {@code relayId} is a member again and the check passes (a relay that came back). */
    static void awaitMember(FaultContext ctx, String what, String relayId, long sinceMillis, Duration atMost) {
        awaitForest(ctx, what, f -> Forests.repaired(f, Set.of()) && Forests.members(f).contains(relayId), sinceMillis, atMost);
    }

    static void awaitForest(FaultContext ctx, String what, Predicate<JsonNode> done, long sinceMillis, Duration atMost) {
        try {
            await(what).atMost(atMost).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                    .until(() -> done.test(ctx.forest()));
            long ms = System.currentTimeMillis() - sinceMillis;
            ctx.recovered(what, ms);
            ctx.note(what + " after " + ms + " ms");
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            ctx.note(what + ": NOT within " + atMost.toSeconds() + " s");
            ctx.recovered(what + " (not reached)", -1);
        }
    }
}
