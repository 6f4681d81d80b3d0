package io.stripecast.controller.k8s;

import io.stripecast.controller.forest.CheckResult;
import io.stripecast.controller.forest.ForestEvent;
import io.stripecast.controller.forest.ForestPlanner;
import io.stripecast.controller.forest.InvariantChecker;
import io.stripecast.controller.forest.Plan;
import io.stripecast.controller.forest.PlannerConfig;
import io.stripecast.controller.forest.RelayInfo;
import io.stripecast.controller.forest.Relaxation;
import io.stripecast.controller.forest.Relaxations;
import io.stripecast.controller.forest.Snapshot;
import io.stripecast.controller.forest.StreamParams;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The LiveStream's Degraded condition as the forest's check makes it (DESIGN.md, "Never go dark"). */
class LiveStreamDegradedConditionTest {

    private static final PlannerConfig CONFIG = new PlannerConfig(0.8, 32);

    private static RelayInfo relay(String id, int fanout) {
        return new RelayInfo(id, "", fanout / 0.8 + 0.01);
    }

    private static CheckResult check(Map<String, RelayInfo> rs, StreamParams stream) {
        Snapshot s = new Snapshot(rs, stream, null);
        Plan plan = new ForestPlanner(CONFIG).plan(s, new ForestEvent.StreamStarted());
        return new InvariantChecker(CONFIG).check(s.withForest(plan.forest()));
    }

    @Test
    void aForestWithinEveryBoundIsNotDegraded() {
        Map<String, RelayInfo> rs = new HashMap<>();
        rs.put("ingest", relay("ingest", 4));
        for (String id : List.of("a", "b", "c", "d")) {
            rs.put(id, relay(id, 8));
        }
        LiveStreamReconciler.Degraded d = LiveStreamReconciler.degraded(check(rs, new StreamParams("s", 1, 1, 1.0, "ingest")));
        assertThat(d.status()).isFalse();
        assertThat(d.reason()).isEqualTo("AsPlanned");
        assertThat(LiveStreamReconciler.degraded(null).reason()).isEqualTo("AsPlanned");
    }

    @Test
    void relaxedRelaysMakeItDegradedWithTheMostSevereRelaxationAsReasonAndListThemAll() {
        // The ingest feeds one child per tree and nobody can forward two: two relays are placed by relaxing.
        Map<String, RelayInfo> rs = new HashMap<>();
        rs.put("ingest", relay("ingest", 2));
        for (String id : List.of("a", "b", "c")) {
            rs.put(id, relay(id, 1));
        }
        CheckResult check = check(rs, new StreamParams("s", 2, 0, 1.0, "ingest"));
        assertThat(check.ok()).isTrue();
        LiveStreamReconciler.Degraded d = LiveStreamReconciler.degraded(check);
        assertThat(d.status()).isTrue();
        assertThat(d.reason()).isEqualTo("InteriorShared");
        assertThat(d.message()).contains("InteriorShared").contains("FanoutExceeded")
                .contains(check.relaxations().affected().get(0));
    }

    @Test
    void reasonFollowsSeverityDepthThenFanoutThenInteriorShared() {
        assertThat(reasonOf(Map.of(Relaxation.DEPTH, List.of("r1")))).isEqualTo("DepthRelaxed");
        assertThat(reasonOf(Map.of(Relaxation.DEPTH, List.of("r1"), Relaxation.FANOUT, List.of("r2")))).isEqualTo("FanoutExceeded");
        assertThat(reasonOf(Map.of(Relaxation.INTERIOR_SHARED, List.of("r3"), Relaxation.DEPTH, List.of("r1"))))
                .isEqualTo("InteriorShared");
    }

    @Test
    void aBrokenInvariantOutranksRelaxations() {
        CheckResult broken = new CheckResult("s", 3, 2, false, 1,
                List.of(new CheckResult.Violation(2, 0, "r1", "stripe 0: relay r1 does not reach the root")), List.of(),
                new Relaxations(Map.of(Relaxation.DEPTH, List.of("r2")), List.of()));
        LiveStreamReconciler.Degraded d = LiveStreamReconciler.degraded(broken);
        assertThat(d.status()).isTrue();
        assertThat(d.reason()).isEqualTo("InvariantViolated");
    }

    private static String reasonOf(Map<Relaxation, List<String>> relays) {
        CheckResult c = new CheckResult("s", 3, 2, true, 0, List.of(), List.of(), new Relaxations(relays, List.of()));
        return LiveStreamReconciler.degraded(c).reason();
    }
}
