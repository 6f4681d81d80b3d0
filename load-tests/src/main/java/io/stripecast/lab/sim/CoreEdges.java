package io.stripecast.lab.sim;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The hybrid's edge relays as their leaves see them: which relay each leaf uses (one in its zone), the
 * swarm of leaves per relay (partners come from it), when each relay had each segment (from the core
 * forest), and the relays' HTTP egress (one queue per relay at its uplink). A leaf notices a dead edge
 * {@code partnerTimeout} after it died and moves to a random live relay of its zone (any zone if none).
 */
final class CoreEdges implements MeshDataPlane.Leaves {
    private static final int NEVER = Integer.MAX_VALUE;

    private final Population leafPop;
    private final Population relayPop;
    private final ChurnSchedule relayChurn;
    private final Latency latency;
    private final Recorder rec;
    private final SplittableRandom rnd;
    private final int timeout;
    private final double segmentBits;

    private final int[] edge;
    private final int[] swarmPos;
    private final IntList[] swarm;
    private final int[][] byZone;
    private final int[] relayHas;
    private final int[] relayBusy;

    CoreEdges(SimConfig c, Population leafPop, ChurnSchedule leafChurn, Population relayPop, ChurnSchedule relayChurn,
              Latency latency, Recorder rec, SplittableRandom rnd) {
        this.leafPop = leafPop;
        this.relayPop = relayPop;
        this.relayChurn = relayChurn;
        this.latency = latency;
        this.rec = rec;
        this.rnd = rnd;
        this.timeout = c.mesh().partnerTimeoutMs();
        this.segmentBits = c.stream().segmentBytes() * 8.0;
        edge = new int[leafChurn.total];
        swarmPos = new int[leafChurn.total];
        Arrays.fill(swarmPos, -1);
        swarm = new IntList[relayChurn.total];
        for (int r = 0; r < swarm.length; r++) {
            swarm[r] = new IntList(4);
        }
        int zones = c.network().zones();
        IntList[] z = new IntList[zones];
        for (int i = 0; i < zones; i++) {
            z[i] = new IntList(4);
        }
        for (int r = 1; r < relayChurn.total; r++) {
            z[relayPop.zone[r]].add(r);
        }
        byZone = new int[zones][];
        for (int i = 0; i < zones; i++) {
            byZone[i] = z[i].toArray();
        }
        relayHas = new int[relayChurn.total * MeshDataPlane.RING];
        Arrays.fill(relayHas, NEVER);
        relayBusy = new int[relayChurn.total];
    }

    /** Segment s as the core delivered it: when each relay had it. */
    void record(int s, TreeDataPlane core) {
        int st = TreeDataPlane.stampOf(s);
        int slot = s & MeshDataPlane.RMASK;
        for (int r = 1; r < relayChurn.total; r++) {
            relayHas[r * MeshDataPlane.RING + slot] = core.hasStamp[r] == st ? core.hasAt[r] : NEVER;
        }
    }

    @Override
    public int samplePartner(int v, SplittableRandom random) {
        IntList s = swarm[edge[v]];
        return s.size == 0 ? -1 : s.data[random.nextInt(s.size)];
    }

    @Override
    public void joined(int v, int time) {
        home(v, time);
    }

    @Override
    public void died(int v) {
        leave(v);
    }

    @Override
    public boolean listed(int v, int s, int r) {
        int e = edge[v];
        if (relayChurn.deathAt[e] <= r) {
            if (r - timeout < relayChurn.deathAt[e]) {
                return false; // still waiting on a dead edge
            }
            leave(v);
            home(v, r);
            rec.edgeSwitches++;
            e = edge[v];
        }
        return relayHas[e * MeshDataPlane.RING + (s & MeshDataPlane.RMASK)] <= r;
    }

    @Override
    public int fetch(int v, int s, int r) {
        int e = edge[v];
        int l = latency.between(v, leafPop.zone[v], Latency.RELAY + e, relayPop.zone[e]);
        int arrives = r + l;
        int dies = relayChurn.deathAt[e];
        if (arrives >= dies) {
            return -1;
        }
        int start = Math.max(arrives, relayBusy[e]);
        int sent = start + relayPop.txMs(e, segmentBits, 1);
        if (sent > dies) {
            return -1;
        }
        relayBusy[e] = sent;
        return sent + l;
    }

    @Override
    public int handshakeBytes() {
        return 4000; // WebRTC offer + answer relayed by the tracker (~4 KB, see STACK.md)
    }

    /** Picks a live relay in the leaf's zone (any zone if none) and joins its swarm. */
    private void home(int v, int time) {
        int[] zone = byZone[leafPop.zone[v] % byZone.length];
        int chosen = -1;
        for (int i = 0; i < 16 && zone.length > 0 && chosen < 0; i++) {
            int r = zone[rnd.nextInt(zone.length)];
            if (relayChurn.aliveAt(r, time)) {
                chosen = r;
            }
        }
        if (chosen < 0) {
            int n = relayChurn.total - 1;
            int from = rnd.nextInt(n);
            for (int i = 0; i < n && chosen < 0; i++) {
                int r = 1 + (from + i) % n;
                if (relayChurn.aliveAt(r, time)) {
                    chosen = r;
                }
            }
        }
        edge[v] = Math.max(1, chosen);
        swarmPos[v] = swarm[edge[v]].size;
        swarm[edge[v]].add(v);
    }

    private void leave(int v) {
        int i = swarmPos[v];
        if (i < 0) {
            return;
        }
        IntList s = swarm[edge[v]];
        int last = s.data[s.size - 1];
        s.swapRemove(i);
        if (last != v) {
            swarmPos[last] = i;
        }
        swarmPos[v] = -1;
    }
}
