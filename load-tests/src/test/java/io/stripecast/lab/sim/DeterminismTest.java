package io.stripecast.lab.sim;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DeterminismTest {

    static final List<Overlay> ALL = List.of(Overlay.values());

    /** Same seed, same figures (wall-clock times aside), whatever the threads; another seed, other figures. */
    @Test
    void sameSeedGivesTheSameReportNumbers() {
        long seed = 31;
        SimConfig c = SimConfig.defaults(800, 60, 5, seed).withStream(SimConfig.Stream.defaults().withPlayoutDelay(5000));
        List<OverlayResult> first = strip(new Simulation(c, 2, null).run(List.of(800), List.of(5.0), ALL, List.of(5000, 20000)));
        List<OverlayResult> again = strip(new Simulation(c, 1, null).run(List.of(800), List.of(5.0), ALL, List.of(5000, 20000)));
        assertThat(again).as("seed %d: second run", seed).isEqualTo(first);
        assertThat(first).as("seed %d: one run per tree overlay, one per deadline for mesh and hybrid", seed).hasSize(7);

        List<OverlayResult> other = strip(new Simulation(c.withSeed(seed + 1), 2, null)
                .run(List.of(800), List.of(5.0), ALL, List.of(5000, 20000)));
        for (int i = 0; i < first.size(); i++) {
            assertThat(other.get(i)).as("seed %d vs %d: %s", seed, seed + 1, first.get(i).overlay()).isNotEqualTo(first.get(i));
        }
    }

    private static List<OverlayResult> strip(List<OverlayResult> runs) {
        return runs.stream().map(OverlayResult::withoutWallClock).toList();
    }
}
