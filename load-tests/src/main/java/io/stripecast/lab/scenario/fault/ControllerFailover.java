package io.stripecast.lab.scenario.fault;

import io.stripecast.lab.cluster.Forests;

import java.time.Duration;
import java.util.Set;

/** SIGKILL the controller mid-stream and start a new one on the same ports: relays keep forwarding, it adopts. */
record ControllerFailover(int atSegment) implements Fault {
    @Override
    public void run(FaultContext ctx) throws Exception {
        ctx.awaitIngested(atSegment);
        Set<String> before = Forests.members(ctx.forest());
        long t = System.currentTimeMillis();
        ctx.cluster().killController();
        ctx.mark("SIGKILL controller");
        ctx.cluster().startController().awaitReady();
        ctx.note("new controller ready after " + (System.currentTimeMillis() - t) + " ms");
        Recovery.awaitForest(ctx, "new controller adopted all " + before.size() + " relays",
                f -> Forests.repaired(f, Set.of()) && Forests.members(f).equals(before), t, Duration.ofSeconds(60));
    }
}
