package io.stripecast.relay.stream;

import org.jboss.logging.Logger;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The relay's once-a-second housekeeping (expiring incomplete segments, ended streams, ingest state, idle on-demand
 * streams) on one wake-up instead of one per task: a relay that carries streams but no traffic spends its CPU on
 * wake-ups (issue 17's idle goal, 1 ms of CPU per second). A task that throws is logged and runs again next second;
 * it never stops the others.
 */
public final class SecondTick {
    private static final Logger LOG = Logger.getLogger(SecondTick.class);

    private final List<Runnable> tasks = new CopyOnWriteArrayList<>();

    SecondTick(ScheduledExecutorService timer) {
        timer.scheduleWithFixedDelay(this::runAll, 1, 1, TimeUnit.SECONDS);
    }

    /** Runs {@code task} every second from now on; the returned action stops it. */
    public Runnable add(Runnable task) {
        tasks.add(task);
        return () -> tasks.remove(task);
    }

    void runAll() {
        for (Runnable task : tasks) {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.warnf(e, "housekeeping task failed; it runs again in a second");
            }
        }
    }
}
