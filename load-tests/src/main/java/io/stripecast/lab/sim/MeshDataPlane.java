package io.stripecast.lab.sim;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * A CoolStreaming (DONet) style mesh, round by round. Every node keeps M partners (symmetric links). Once
 * per buffer-map period, at its own phase, a node sends its buffer map to its partners and schedules pulls
 * for the segments it lacks that can still make their playout deadline: rarest first (fewest partners
 * advertising it), then the older one (segments within {@code urgentMs} of their deadline first, if set);
 * each to the advertising partner expected to deliver soonest given its uplink, at most one pull per
 * partner per round and {@code maxPending} outstanding (DONet's scheduler, bounded by a download
 * pipeline). A supplier serves pulls one at a time at its full uplink (store-and-forward: a node
 * advertises only whole segments) and refuses one it could not start within {@code supplierQueueMs}; the
 * refusal is back within a round trip, so the node asks again next round. A pull lost to a dead supplier
 * is asked again after {@code requestTimeoutMs}; if both answers arrive, the second counts as duplicate.
 *
 * <p>A node learns that partner u has segment s at u's first buffer map at or after u completed s, one
 * link latency later: the buffer map is a pure function of what u holds, so none is stored. Rounds run in
 * time order, and every answer arrives after the round that asked for it, so a node only ever sees the past.
 * A dead partner is noticed after {@code partnerTimeoutMs} without buffer maps and replaced by a random
 * live node with room (from the tracker / membership cache).
 *
 * <p>As the hybrid's leaves ({@link Leaves} given) there is no source in the mesh: partners come from the
 * leaf's own edge relay; a segment picked for seeding, or still missing {@code fallbackLeadMs} before its
 * deadline, comes from that edge over HTTP once the edge lists it, and a pull from a peer that would land
 * after the deadline is aborted for it (its bytes so far count as wasted), as p2p-media-loader does.
 */
final class MeshDataPlane {
    static final int RING = 32;
    static final int RMASK = RING - 1;
    static final char NONE = 0xFFFF;
    private static final byte PEER = 1;
    private static final byte HTTP = 2;

    /** Buffer map (sequence base + 32-segment bitmap) and a pull request, with ~40 bytes of headers. */
    static final int BUFFER_MAP_BYTES = 52;
    static final int REQUEST_BYTES = 48;
    static final int HTTP_REQUEST_BYTES = 300;

    /** The hybrid's edge relays, as the leaves use them. */
    interface Leaves {
        /** A random leaf of v's edge relay, or -1. */
        int samplePartner(int v, SplittableRandom rnd);

        void joined(int v, int time);

        void died(int v);

        /** Whether v's edge relay lists segment s at time r (re-homes v first if its edge is known dead). */
        boolean listed(int v, int s, int r);

        /** Fetches s from v's edge over HTTP; the absolute arrival time, or -1 if it never comes. */
        int fetch(int v, int s, int r);

        /** Partner handshake bytes (WebRTC offer/answer through the tracker). */
        int handshakeBytes();
    }

    private final SimConfig config;
    private final SimConfig.Mesh mc;
    private final ChurnSchedule churn;
    private final Latency latency;
    private final Recorder rec;
    private final Leaves leaves;
    private final SplittableRandom rnd;
    private final boolean withSource;
    private final int width;
    private final int segmentMs;
    private final int playout;
    private final int tau;
    private final long segmentBytes;
    private final double segmentBits;
    private final int fallbackLead;
    private final long seedSalt;
    private final double seedProbability;
    private final int handshakeBytes;

    private final int[] partners;
    private final byte[] deg;
    /**
     * What a node's partners read of it every round, packed in one cache line's worth per node: buffer-map
     * phase and zone, death time, when its uplink is free, and its uplink (bits per ms).
     */
    private final int[] info;
    private static final int INFO = 4;
    private static final int DEATH = 1;
    private static final int BUSY = 2;
    private static final int BITS = 3;
    private final char[] got;
    private final char[] req;
    private final byte[] kind;
    /** Hybrid: when a pending pull's supplier starts and ends sending (to abort it for HTTP). */
    private final char[] pullStart;
    private final char[] pullSent;
    private final IntList[] byPhase;
    private final IntList live = new IntList();
    private final int[] livePos;

