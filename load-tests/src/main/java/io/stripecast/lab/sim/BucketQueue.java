package io.stripecast.lab.sim;

import java.util.Arrays;

/**
 * A monotone priority queue of (key, item) with integer keys in {@code [0, maxKey]} (Dial's buckets): O(1)
 * push and amortised O(1) pop, no objects. One segment's propagation is a shortest-path problem whose keys
 * are milliseconds since the segment's production, and every hop adds at least one millisecond, so the keys
 * popped never decrease. Stale entries are left in place; the caller skips them.
 */
final class BucketQueue {
    private final int[] head;
    private final int maxKey;
    private int[] item;
    private int[] next;
    private int size;
    private int cursor;
    private int highest;

    BucketQueue(int maxKey) {
        this.maxKey = maxKey;
        head = new int[maxKey + 1];
        Arrays.fill(head, -1);
        item = new int[1 << 16];
        next = new int[1 << 16];
        highest = -1;
    }

    void clear() {
        if (highest >= 0) {
            Arrays.fill(head, 0, highest + 1, -1);
        }
        size = 0;
        cursor = 0;
        highest = -1;
    }

    /** Keys below the last popped one are not allowed (they would never come out). */
    void push(int key, int it) {
        if (key < cursor || key > maxKey) {
            throw new IllegalArgumentException("key " + key + " outside [" + cursor + ", " + maxKey + "]");
        }
        if (size == item.length) {
            item = Arrays.copyOf(item, size * 2);
            next = Arrays.copyOf(next, size * 2);
        }
        item[size] = it;
        next[size] = head[key];
        head[key] = size++;
        if (key > highest) {
            highest = key;
        }
    }

    /** The item with the smallest key, or -1 when empty; {@link #key()} then tells its key. */
    int pop() {
        while (cursor <= highest) {
            int e = head[cursor];
            if (e >= 0) {
                head[cursor] = next[e];
                return item[e];
            }
            cursor++;
        }
        return -1;
    }

    int key() {
        return cursor;
    }
}
