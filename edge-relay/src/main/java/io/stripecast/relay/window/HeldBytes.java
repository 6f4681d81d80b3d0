package io.stripecast.relay.window;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bytes a relay holds: the first {@link #length()} bytes of {@link #array()}, which may be longer (an array from the
 * {@link BufferPool} is of its size class). Either from the pool, going back to it on {@link #release()} (once, however
 * often it is called), or a plain array for the garbage collector.
 *
 * <p>Whoever holds a {@code HeldBytes} releases it or hands it on: the parser of a shard message hands it with the shard
 * to the window, which owns it once it took the shard ({@link SegmentWindow#offer(io.stripecast.protocol.v1.Shard,
 * HeldBytes)} releases what it refuses); a rebuild hands the segment's to {@link SegmentWindow#complete}. The window
 * entry gives them back when it has left the window and no reader is inside it ({@link WindowEntry#enter()}).
 */
public final class HeldBytes {
    private final byte[] array;
    private final int length;
    private final BufferPool pool;
    private final AtomicBoolean released = new AtomicBoolean();

    HeldBytes(byte[] array, int length, BufferPool pool) {
        if (length < 0 || length > array.length) {
            throw new IllegalArgumentException("length " + length + " outside an array of " + array.length);
        }
        this.array = array;
        this.length = length;
        this.pool = pool;
    }

    /** A plain array, all of it: nothing to give back. */
    public static HeldBytes of(byte[] bytes) {
        return new HeldBytes(bytes, bytes.length, null);
    }

    public byte[] array() {
        return array;
    }

    public int length() {
        return length;
    }

    /** Whether the array goes back to a pool (and must therefore not be read after its owner released it). */
    public boolean pooled() {
        return pool != null;
    }

    /** A copy of the content (tests, and the few small readers that keep bytes). */
    public byte[] toByteArray() {
        return Arrays.copyOf(array, length);
    }

    /** Gives a pooled array back; a second call does nothing. */
    public void release() {
        if (pool != null && released.compareAndSet(false, true)) {
            pool.give(array);
        }
    }
}
