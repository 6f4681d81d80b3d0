package io.stripecast.relay.window;

import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Reusable byte arrays for what a relay receives and rebuilds on every hop: each shard message off the wire and each
 * segment joined from its data shards. Taking them new per segment allocated about 2.5 times the segment per hop
 * (k+m = 2+1), all of it garbage a window later; from here they go round.
 *
 * <p>Arrays come in size classes, four per power of two from 4 KiB (4, 5, 6, 7, 8, 10, 12, 14, 16 KiB, ...), so an
 * array is at most a quarter larger than asked for, and a segment of the same size class as the last one gets that
 * one's array back. Returned arrays wait in their class's queue up to {@code maxIdleBytes} in all; past that they are
 * left to the garbage collector, so the pool never holds more than that beyond what the windows hold.
 *
 * <p>Arrays are heap arrays: one never returned (a lease dropped on an error path) costs a future allocation, never a
 * leak. What must never happen is an array going back while something still reads it: {@link HeldBytes} returns it
 * once, and a {@link WindowEntry} returns its arrays only when it has left its window and no reader is inside it.
 * With {@code poison} (tests: {@code -Dio.stripecast.buffers.poison=true}) every returned array is overwritten at once,
 * so a read after return gives wrong bytes, which the SHA-256 and CRC checks downstream catch.
 */
public final class BufferPool {
    static final int MIN_CLASS_BYTES = 4096;
    private static final int MIN_SHIFT = 12;
    /** Up to 2^31 - 1: classes for 2^12 .. 2^30 and the steps above 2^30 that an int can hold. */
    private static final int CLASSES = (30 - MIN_SHIFT + 1) * 4 + 1;
    private static final byte POISON = 0x5A;

    private final ConcurrentLinkedQueue<byte[]>[] free;
    private final long maxIdleBytes;
    private final boolean poison;
    private final AtomicLong idleBytes = new AtomicLong();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    @SuppressWarnings("unchecked")
    public BufferPool(long maxIdleBytes, boolean poison) {
        if (maxIdleBytes < 0) {
            throw new IllegalArgumentException("maxIdleBytes must be >= 0, got " + maxIdleBytes);
        }
        this.maxIdleBytes = maxIdleBytes;
        this.poison = poison;
        this.free = new ConcurrentLinkedQueue[CLASSES];
        for (int i = 0; i < CLASSES; i++) {
            free[i] = new ConcurrentLinkedQueue<>();
        }
    }

    /** A pool whose poisoning follows {@code -Dio.stripecast.buffers.poison} (off unless set to true). */
    public static BufferPool withIdleBound(long maxIdleBytes) {
        return new BufferPool(maxIdleBytes, Boolean.getBoolean("io.stripecast.buffers.poison"));
    }

    /** An array of at least {@code length} bytes (its content is whatever it held: the caller overwrites it). */
    public HeldBytes take(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("length must be >= 0, got " + length);
        }
        int cls = classOf(length);
        byte[] array = free[cls].poll();
        if (array != null) {
            idleBytes.addAndGet(-array.length);
            hits.increment();
        } else {
            array = new byte[classSize(cls)];
            misses.increment();
        }
        return new HeldBytes(array, length, this);
    }

    /** Back to its class, or to the garbage collector when the pool is full. Only {@link HeldBytes#release} calls this. */
    void give(byte[] array) {
        int cls = classOf(array.length);
        if (classSize(cls) != array.length) {
            return; // not one of the pool's sizes
        }
        if (poison) {
            Arrays.fill(array, POISON);
        }
        if (idleBytes.addAndGet(array.length) > maxIdleBytes) {
            idleBytes.addAndGet(-array.length);
            return;
        }
        free[cls].offer(array);
    }

    public long idleBytes() {
        return idleBytes.get();
    }

    /** Takes served from a returned array. */
    public long hits() {
        return hits.sum();
    }

    /** Takes that allocated a new array. */
    public long misses() {
        return misses.sum();
    }

    /** The size class of {@code length}: index into {@link #free}. */
    static int classOf(int length) {
        if (length <= MIN_CLASS_BYTES) {
            return 0;
        }
        int p = 31 - Integer.numberOfLeadingZeros(length - 1);
        long step = 1L << (p - 2);
        int q = (int) ((length - (1L << p) + step - 1) / step);
        return (p - MIN_SHIFT) * 4 + q;
    }

    static int classSize(int cls) {
        if (cls == 0) {
            return MIN_CLASS_BYTES;
        }
        int p = (cls - 1) / 4 + MIN_SHIFT;
        int q = (cls - 1) % 4 + 1;
        return (int) Math.min(Integer.MAX_VALUE - 8, (1L << p) + ((long) q << (p - 2)));
    }
}
