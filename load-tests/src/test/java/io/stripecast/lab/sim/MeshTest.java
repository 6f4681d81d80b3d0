package io.stripecast.lab.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MeshTest {

    /**
     * Under churn the mesh loses partners and replaces them after the timeout; with a deadline it can meet,
     * nodes still get (nearly) everything, and buffer maps make its control traffic far above a tree's.
     */
    @Test
    void deadPartnersAreReplacedAndTheMeshKeepsDelivering() {
        long seed = 81;
        SimConfig c = SimFixtures.withDeadline(SimFixtures.generous(600, 60, 10, seed), 20_000);
        World w = World.of(c);
        OverlayResult mesh = MeshRun.run(c, w);
        OverlayResult tree = TreeRun.run(c, w, Overlay.TREE, InitialPlan.build(c, w.peers(), w.churn().initial, 1, 0));

        assertThat(mesh.traffic().partnerReplacements()).as("seed %d: partners replaced", seed).isPositive();
        assertThat(mesh.continuity()).as("seed %d: mesh continuity at 10 %%/min churn", seed).isGreaterThan(0.99);
        assertThat(mesh.traffic().controlOverhead()).as("seed %d: mesh control/data vs the tree's", seed)
                .isGreaterThan(5 * tree.traffic().controlOverhead());
    }

    /** The hybrid's leaves fall back to their edge relay, so even a deadline the mesh cannot meet is met. */
    @Test
    void hybridLeavesMeetATightDeadlineThroughTheirEdge() {
        long seed = 82;
        SimConfig c = SimFixtures.withDeadline(SimFixtures.generous(600, 60, 5, seed), 4000);
        Simulation sim = new Simulation(c, 1, null);
        OverlayResult hybrid = sim.runOne(new Simulation.Job(600, 5, Overlay.HYBRID, 4000));
        OverlayResult mesh = sim.runOne(new Simulation.Job(600, 5, Overlay.MESH, 4000));

        assertThat(hybrid.continuity()).as("seed %d: hybrid", seed).isGreaterThan(0.999);
        assertThat(mesh.continuity()).as("seed %d: mesh at the same deadline", seed).isLessThan(hybrid.continuity());
        assertThat(hybrid.traffic().edgeShare()).as("seed %d: share of leaf bytes from edges", seed).isBetween(0.0, 1.0);
        assertThat(hybrid.traffic().peerBytes()).as("seed %d: bytes between leaves", seed).isPositive();
    }
}