    // per-round scratch
    private final int[] cand = new int[64];
    private final boolean[] late = new boolean[64];
    private final boolean[] used;
    private int pendingPulls;
    private final int[] mask = new int[64];
    private final int[] count = new int[64];
    private final int[] order = new int[64];
    private final int[] partnerLatency;

    MeshDataPlane(SimConfig config, Population pop, ChurnSchedule churn, Latency latency, Recorder rec, Leaves leaves,
                  SplittableRandom rnd) {
        this.config = config;
        this.mc = config.mesh();
        this.churn = churn;
        this.latency = latency;
        this.rec = rec;
        this.leaves = leaves;
        this.rnd = rnd;
        this.withSource = leaves == null;
        this.width = Math.max(mc.maxPartners(), mc.sourcePartners());
        if (width > 31) {
            throw new IllegalArgumentException("at most 31 partners");
        }
        this.segmentMs = config.stream().segmentMs();
        this.playout = config.stream().playoutDelayMs();
        this.tau = mc.bufferMapPeriodMs();
        this.segmentBytes = config.stream().segmentBytes();
        this.segmentBits = segmentBytes * 8.0;
        this.fallbackLead = config.hybrid().fallbackLeadMs();
        this.seedSalt = Seeds.salt(config.seed(), "http-seed");
        this.seedProbability = config.hybrid().httpSeedProbability();
        this.handshakeBytes = leaves == null ? 200 : leaves.handshakeBytes();
        int n = churn.total;
        partners = new int[n * width];
        deg = new byte[n];
        info = new int[n * INFO];
        for (int v = 0; v < n; v++) {
            info[v * INFO] = pop.zone[v] << 16;
            info[v * INFO + DEATH] = churn.deathAt[v];
            info[v * INFO + BITS] = (int) Math.max(1, pop.bitsPerMs[v]);
        }
        pullStart = leaves == null ? null : new char[n * RING];
        pullSent = leaves == null ? null : new char[n * RING];
        got = new char[n * RING];
        req = new char[n * RING];
        kind = new byte[n * RING];
        Arrays.fill(got, NONE);
        Arrays.fill(req, NONE);
        byPhase = new IntList[tau];
        for (int i = 0; i < tau; i++) {
            byPhase[i] = new IntList(4);
        }
        livePos = new int[n];
        Arrays.fill(livePos, -1);
        partnerLatency = new int[width];
        used = new boolean[width];
    }

    /** Runs the whole duration; {@code onSegment} is told of each segment at its production, before any round. */
    void run(IntConsumer onSegment) {
        start();
        int segments = config.segments();
        int sweepLag = config.stream().latencyCapMs() / segmentMs + 1;
        int duration = config.durationMs();
        int nextSeg = 0;
        int nextJoin = churn.initial;
        int nextDeath = 0;
        int swept = -1;
        for (int base = 0; base < duration; base += tau) {
            for (int ph = 0; ph < tau && base + ph < duration; ph++) {
                int r = base + ph;
                while (nextSeg < segments && nextSeg * segmentMs <= r) {
                    if (nextSeg - sweepLag >= 0) {
                        sweep(nextSeg - sweepLag);
                        swept = nextSeg - sweepLag;
                    }
                    produce(nextSeg);
                    onSegment.accept(nextSeg);
                    nextSeg++;
                }
                while (nextDeath < churn.deaths.length && churn.deathAt[churn.deaths[nextDeath]] <= r) {
                    died(churn.deaths[nextDeath++]);
                }
                while (nextJoin < churn.total && churn.joinAt[nextJoin] <= r) {
                    joined(nextJoin++, r);
                }
                IntList bucket = byPhase[ph];
                for (int i = 0; i < bucket.size; ) {
                    int v = bucket.data[i];
                    if (churn.deathAt[v] <= r) {
                        bucket.swapRemove(i);
                        continue;
                    }
                    round(v, r);
                    i++;
                }
            }
        }
        for (int s = swept + 1; s < segments; s++) {
            sweep(s);
        }
    }

