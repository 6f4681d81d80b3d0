package io.stripecast.controller.forest;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Losing the primary ingest with a standby: for planned forests over seeded pools, re-rooting at a random member
 * keeps every relay but the lost root, reaches every one of them in every tree without a cycle, and moves only
 * the lost root's children (to the standby) and the standby itself (to the root).
 */
class RerootPropertyTest {
    static LongStream seeds() {
        return LongStream.rangeClosed(1, 200);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void rerootingAtTheStandbyMovesOnlyTheLostRootsChildren(long seed) {
        ForestGen gen = new ForestGen(seed, seed % 2 == 0 ? ForestGen.Profile.MIXED : ForestGen.Profile.STRONG);
        ForestPlanner planner = new ForestPlanner(gen.config);
        Snapshot s = new Snapshot(gen.relaySet(3 + gen.nextInt(120)), gen.stream, null);
        Forest before = planner.plan(s, new ForestEvent.StreamStarted()).forest();
        if (before.size() < 3) {
            return;
        }
        List<String> others = new ArrayList<>(before.members());
        others.remove(before.root());
        String standby = others.get(gen.nextInt(others.size()));
        String lost = before.root();

        Forest after = Reroot.at(before, standby);

        assertThat(after.root()).as("seed %d", seed).isEqualTo(standby);
        List<String> expected = new ArrayList<>(before.members());
        expected.remove(lost);
        assertThat(after.members()).as("seed %d: every relay but the lost root stays", seed).containsExactlyInAnyOrderElementsOf(expected);
        for (int t = 0; t < after.stripes(); t++) {
            for (String relay : after.members()) {
                if (relay.equals(standby)) {
                    assertThat(after.parent(t, relay)).as("seed %d stripe %d: the standby is the root", seed, t).isNull();
                    continue;
                }
                String was = before.parent(t, relay);
                String expectedParent = lost.equals(was) ? standby : was;
                assertThat(after.parent(t, relay)).as("seed %d stripe %d relay %s", seed, t, relay).isEqualTo(expectedParent);
                // Reached from the root without a cycle.
                String at = relay;
                int hops = 0;
                while (!at.equals(standby)) {
                    at = after.parent(t, at);
                    assertThat(at).as("seed %d stripe %d: %s reaches the root", seed, t, relay).isNotNull();
                    assertThat(++hops).as("seed %d stripe %d: no cycle above %s", seed, t, relay).isLessThanOrEqualTo(after.size());
                }
            }
        }
    }
}
