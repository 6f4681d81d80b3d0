package io.stripecast.relay.window;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One memory budget for every stream's window on this relay: shards, complete segments and incomplete
 * assemblies all count. A per-stream bound alone let a few streams exhaust the heap; a CDN edge carries as
 * many streams as it is asked to, so the bound has to be the relay's.
 *
 * <p>When a new shard or segment would go over the budget, the oldest segments of the largest windows go
 * first: the largest window is the one that gains least from keeping its tail (a stream with a long window or
 * a high bitrate still keeps more than the others), and within a window the oldest segment is the one the
 * fewest players still want. A window's live edge, its newest segments covering {@value #LIVE_EDGE_TARGET_DURATIONS}
 * target durations (where RFC 8216 section 6.3.3 tells players to start, so a player joining now needs
 * them), is evicted only once no window has anything older left; even then every window keeps its newest
 * complete segment and its newest entry (the segment arriving). Only when nothing else is left to evict is a new shard refused (counted): a refusal loses a
 * segment, an {@code OutOfMemoryError} loses the relay.
 *
 * <p>Incomplete segments (a parent that died mid-segment, shards that never add up to k) expire after
 * {@code incompleteTimeout} measured from their first shard here, and their bytes are released.
 *
 * <p>Locking: this object's monitor is taken before a window's, never after. Windows report their byte changes
 * through {@link #add} (an atomic, no lock) and ask for room through {@link #makeRoom} only while they hold
 * no lock of their own. The bound is therefore soft by at most the shards being offered concurrently (a few
 * per gRPC thread), which the half of the heap the default leaves free absorbs.
 */
public final class WindowMemory {
    /** The live edge a window keeps longest: three target durations, where players start. */
    public static final int LIVE_EDGE_TARGET_DURATIONS = 3;

    /** What the budget did, for metrics. Called without any window's lock held. */
    public interface Events {
        void evictedForBudget(String stream, long bytes);

        void expiredIncomplete(String stream, long bytes);

        void refused(String stream, long bytes);

        Events NONE = new Events() {
            @Override
            public void evictedForBudget(String stream, long bytes) {
            }

            @Override
            public void expiredIncomplete(String stream, long bytes) {
            }

            @Override
            public void refused(String stream, long bytes) {
            }
        };
    }

    private final long budget;
    private final long incompleteTimeoutMillis;
    private final Events events;
    private final AtomicLong held = new AtomicLong();
    private final Set<SegmentWindow> windows = ConcurrentHashMap.newKeySet();
    /**
     * Arrays for what the windows receive and rebuild. Idle arrays are bounded apart from the budget: an eighth of it,
     * at most 256 MiB (at a steady rate about one window's turnover, which is what the pool is for).
     */
    private final BufferPool buffers;

    public WindowMemory(long budget, long incompleteTimeoutMillis, Events events) {
        this(budget, incompleteTimeoutMillis, events, BufferPool.withIdleBound(Math.min(budget / 8, MAX_IDLE_BUFFER_BYTES)));
    }

    /** With a pool of the caller's (tests: one they can watch). */
    public WindowMemory(long budget, long incompleteTimeoutMillis, Events events, BufferPool buffers) {
        if (budget < 1) {
            throw new IllegalArgumentException("window memory budget must be positive, got " + budget);
        }
        this.budget = budget;
        this.incompleteTimeoutMillis = incompleteTimeoutMillis;
        this.events = events;
        this.buffers = buffers;
    }

    private static final long MAX_IDLE_BUFFER_BYTES = 256L << 20;

    /** The relay's pool of arrays for received shards and rebuilt segments. */
    public BufferPool buffers() {
        return buffers;
    }

    /** No shared bound (one window on its own, as unit tests build them); incomplete segments still expire. */
    public static WindowMemory unbounded() {
        return new WindowMemory(Long.MAX_VALUE, 10_000, Events.NONE);
    }

    /**
     * The budget a setting names: {@code NN%} of the heap's maximum ({@code -Xmx}), or a byte count with an
     * optional {@code k}, {@code m} or {@code g} suffix (powers of 1024).
     */
    public static long parseBudget(String value, long maxHeap) {
        String v = value.trim().toLowerCase(java.util.Locale.ROOT);
        try {
            if (v.endsWith("%")) {
                double percent = Double.parseDouble(v.substring(0, v.length() - 1));
                if (percent <= 0 || percent > 100) {
                    throw new IllegalArgumentException("window memory must be in (0%, 100%], got " + value);
                }
                return Math.max(1, (long) (maxHeap * percent / 100));
            }
            long unit = switch (v.isEmpty() ? ' ' : v.charAt(v.length() - 1)) {
                case 'k' -> 1L << 10;
                case 'm' -> 1L << 20;
                case 'g' -> 1L << 30;
                default -> 1;
            };
            long n = Long.parseLong(unit == 1 ? v : v.substring(0, v.length() - 1));
            if (n < 1) {
                throw new IllegalArgumentException("window memory must be positive, got " + value);
            }
            return Math.multiplyExact(n, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("window memory must be NN% or a byte count (k, m, g), got " + value, e);
        }
    }

    public long budget() {
        return budget;
    }

    /** Bytes every window holds together. */
    public long held() {
        return held.get();
    }

    public long incompleteTimeoutMillis() {
        return incompleteTimeoutMillis;
    }

    void register(SegmentWindow w) {
        windows.add(w);
    }

    void unregister(SegmentWindow w) {
        windows.remove(w);
    }

    /** True while {@code bytes} more fit without evicting anything (no lock: the common case stays cheap). */
    boolean fits(long bytes) {
        return held.get() + bytes <= budget;
    }

    /** A window's bytes changed (called under that window's lock: only an atomic here). */
    void add(long delta) {
        held.addAndGet(delta);
    }

    void expired(String stream, long bytes) {
        events.expiredIncomplete(stream, bytes);
    }

    /** Drops incomplete segments older than the timeout from every window; returns how many went. */
    public int expireIncomplete(long nowMillis) {
        int n = 0;
        for (SegmentWindow w : windows) {
            n += w.expireIncomplete(nowMillis, incompleteTimeoutMillis);
        }
        return n;
    }

    /**
     * Evicts until {@code bytes} more fit in the budget. False when they cannot: every window is down to its
     * newest complete segment (and the init segments those need). Never called under a window's lock.
     */
    synchronized boolean makeRoom(SegmentWindow requester, long bytes) {
        if (bytes > budget) {
            // It could never fit: emptying every window first would only lose their live edges too.
            events.refused(requester.spec().name(), bytes);
            return false;
        }
        while (held.get() + bytes > budget) {
            if (!evictOne(false) && !evictOne(true)) {
                events.refused(requester.spec().name(), bytes);
                return false;
            }
        }
        return true;
    }

    /** The oldest evictable segment of the largest window that has one; outside live edges unless {@code liveEdgeToo}. */
    private boolean evictOne(boolean liveEdgeToo) {
        List<SegmentWindow> bySize = new ArrayList<>(windows);
        // bytes() takes each window's lock briefly; sizes may move meanwhile, which only makes the choice approximate.
        List<long[]> sizes = new ArrayList<>();
        for (int i = 0; i < bySize.size(); i++) {
            sizes.add(new long[]{bySize.get(i).bytes(), i});
        }
        sizes.sort(Comparator.comparingLong((long[] s) -> s[0]).reversed());
        for (long[] s : sizes) {
            SegmentWindow w = bySize.get((int) s[1]);
            long freed = w.evictOldestForBudget(liveEdgeToo);
            if (freed > 0) {
                events.evictedForBudget(w.spec().name(), freed);
                return true;
            }
        }
        return false;
    }
}