    // ------------------------------------------------------------------ membership

    private void start() {
        if (withSource) {
            schedule(0);
        }
        for (int v = 1; v < churn.initial; v++) {
            live(v);
            if (leaves != null) {
                leaves.joined(v, 0);
            }
        }
        if (withSource) {
            fill(0, 0, 3 * mc.sourcePartners());
        }
        for (int v = 1; v < churn.initial; v++) {
            schedule(v);
            fill(v, 0, 3 * mc.partners());
        }
    }

    /** Gives v a random buffer-map phase within the period and puts it in that phase's bucket. */
    private void schedule(int v) {
        int ph = rnd.nextInt(tau);
        info[v * INFO] = (info[v * INFO] & 0xFFFF0000) | ph;
        byPhase[ph].add(v);
    }

    private void live(int v) {
        livePos[v] = live.size;
        live.add(v);
    }

    private void joined(int v, int r) {
        live(v);
        if (leaves != null) {
            leaves.joined(v, r);
        }
        schedule(v);
        fill(v, r, 3 * mc.partners());
    }

    private void died(int v) {
        int i = livePos[v];
        if (i >= 0) {
            int last = live.data[live.size - 1];
            live.swapRemove(i);
            if (last != v) {
                livePos[last] = i;
            }
            livePos[v] = -1;
        }
        if (leaves != null) {
            leaves.died(v);
        }
    }

    private int target(int v) {
        return withSource && v == 0 ? mc.sourcePartners() : mc.partners();
    }

    private int limit(int v) {
        return withSource && v == 0 ? mc.sourcePartners() : mc.maxPartners();
    }

    /** Drops partners silent for the timeout, then links random live nodes until v has its target. */
    private void maintain(int v, int r) {
        int row = v * width;
        int d = deg[v];
        for (int i = 0; i < d; ) {
            int u = partners[row + i];
            if (info[u * INFO + DEATH] <= r - mc.partnerTimeoutMs()) { // (no overflow: NEVER is MAX_VALUE)
                partners[row + i] = partners[row + --d];
                rec.partnerReplacements++;
            } else {
                i++;
            }
        }
        deg[v] = (byte) d;
        if (d < target(v)) {
            fill(v, r, 3);
        }
    }

    private void fill(int v, int r, int tries) {
        for (int i = 0; i < tries && deg[v] < target(v); i++) {
            int w = leaves == null
                    ? (live.size == 0 ? -1 : live.data[rnd.nextInt(live.size)])
                    : leaves.samplePartner(v, rnd);
            if (w < 0 || w == v || !churn.aliveAt(w, r) || deg[w] >= limit(w) || isPartner(v, w)) {
                continue;
            }
            partners[v * width + deg[v]++] = w;
            partners[w * width + deg[w]++] = v;
            rec.controlBytes += 2L * handshakeBytes;
        }
    }

