package io.stripecast.lab.sim;

/**
 * Pushes one segment down the stripe trees at a time. A segment's propagation is a shortest-path
 * computation keyed by the time each (stripe, node) holds its shard completely, over the edges of
 * {@link EdgeLog} that are valid at that time, solved with a {@link BucketQueue}: every item is settled
 * once, and no object is allocated per event.
 *
 * <p>Per edge parent p to child c (cut-through, as the relays forward shards while they arrive):
 * sending starts at {@code S = max(first byte at p, edge start, previous shard on this link done)} and
 * takes {@code tx = shard bits / (p's uplink / p's children)}; the child has the first byte at
 * {@code S + latency} and the whole shard at {@code max(p complete, S + tx) + latency}. The edge delivers
 * only if p is alive and the edge not ended when sending completes. The root has the segment at its
 * production time.
 *
 * <p>A node has the segment once it holds {@code k} shards. With parity, an interior node that holds the
 * segment but lacks its own stripe's shard {@code regenerate-grace} later rebuilds it and pushes it to
 * its children, as the relay does.
 */
final class TreeDataPlane {
    private static final byte VIA_EDGE = 1;
    private static final byte VIA_REGENERATION = 2;

    private final EdgeLog log;
    private final Population pop;
    private final Latency latency;
    private final int[] deathAt;
    private final int k;
    private final int m;
    private final int stripes;
    private final int segmentMs;
    private final int cap;
    private final int grace;
    private final double shardBits;
    private final long shardBytes;

    private final int[] firstByte;
    private final int[] complete;
    private final int[] stamp;
    private final int[] settled;
    /** The edge that brought the item's best offer so far, and when that sending ends (committed when settled). */
    private final int[] viaEdge;
    private final int[] sendEnds;
    private final byte[] depth;
    private final byte[] via;
    private final byte[] held;
    private final int[] heldStamp;
    private final BucketQueue queue;

    /** Per node, for the last resolved segment: when it had k shards, and through which depth. */
    final int[] hasAt;
    final int[] hasStamp;
    final byte[] hasDepth;

    long shardsDelivered;
    long shardsRegenerated;
    long shardsDuplicate;
    long rootShards;

    TreeDataPlane(EdgeLog log, Population pop, Latency latency, ChurnSchedule churn, SimConfig.Stream stream, int k, int m) {
        this.log = log;
        this.pop = pop;
        this.latency = latency;
        this.deathAt = churn.deathAt;
        this.k = k;
        this.m = m;
        this.stripes = k + m;
        this.segmentMs = stream.segmentMs();
        this.cap = stream.latencyCapMs();
        this.grace = stream.regenerateGraceMs();
        this.shardBytes = (stream.segmentBytes() + k - 1) / k;
        this.shardBits = shardBytes * 8.0;
        int items = stripes << log.shift;
        firstByte = new int[items];
        complete = new int[items];
        stamp = new int[items];
        settled = new int[items];
        viaEdge = new int[items];
        sendEnds = new int[items];
        depth = new byte[items];
        via = new byte[items];
        int nodes = log.mask + 1;
        held = new byte[nodes];
        heldStamp = new int[nodes];
        hasAt = new int[nodes];
        hasStamp = new int[nodes];
        hasDepth = new byte[nodes];
        queue = new BucketQueue(cap);
    }

    long shardBytes() {
        return shardBytes;
    }

    /** Stamp of segment s in {@link #hasStamp}. */
    static int stampOf(int s) {
        return s + 1;
    }

    /** Propagates segment {@code s}; the controller must have been advanced to its production + the cap. */
    void resolve(int s) {
        int p = s * segmentMs;
        int st = stampOf(s);
        queue.clear();
        for (int t = 0; t < stripes; t++) {
            int it = log.item(t, 0);
            firstByte[it] = p;
            complete[it] = p;
            stamp[it] = st;
            depth[it] = 0;
            via[it] = 0;
            queue.push(0, it);
        }
        int it;
        while ((it = queue.pop()) >= 0) {
            if (settled[it] == st || stamp[it] != st || complete[it] - p != queue.key()) {
                continue;
            }
            settled[it] = st;
            int v = it & log.mask;
            int c = complete[it];
            if (v != 0) {
                if (c >= deathAt[v]) {
                    continue; // died before it held the shard: it neither counts nor forwards
                }
                if (via[it] == VIA_EDGE) {
                    log.eBusy[viaEdge[it]] = sendEnds[it]; // the link is taken only by what it actually delivered
                    shardsDelivered++;
                    if (depth[it] == 1) {
                        rootShards++;
                    }
                } else {
                    shardsRegenerated++;
                }
                int n = heldStamp[v] == st ? held[v] + 1 : 1;
                held[v] = (byte) n;
                heldStamp[v] = st;
                if (n == k) {
                    hasAt[v] = c;
                    hasStamp[v] = st;
                    hasDepth[v] = depth[it];
                    regenerate(v, c, p, st);
                }
            }
            forward(it, v, p, st);
        }
    }

    private void regenerate(int v, int has, int p, int st) {
        if (m == 0 || log.children[v] == 0 || log.interior[v] < 0) {
            return;
        }
        int it = log.item(log.interior[v], v);
        int at = has + grace;
        if (settled[it] == st || at >= deathAt[v] || at - p > cap || (stamp[it] == st && complete[it] <= at)) {
            return;
        }
        firstByte[it] = at;
        complete[it] = at;
        stamp[it] = st;
        depth[it] = hasDepth[v];
        via[it] = VIA_REGENERATION;
        queue.push(at - p, it);
    }

    private void forward(int it, int v, int p, int st) {
        int first = log.head[it];
        if (first == EdgeLog.NONE) {
            return;
        }
        int t = it >>> log.shift;
        int f = firstByte[it];
        int c = complete[it];
        int dies = deathAt[v];
        int tx = pop.txMs(v, shardBits, log.children[v]);
        int zv = pop.zone[v];
        int prev = EdgeLog.NONE;
        int e = first;
        while (e != EdgeLog.NONE) {
            int next = log.eNext[e];
            int end = log.eEnd[e];
            if (end < p) {
                log.unlink(it, prev, e); // ended before this segment existed: no later one can use it
                e = next;
                continue;
            }
            if (p < log.eFrom[e]) {
                prev = e; // older than what the child asked this parent for
                e = next;
                continue;
            }
            int child = log.eChild[e];
            int ci = log.item(t, child);
            int start = Math.max(f, Math.max(log.eStart[e], log.eBusy[e]));
            int sent = Math.max(c, start + tx);
            if (sent <= Math.min(end, dies)) {
                int l = latency.between(v, zv, child, pop.zone[child]);
                int arrives = sent + l;
                if (arrives - p <= cap) {
                    if (settled[ci] == st || (stamp[ci] == st && complete[ci] <= arrives)) {
                        if (start < complete[ci]) {
                            shardsDuplicate++; // the sender could not know the child already had it
                        }
                    } else {
                        firstByte[ci] = start + l;
                        complete[ci] = arrives;
                        stamp[ci] = st;
                        depth[ci] = (byte) Math.min(127, depth[it] + 1);
                        via[ci] = VIA_EDGE;
                        viaEdge[ci] = e;
                        sendEnds[ci] = start + tx;
                        queue.push(arrives - p, ci);
                    }
                }
            }
            prev = e;
            e = next;
        }
    }
}
