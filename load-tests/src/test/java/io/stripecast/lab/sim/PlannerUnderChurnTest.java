package io.stripecast.lab.sim;

import io.stripecast.controller.forest.CheckResult;
import io.stripecast.controller.forest.InvariantChecker;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class PlannerUnderChurnTest {

    static Stream<Arguments> cases() {
        return Stream.of(Arguments.of(41L, 1, 0), Arguments.of(42L, 4, 0), Arguments.of(43L, 4, 1), Arguments.of(44L, 8, 2));
    }

    /**
     * The forest the simulation streams over is the real planner's: under 10 %/min churn, every controller
     * sweep leaves a forest that passes {@link InvariantChecker}, every repair moves only the dead node's
     * orphans, and the data plane follows the planner (every member has an edge from its planner parent).
     */
    @ParameterizedTest(name = "seed {0}, k={1} m={2}")
    @MethodSource("cases")
    void invariantsHoldAndRepairsMoveOnlyOrphans(long seed, int k, int m) {
        SimConfig c = SimConfig.defaults(1000, 60, 10, seed).withCheckInvariants(true);
        World w = World.of(c);
        InitialPlan initial = InitialPlan.build(c, w.peers(), w.churn().initial, k, m);
        TreeRun.Outcome o = TreeRun.simulate(c, w, m > 0 ? Overlay.PARITY : k == 1 ? Overlay.TREE : Overlay.FOREST, initial);
        OverlayResult.Control ctl = o.result().control();

        assertThat(w.churn().deathCount()).as("seed %d: deaths", seed).isGreaterThan(50);
        assertThat(ctl.invariantChecks()).as("seed %d: sweeps checked", seed).isGreaterThan(50);
        assertThat(ctl.invariantViolations()).as("seed %d: violations, first: %s", seed, ctl.firstViolation()).isZero();
        assertThat(ctl.orphanMoves()).as("seed %d: orphans re-parented", seed).isPositive();
        assertThat(ctl.statuses()).as("seed %d: plan statuses", seed).containsOnlyKeys("OK");
        assertThat(ctl.nonOrphanMoves()).as("seed %d: moves in repairs that were not the dead node's orphans'", seed).isZero();

        CheckResult end = new InvariantChecker(initial.plannerConfig()).check(o.controller().snapshot());
        assertThat(end.ok()).as("seed %d: forest at the end: %s", seed, end.violations()).isTrue();
        ForestController fc = o.controller();
        for (String id : fc.forest().members()) {
            int v = Integer.parseInt(id.substring(1));
            for (int t = 0; t < k + m; t++) {
                String p = fc.forest().parent(t, id);
                int expected = p == null ? EdgeLog.NONE : Integer.parseInt(p.substring(1));
                assertThat(fc.log.parentOf(t, v)).as("seed %d: %s's parent in stripe %d", seed, id, t).isEqualTo(expected);
            }
        }
    }
}
