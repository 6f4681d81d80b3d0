package io.stripecast.relay.ingest;

import org.jboss.logging.Logger;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/**
 * Runs one stream's commits one at a time, in the order they were handed over, on a shared pool. The ingest answers a
 * PUT before it commits it (ffmpeg pipelines the playlist behind the segment), so the commits of a segment and of the
 * playlist that lists it were separate tasks on the worker pool and could run in either order: a one-entry playlist
 * committed before its segment's bytes, and replaced by the next playlist, left the bytes unlisted and the segment
 * lost (`SlowChildTest` failed about one run in three on it). Handed over before the answer goes out, the tasks run
 * in the order the publisher's requests were answered.
 */
final class SerialWork {
    private static final Logger LOG = Logger.getLogger(SerialWork.class);

    private final Executor pool;
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    private boolean draining;

    SerialWork(Executor pool) {
        this.pool = pool;
    }

    void submit(Runnable task) {
        synchronized (this) {
            queue.add(task);
            if (draining) {
                return;
            }
            draining = true;
        }
        pool.execute(this::drain);
    }

    private void drain() {
        while (true) {
            Runnable next;
            synchronized (this) {
                next = queue.poll();
                if (next == null) {
                    draining = false;
                    return;
                }
            }
            try {
                next.run();
            } catch (RuntimeException e) {
                // One bad commit must not stop the stream's later ones.
                LOG.errorf(e, "an ingest commit failed");
            }
        }
    }
}
