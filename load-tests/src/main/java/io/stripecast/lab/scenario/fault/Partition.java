package io.stripecast.lab.scenario.fault;

import io.stripecast.lab.cluster.Forests;

import java.time.Duration;
import java.util.List;

/**
 * One interior relay's link (its veth, or its TUN on the userspace link emulator) is cut: its packets
 * vanish both ways with no reset, as in a network partition. The controller must notice by heartbeat
 * timeout or its children's reports, repair without it, and take it back once the link is healed;
 * nothing may be lost at the other relays, and the healed one must catch up from its parents' windows.
 */
record Partition(int atSegment, int seconds) implements Fault {
    @Override
    public void run(FaultContext ctx) throws Exception {
        ctx.awaitIngested(atSegment);
        String victim = Forests.interiorRelay(ctx.forest());
        ctx.faulted(victim);
        var stay = Recovery.staying(ctx, victim);
        long t = System.currentTimeMillis();
        ctx.cluster().network().cut(victim);
        ctx.mark("link of " + victim + " (interior) cut");
        Recovery.awaitRepaired(ctx, "forest without " + victim + " (detection + repair)", List.of(victim), stay, t, Duration.ofSeconds(30));
        long left = t + seconds * 1000L - System.currentTimeMillis();
        if (left > 0) {
            Thread.sleep(left); // how long the partition lasts: the scenario's pace
        }
        long healed = System.currentTimeMillis();
        ctx.cluster().network().heal(victim);
        ctx.mark("link of " + victim + " healed");
        stay.add(victim);
        Recovery.awaitRepaired(ctx, victim + " back in the forest (from the heal)", List.of(), stay, healed, Duration.ofSeconds(60));
    }
}
