package io.stripecast.lab.scenario.fault;

import io.stripecast.lab.cluster.JavaService;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Relays come and go for the run's length ({@link ChurnSchedule}): each step one relay leaves (SIGKILL,
 * or SIGTERM and a drain) and a new one starts and joins. The window closes 15 s before the source ends
 * so the last joiner has caught up when the relays are checked.
 */
final class Churn implements Fault {
    /** A relay younger than this is not chosen to leave: a JVM still starting has not served yet. */
    private static final long MIN_AGE_MILLIS = 15_000;
    private static final int TAIL_SECONDS = 15;

    private final FaultSpec spec;
    private final int seconds;

    Churn(FaultSpec spec, int seconds) {
        this.spec = spec;
        this.seconds = seconds;
    }

    @Override
    public void run(FaultContext ctx) throws Exception {
        ctx.awaitIngested(spec.atSegment());
        long windowMillis = (seconds - spec.atSegment() - TAIL_SECONDS) * 1000L;
        List<String> initial = ctx.cluster().relays().keySet().stream().filter(id -> !id.equals(ctx.cluster().ingestId()))
                .sorted().toList();
        List<ChurnSchedule.Step> steps = ChurnSchedule.plan(initial, windowMillis, spec.churnPercentPerMinute(), spec.churnLeave(),
                spec.churnSeed(), MIN_AGE_MILLIS);
        ctx.note("churn: " + steps.size() + " leave(s) and join(s) over " + windowMillis / 1000 + " s ("
                + spec.churnPercentPerMinute() + " % of " + initial.size() + " relays per minute, " + spec.churnLeave() + ")");
        long start = System.currentTimeMillis();
        ExecutorService watchers = Executors.newCachedThreadPool();
        List<Future<?>> pending = new ArrayList<>();
        try {
            for (ChurnSchedule.Step step : steps) {
                long wait = start + step.atMillis() - System.currentTimeMillis();
                if (wait > 0) {
                    Thread.sleep(wait); // the schedule's pace, not a wait for anything
                }
                JavaService leaving = ctx.cluster().relay(step.leaving());
                var stay = Recovery.staying(ctx, step.leaving());
                long t = System.currentTimeMillis();
                ctx.faulted(step.leaving());
                ctx.left(step.leaving());
                if (step.how() == ChurnSchedule.Leave.KILL) {
                    leaving.kill();
                    ctx.mark("SIGKILL " + step.leaving() + " (churn)");
                    pending.add(watchers.submit(() -> Recovery.awaitRepaired(ctx, "forest without " + step.leaving(),
                            List.of(step.leaving()), stay, t, Duration.ofSeconds(30))));
                } else {
                    ctx.mark("SIGTERM " + step.leaving() + " (churn, drained)");
                    pending.add(watchers.submit(() -> {
                        leaving.terminate(60);
                        ctx.note(step.leaving() + " drained and exited after " + (System.currentTimeMillis() - t) + " ms");
                        Recovery.awaitRepaired(ctx, "forest without " + step.leaving(), List.of(step.leaving()), stay, t,
                                Duration.ofSeconds(30));
                    }));
                }
                ctx.cluster().startRelay(step.joining());
                ctx.joined(step.joining());
                ctx.note("started " + step.joining() + " (churn)");
                pending.add(watchers.submit(() -> Recovery.awaitMember(ctx, step.joining() + " in the forest (from its start)",
                        step.joining(), t, Duration.ofSeconds(90))));
            }
            for (Future<?> f : pending) {
                f.get(3, TimeUnit.MINUTES);
            }
        } finally {
            watchers.shutdownNow();
        }
    }
}
