package io.stripecast.relay.rebuild;

import io.stripecast.relay.metrics.RelayMetrics;
import org.jboss.logging.Logger;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The relay's one regeneration worker: re-encodes lost stripes for children, off the gRPC callback threads
 * (which must never block: a parent dying used to re-encode a whole window on the thread that reported it).
 *
 * <p>Work is coalesced per (stream, stripe): what is asked while a batch waits joins it, so the queue holds at
 * most one task per stream and stripe and the sequences waiting are bounded by the windows themselves. One
 * thread, because regeneration is CPU only and the relay's other work (receiving, serving) must keep a core.
 */
public final class Regenerator implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Regenerator.class);
    /** Tasks queued at most: one per stream and stripe, so this is 128 streams of k + m = 32. */
    private static final int MAX_TASKS = 4096;

    private record Key(SegmentAssembler assembler, int stripe) {
    }

    private final ThreadPoolExecutor worker;
    private final RelayMetrics metrics;
    private final Map<Key, TreeSet<Long>> pending = new HashMap<>();
    private long waiting;

    public Regenerator(RelayMetrics metrics) {
        this.metrics = metrics;
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(MAX_TASKS), r -> {
            Thread t = new Thread(r, "stripecast-regenerate");
            t.setDaemon(true);
            return t;
        });
    }

    /** Sequences waiting to be regenerated, over every stream and stripe. */
    public synchronized long waiting() {
        return waiting;
    }

    /** Asks for {@code stripe}'s shards of {@code sequences} to be regenerated on the worker; returns at once. */
    void submit(SegmentAssembler assembler, int stripe, Collection<Long> sequences) {
        if (sequences.isEmpty()) {
            return;
        }
        Key key = new Key(assembler, stripe);
        boolean schedule;
        synchronized (this) {
            TreeSet<Long> set = pending.get(key);
            schedule = set == null;
            if (set == null) {
                set = new TreeSet<>();
                pending.put(key, set);
            }
            int before = set.size();
            set.addAll(sequences);
            waiting += set.size() - before;
        }
        if (schedule) {
            try {
                worker.execute(() -> run(key));
            } catch (RejectedExecutionException e) {
                int dropped = take(key).size();
                metrics.regenerationsSkipped(assembler.stream(), "queue_full", dropped);
                LOG.debugf("stream %s stripe %d: regeneration queue full, %d sequence(s) not regenerated", assembler.stream(), stripe, dropped);
            }
        }
    }

    private void run(Key key) {
        TreeSet<Long> sequences = take(key);
        if (sequences.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        try {
            key.assembler().regenerateNow(key.stripe(), sequences);
        } catch (RuntimeException e) {
            LOG.warnf(e, "stream %s stripe %d: regeneration failed", key.assembler().stream(), key.stripe());
        } finally {
            metrics.regenerationWork(key.assembler().stream(), System.nanoTime() - start);
        }
    }

    private synchronized TreeSet<Long> take(Key key) {
        TreeSet<Long> set = pending.remove(key);
        if (set == null) {
            return new TreeSet<>();
        }
        waiting -= set.size();
        return set;
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
