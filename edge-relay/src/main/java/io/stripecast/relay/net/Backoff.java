package io.stripecast.relay.net;

import java.time.Duration;

/** Exponential reconnect delay: doubles from the initial delay up to a cap, back to the start on success. Not thread-safe. */
public final class Backoff {
    private final long initialMillis;
    private final long maxMillis;
    private long nextMillis;

    public Backoff(Duration initial, Duration max) {
        this.initialMillis = Math.max(1, initial.toMillis());
        this.maxMillis = Math.max(initialMillis, max.toMillis());
        this.nextMillis = initialMillis;
    }

    /** The delay before the next attempt; the one after it is twice as long (up to the cap). */
    public long nextDelayMillis() {
        long delay = nextMillis;
        nextMillis = Math.min(maxMillis, nextMillis * 2);
        return delay;
    }

    public void reset() {
        nextMillis = initialMillis;
    }
}