    private boolean isPartner(int v, int w) {
        int row = v * width;
        for (int i = 0; i < deg[v]; i++) {
            if (partners[row + i] == w) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ segments

    private void produce(int s) {
        int slot = s & RMASK;
        for (int v = 0, n = churn.total; v < n; v++) {
            int i = v * RING + slot;
            got[i] = NONE;
            req[i] = NONE;
            kind[i] = 0;
        }
        if (withSource) {
            got[slot] = 0;
        }
    }

    private void sweep(int s) {
        if (!config.measured(s)) {
            return;
        }
        int p = s * segmentMs;
        int slot = s & RMASK;
        SimConfig.Stream st = config.stream();
        for (int v = 1, n = churn.total; v < n; v++) {
            if (!churn.due(v, p, st)) {
                continue;
            }
            char g = got[v * RING + slot];
            if (g == NONE) {
                rec.lost(v);
            } else {
                rec.delivered(v, g, 0);
            }
        }
    }

    // ------------------------------------------------------------------ one round of one node

    private void round(int v, int r) {
        rec.controlBytes += (long) deg[v] * BUFFER_MAP_BYTES;
        maintain(v, r);
        if (withSource && v == 0) {
            return;
        }
        int n = candidates(v, r);
        if (n == 0) {
            return;
        }
        advertised(v, r, n);
        for (int j = 0; j < n; j++) {
            order[j] = j;
        }
        // Segments close to their deadline first, by deadline; then rarest first (fewest partners have it),
        // then the older one. Insertion sort: a handful of candidates.
        for (int a = 1; a < n; a++) {
            int x = order[a];
            int b = a - 1;
            while (b >= 0 && before(x, order[b], r)) {
                order[b + 1] = order[b];
                b--;
            }
            order[b + 1] = x;
        }
        Arrays.fill(used, 0, deg[v], false);
        int budget = mc.maxPending() - pendingPulls;
        for (int a = 0; a < n; a++) {
            int j = order[a];
            int s = cand[j];
            int slot = v * RING + (s & RMASK);
            if (leaves != null && (late[j] || (req[slot] == NONE && seeds(v, s))) && leaves.listed(v, s, r)) {
                fetchFromEdge(v, s, r, slot);
                continue;
            }
            if (count[j] > 0 && budget > 0 && pullFromPartner(v, s, r, slot, mask[j])) {
                budget--;
            }
        }
    }

    private boolean before(int x, int y, int r) {
        boolean ux = cand[x] * segmentMs + playout - r <= mc.urgentMs();
        boolean uy = cand[y] * segmentMs + playout - r <= mc.urgentMs();
        if (ux != uy) {
            return ux;
        }
        if (!ux && count[x] != count[y]) {
            return count[x] < count[y];
        }
        return cand[x] < cand[y];
    }

    /**
     * Segments v lacks, has not asked for (or asked too long ago), that can still make their deadline; counts
     * the pulls v still waits for in {@link #pendingPulls}.
     */
    private int candidates(int v, int r) {
        int sNew = r / segmentMs;
        int sLo = Math.max(churn.joinAt[v] / segmentMs, Math.floorDiv(r - playout, segmentMs) + 1);
        int n = 0;
        int base = v * RING;
        pendingPulls = 0;
        for (int s = Math.max(0, sLo); s <= sNew && n < cand.length; s++) {
            int slot = base + (s & RMASK);
            int p = s * segmentMs;
            char g = got[slot];
            if (g != NONE && p + g <= r) {
                continue;
            }
            boolean fallback = leaves != null && p + playout - r <= fallbackLead;
            char q = req[slot];
            if (q != NONE && r < p + q + mc.requestTimeoutMs()) {
                if (kind[slot] == PEER) {
                    pendingPulls++;
                }
                if (!(fallback && kind[slot] == PEER)) {
                    continue;
                }
                if (g != NONE && g <= playout) {
                    continue; // the pull from a peer lands in time: keep it
                }
            }
            cand[n] = s;
            late[n] = fallback;
            mask[n] = 0;
            count[n] = 0;
            n++;
        }
        return n;
    }

    /** Which partners' buffer maps, as v has them at r, show each candidate. */
    private void advertised(int v, int r, int n) {
        int row = v * width;
        int zv = info[v * INFO] >>> 16;
        for (int i = 0; i < deg[v]; i++) {
            int u = partners[row + i];
            int packed = info[u * INFO];
            int l = latency.between(v, zv, u, packed >>> 16);
            partnerLatency[i] = l;
            int ph = packed & 0xFFFF;
            int dies = info[u * INFO + DEATH];
            int ubase = u * RING;
            for (int j = 0; j < n; j++) {
                int s = cand[j];
                char g = got[ubase + (s & RMASK)];
                if (g == NONE) {
                    continue;
                }
                int has = s * segmentMs + g;
                int map = has + Math.floorMod(ph - has, tau);
                if (map >= dies || map + l > r) {
                    continue;
                }
                mask[j] |= 1 << i;
                count[j]++;
            }
        }
    }

    private boolean seeds(int v, int s) {
        return seedProbability > 0 && Seeds.unit(Seeds.mix(seedSalt ^ ((long) v << 24) ^ s)) < seedProbability;
    }

    /**
     * Asks the advertising partner expected to deliver soonest (given its uplink), one pull per partner per
     * round; returns whether a pull was sent.
     */
    private boolean pullFromPartner(int v, int s, int r, int slot, int suppliers) {
        int row = v * width;
        int best = -1;
        double bestAt = Double.MAX_VALUE;
        for (int i = 0; i < deg[v]; i++) {
            if ((suppliers & (1 << i)) == 0 || used[i]) {
                continue;
            }
            int u = partners[row + i];
            double at = r + 2.0 * partnerLatency[i] + segmentBits / info[u * INFO + BITS];
            if (at < bestAt) {
                bestAt = at;
                best = i;
            }
        }
        int p = s * segmentMs;
        if (best < 0 || bestAt > p + playout) {
            return false; // nobody free can make the deadline: do not waste anyone's uplink
        }
        used[best] = true;
        int u = partners[row + best];
        int l = partnerLatency[best];
        rec.controlBytes += REQUEST_BYTES;
        int arrives = r + l;
        int dies = info[u * INFO + DEATH];
        int start = Math.max(arrives, info[u * INFO + BUSY]);
        if (arrives < dies && start - arrives > mc.supplierQueueMs()) {
            // Refused: the answer is back within a round trip, before v's next round, so v asks again then.
            rec.controlBytes += REQUEST_BYTES;
            return false;
        }
        req[slot] = (char) (r - p);
        kind[slot] = PEER;
        if (arrives >= dies) {
            return true; // lost: v notices by its timeout
        }
        int sent = start + (int) Math.ceil(segmentBits / info[u * INFO + BITS]);
        if (sent > dies) {
            return true;
        }
        info[u * INFO + BUSY] = sent;
        if (pullStart != null) {
            pullStart[slot] = (char) Math.min(NONE - 1, start - p);
            pullSent[slot] = (char) Math.min(NONE - 1, sent - p);
        }
        if (withSource && u == 0) {
            rec.sourceBytes += segmentBytes;
        } else {
            rec.peerBytes += segmentBytes;
        }
        deliver(slot, p, sent + l);
        return true;
    }

    private void fetchFromEdge(int v, int s, int r, int slot) {
        int p = s * segmentMs;
        if (kind[slot] == PEER && got[slot] != NONE && p + got[slot] > r) {
            // p2p-media-loader aborts a peer download that would finish after the deadline: what was sent so far
            // is wasted, the rest is never sent.
            int start = p + pullStart[slot];
            int sent = p + pullSent[slot];
            double done = sent <= start ? 1 : Math.max(0, Math.min(1, (double) (r - start) / (sent - start)));
            long unsent = Math.round(segmentBytes * (1 - done));
            rec.dataBytes -= unsent;
            rec.peerBytes -= unsent;
            rec.duplicateBytes += segmentBytes - unsent;
            got[slot] = NONE;
        }
        rec.controlBytes += HTTP_REQUEST_BYTES;
        req[slot] = (char) (r - p);
        kind[slot] = HTTP;
        int at = leaves.fetch(v, s, r);
        if (at >= 0) {
            rec.edgeBytes += segmentBytes;
            deliver(slot, p, at);
        }
    }

    private void deliver(int slot, int p, int at) {
        rec.dataBytes += segmentBytes;
        int off = Math.min(NONE - 1, at - p);
        char g = got[slot];
        if (g != NONE) {
            rec.duplicateBytes += segmentBytes;
            if (off < g) {
                got[slot] = (char) off;
            }
        } else {
            got[slot] = (char) off;
        }
    }
}
