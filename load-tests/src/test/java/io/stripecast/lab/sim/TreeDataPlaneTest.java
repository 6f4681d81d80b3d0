package io.stripecast.lab.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TreeDataPlaneTest {

    static final long SEED = 71;

    /** root 0 -> 1 -> 2 in one stripe (k=1); node 1 may die at {@code deathOf1}. */
    private static TreeDataPlane chain(SimConfig c, EdgeLog log, Population pop, Latency lat, int deathOf1) {
        ChurnSchedule churn = ChurnSchedule.scripted(4, deathOf1 == ChurnSchedule.NEVER ? new int[0] : new int[] {1},
                deathOf1 == ChurnSchedule.NEVER ? new int[0] : new int[] {deathOf1});
        log.open(0, 0, 1, Integer.MIN_VALUE / 4, Integer.MIN_VALUE);
        log.open(0, 1, 2, Integer.MIN_VALUE / 4, Integer.MIN_VALUE);
        return new TreeDataPlane(log, pop, lat, churn, c.stream(), 1, 0);
    }

    /**
     * Cut-through: the first byte moves one link latency per hop; the whole shard lands one latency after the
     * later of (parent complete, parent started + transmission at its share).
     */
    @Test
    void aShardReachesEachHopAfterItsLatencyAndTheSlowerOfParentAndLink() {
        SimConfig c = SimConfig.defaults(3, 60, 0, SEED);
        Population pop = Population.peers(c, 4);
        Latency lat = new Latency(SEED, c.network());
        EdgeLog log = new EdgeLog(1, 4);
        TreeDataPlane plane = chain(c, log, pop, lat, ChurnSchedule.NEVER);
        plane.resolve(10);

        double bits = c.stream().segmentBytes() * 8.0;
        int p = 10_000;
        int l01 = lat.between(0, pop.zone[0], 1, pop.zone[1]);
        int l12 = lat.between(1, pop.zone[1], 2, pop.zone[2]);
        int complete1 = p + pop.txMs(0, bits, 1) + l01;
        int first1 = p + l01;
        int complete2 = Math.max(complete1, first1 + pop.txMs(1, bits, 1)) + l12;
        assertThat(plane.hasAt[1]).as("seed %d: node 1", SEED).isEqualTo(complete1);
        assertThat(plane.hasAt[2]).as("seed %d: node 2", SEED).isEqualTo(complete2);
        assertThat((int) plane.hasDepth[2]).isEqualTo(2);
    }

    /** A dead parent sends nothing; a new edge delivers what the child lacks from when it starts, in order. */
    @Test
    void anOrphanGetsTheSegmentFromItsNewParentOnceTheEdgeStarts() {
        SimConfig c = SimConfig.defaults(3, 60, 0, SEED);
        Population pop = Population.peers(c, 4);
        Latency lat = new Latency(SEED, c.network());
        EdgeLog log = new EdgeLog(1, 4);
        TreeDataPlane plane = chain(c, log, pop, lat, 9_000);
        int repairedAt = 13_000;
        log.open(0, 0, 2, repairedAt, Integer.MIN_VALUE); // the controller re-parents 2 under the root

        plane.resolve(10);
        assertThat(plane.hasStamp[1]).as("seed %d: dead node 1 holds nothing", SEED).isNotEqualTo(TreeDataPlane.stampOf(10));
        double bits = c.stream().segmentBytes() * 8.0;
        int l02 = lat.between(0, pop.zone[0], 2, pop.zone[2]);
        int tx = pop.txMs(0, bits, log.children[0]); // the root's uplink shared by its two children
        int first = repairedAt + tx + l02;
        assertThat(plane.hasAt[2]).as("seed %d: segment 10 after the repair", SEED).isEqualTo(first);

        plane.resolve(11); // queued behind segment 10 on the new link
        assertThat(plane.hasAt[2]).as("seed %d: segment 11", SEED).isEqualTo(first + tx);
    }
}
