package io.stripecast.relay.metrics;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bytes sent (shards to children, playback to viewers) as a rate over the last ~10 s. Samples are taken when the
 * gauge is read, at most one per second, so any number of scrapers read the same rate and nothing runs between
 * scrapes.
 */
final class EgressRate {
    private static final long WINDOW_MILLIS = 10_000;
    private final LongAdder bytes = new LongAdder();
    /** (time ms, total bytes) pairs, oldest first. */
    private final ArrayDeque<long[]> samples = new ArrayDeque<>();

    void add(long count) {
        bytes.add(count);
    }

    synchronized double mbps(long nowMillis) {
        long total = bytes.sum();
        if (samples.isEmpty() || nowMillis - samples.peekLast()[0] >= 1000) {
            samples.addLast(new long[]{nowMillis, total});
        }
        // Keep one sample at or before the window's start, so the rate always spans ~10 s once warm.
        while (samples.size() > 2) {
            long[] first = samples.removeFirst();
            if (nowMillis - samples.peekFirst()[0] < WINDOW_MILLIS) {
                samples.addFirst(first);
                break;
            }
        }
        long[] oldest = samples.peekFirst();
        long span = nowMillis - oldest[0];
        return span <= 0 ? 0 : (total - oldest[1]) * 8.0 / 1e6 / (span / 1000.0);
    }
}
