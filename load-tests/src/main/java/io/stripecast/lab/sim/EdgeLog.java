package io.stripecast.lab.sim;

import java.util.Arrays;

/**
 * The stripe trees as the data plane sees them: every parent-to-child edge with the simulated time it
 * carries data from ({@code start}: the child's subscription reached the parent) until ({@code end}: the
 * child moved away). The controller runs ahead of the data plane by the latency cap, so an edge that has
 * been replaced still carries the segments that were in flight before its end. Edges are kept in
 * primitive arrays, one singly linked child list per (stripe, parent); an item is
 * {@code stripe << shift | node}.
 */
final class EdgeLog {
    static final int NONE = -1;
    static final int OPEN = Integer.MAX_VALUE;

    final int stripes;
    final int shift;
    final int mask;
    /** First edge of (stripe, parent). */
    final int[] head;
    /** The child's latest edge in a stripe (maybe already ended), or NONE. */
    final int[] incoming;
    /** Edges of a node, over all stripes, not yet ended: its current children. */
    final int[] children;
    /** The stripe a node last got a child in: its interior stripe (the planner gives it only one). */
    final byte[] interior;

    int[] eChild;
    int[] eParent;
    int[] eStart;
    int[] eEnd;
    /** Oldest production time the edge carries: a fresh node asks for the live edge, an orphan for what it lacks. */
    int[] eFrom;
    /** When the edge finished sending its last shard: a backlog after a repair queues on the new link. */
    int[] eBusy;
    int[] eNext;
    private int size;
    private int free = NONE;
    long opened;

    EdgeLog(int stripes, int nodes) {
        this.stripes = stripes;
        int cap = Integer.highestOneBit(Math.max(2, nodes - 1)) << 1;
        this.shift = Integer.numberOfTrailingZeros(cap);
        this.mask = cap - 1;
        head = new int[stripes << shift];
        incoming = new int[stripes << shift];
        Arrays.fill(head, NONE);
        Arrays.fill(incoming, NONE);
        children = new int[cap];
        interior = new byte[cap];
        Arrays.fill(interior, (byte) -1);
        int e = Math.max(1024, nodes * stripes + nodes / 4);
        eChild = new int[e];
        eParent = new int[e];
        eStart = new int[e];
        eEnd = new int[e];
        eFrom = new int[e];
        eBusy = new int[e];
        eNext = new int[e];
    }

    int item(int stripe, int node) {
        return (stripe << shift) | node;
    }

    /**
     * Child {@code child} gets data in {@code stripe} from {@code parent} from {@code start} on: every
     * segment produced at or after {@code from} (the first one it lacks) that the parent has.
     */
    void open(int stripe, int parent, int child, int start, int from) {
        close(stripe, child, start);
        int e = allocate();
        eChild[e] = child;
        eParent[e] = parent;
        eStart[e] = start;
        eEnd[e] = OPEN;
        eFrom[e] = from;
        eBusy[e] = Integer.MIN_VALUE / 2;
        int hp = item(stripe, parent);
        eNext[e] = head[hp];
        head[hp] = e;
        incoming[item(stripe, child)] = e;
        children[parent]++;
        if (parent != 0) {
            interior[parent] = (byte) stripe;
        }
        opened++;
    }

    /** Child {@code child} stops getting data in {@code stripe} at {@code end} (no-op if it has no edge). */
    void close(int stripe, int child, int end) {
        int it = item(stripe, child);
        int e = incoming[it];
        if (e == NONE || eEnd[e] != OPEN) {
            return;
        }
        eEnd[e] = end;
        children[eParent[e]]--;
    }

    /** The parent of the child's open edge in a stripe, or NONE. */
    int parentOf(int stripe, int child) {
        int e = incoming[item(stripe, child)];
        return e == NONE || eEnd[e] != OPEN ? NONE : eParent[e];
    }

    /** Drops edge {@code e} (ended for good) from the child list of {@code parentItem}; prev is its predecessor. */
    void unlink(int parentItem, int prev, int e) {
        if (prev == NONE) {
            head[parentItem] = eNext[e];
        } else {
            eNext[prev] = eNext[e];
        }
        int ci = item(parentItem >>> shift, eChild[e]);
        if (incoming[ci] == e) {
            incoming[ci] = NONE;
        }
        eNext[e] = free;
        free = e;
    }

    private int allocate() {
        if (free != NONE) {
            int e = free;
            free = eNext[e];
            return e;
        }
        if (size == eChild.length) {
            int n = size * 2;
            eChild = Arrays.copyOf(eChild, n);
            eParent = Arrays.copyOf(eParent, n);
            eStart = Arrays.copyOf(eStart, n);
            eEnd = Arrays.copyOf(eEnd, n);
            eFrom = Arrays.copyOf(eFrom, n);
            eBusy = Arrays.copyOf(eBusy, n);
            eNext = Arrays.copyOf(eNext, n);
        }
        return size++;
    }
}
