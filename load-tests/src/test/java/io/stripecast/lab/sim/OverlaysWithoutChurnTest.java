package io.stripecast.lab.sim;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class OverlaysWithoutChurnTest {

    /**
     * With bandwidth to spare and nobody leaving, each overlay gets every segment to every node in time: the
     * trees and the hybrid within 5 s of production, the mesh (pull, store-and-forward) within 20 s.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11, 12})
    void everyOverlayDeliversEverySegmentToEveryNode(long seed) {
        SimConfig c = SimFixtures.generous(600, 60, 0, seed);
        Map<Overlay, OverlayResult> results = new EnumMap<>(Overlay.class);
        Simulation fiveSeconds = new Simulation(SimFixtures.withDeadline(c, 5000), 1, null);
        Simulation twentySeconds = new Simulation(SimFixtures.withDeadline(c, 20000), 1, null);
        for (Overlay o : List.of(Overlay.TREE, Overlay.FOREST, Overlay.PARITY, Overlay.HYBRID)) {
            results.put(o, fiveSeconds.runOne(new Simulation.Job(c.nodes(), 0, o, 5000)));
        }
        results.put(Overlay.MESH, twentySeconds.runOne(new Simulation.Job(c.nodes(), 0, Overlay.MESH, 20000)));

        results.forEach((o, r) -> {
            assertThat(r.due()).as("seed %d, %s: owed (node, segment) pairs", seed, o).isGreaterThan(600L * 10);
            assertThat(r.continuity()).as("seed %d, %s: continuity", seed, o).isEqualTo(1.0);
            assertThat(r.lostShare()).as("seed %d, %s: lost", seed, o).isZero();
        });
        // Push beats pull: the trees' worst node-segment is faster than the mesh's typical one.
        assertThat(results.get(Overlay.TREE).latencyMs().p99())
                .as("seed %d: tree p99 vs mesh p50", seed).isLessThan(results.get(Overlay.MESH).latencyMs().p50());
    }
}
