package io.stripecast.controller.forest;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The checker is the tests' oracle: it must catch each kind of broken forest, and name it. */
class InvariantCheckerTest {

    private static final PlannerConfig CONFIG = new PlannerConfig(0.8, 32);
    private static final StreamParams TWO_STRIPES = new StreamParams("s", 1, 1, 1.0, "root");
    private final InvariantChecker checker = new InvariantChecker(CONFIG);

    private static RelayInfo relay(String id, String zone, int fanout) {
        return new RelayInfo(id, zone, fanout / 0.8 + 0.01);
    }

    /** root (fanout 4, share 2 per tree), a and b forwarders of 4, c and d weak. */
    private static Map<String, RelayInfo> relays() {
        Map<String, RelayInfo> rs = new HashMap<>();
        for (RelayInfo r : List.of(relay("root", "x", 4), relay("a", "x", 4), relay("b", "y", 4),
                relay("c", "x", 0), relay("d", "y", 0))) {
            rs.put(r.id(), r);
        }
        return rs;
    }

    /** A sound two-stripe forest: a feeds stripe 0, b feeds stripe 1. */
    private static List<Map<String, String>> soundParents() {
        Map<String, String> s0 = new HashMap<>(Map.of("a", "root", "b", "a", "c", "a", "d", "a"));
        Map<String, String> s1 = new HashMap<>(Map.of("b", "root", "a", "b", "c", "b", "d", "b"));
        return List.of(s0, s1);
    }

    private CheckResult check(List<Map<String, String>> parents, Map<String, Integer> interior) {
        return checker.check(relays(), TWO_STRIPES, Forest.of("root", parents, interior));
    }

    @Test
    void soundForestHasNoViolationAndReportsItsFigures() {
        CheckResult r = check(soundParents(), Map.of("a", 0, "b", 1));
        assertThat(r.ok()).isTrue();
        assertThat(r.violationCount()).isZero();
        assertThat(r.relays()).isEqualTo(5);
        CheckResult.Tree t0 = r.trees().get(0);
        assertThat(t0.depth()).isEqualTo(2);
        assertThat(t0.fanout()).isEqualTo(4);
        assertThat(t0.depthBound()).isEqualTo(3); // ceil(log_4 5) + 1
        assertThat(t0.designated()).isEqualTo(1);
        assertThat(t0.interior()).isEqualTo(1);
        assertThat(t0.rootShare()).isEqualTo(2);
        assertThat(t0.crossZoneEdges()).isEqualTo(2); // b and d (zone y) below a (zone x)
    }

    @Test
    void relayWithoutParentBreaksInvariantOne() {
        List<Map<String, String>> parents = soundParents();
        parents.get(1).remove("d");
        CheckResult r = check(parents, Map.of("a", 0, "b", 1));
        assertThat(r.ok()).isFalse();
        assertThat(r.of(1)).singleElement().satisfies(v -> {
            assertThat(v.stripe()).isEqualTo(1);
            assertThat(v.relay()).isEqualTo("d");
            assertThat(v.message()).isEqualTo("stripe 1: relay d has no parent");
        });
    }

    @Test
    void cycleBreaksInvariantTwo() {
        List<Map<String, String>> parents = soundParents();
        parents.get(0).put("c", "d");
        parents.get(0).put("d", "c");
        CheckResult r = check(parents, null);
        assertThat(r.of(2)).extracting(CheckResult.Violation::relay).containsExactlyInAnyOrder("c", "d");
    }

    @Test
    void childrenInTwoTreesBreakInvariantThree() {
        List<Map<String, String>> parents = soundParents();
        parents.get(1).put("c", "a"); // a now feeds c in stripe 1 as well as stripe 0
        CheckResult r = check(parents, null);
        assertThat(r.of(3)).anySatisfy(v -> assertThat(v.message()).contains("relay a has children in stripes [0, 1]"));
    }

    @Test
    void childrenOutsideTheDesignatedStripeBreakInvariantThree() {
        CheckResult r = check(soundParents(), Map.of("a", 1, "b", 1));
        assertThat(r.of(3)).anySatisfy(v -> assertThat(v.message())
                .isEqualTo("relay a has children in stripe 0 but its interior stripe is 1"));
    }

    @Test
    void tooManyChildrenBreakInvariantFour() {
        Map<String, RelayInfo> rs = relays();
        rs.put("a", relay("a", "x", 2)); // a has 3 children in stripe 0
        CheckResult r = checker.check(rs, TWO_STRIPES, Forest.of("root", soundParents(), Map.of("a", 0, "b", 1)));
        assertThat(r.of(4)).singleElement().satisfies(v ->
                assertThat(v.message()).isEqualTo("relay a has 3 children, its fanout allows 2"));
    }

    @Test
    void rootOverItsShareBreaksInvariantFour() {
        List<Map<String, String>> parents = soundParents();
        parents.get(0).put("c", "root");
        parents.get(0).put("d", "root"); // root: a, c, d in stripe 0 but a share of 2
        CheckResult r = check(parents, Map.of("a", 0, "b", 1));
        assertThat(r.of(4)).singleElement().satisfies(v -> assertThat(v.stripe()).isZero());
    }

    @Test
    void designatingARelayThatCannotForwardBreaksInvariantFour() {
        CheckResult r = check(soundParents(), Map.of("a", 0, "b", 1, "c", 0));
        assertThat(r.of(4)).anySatisfy(v -> assertThat(v.relay()).isEqualTo("c"));
    }

    @Test
    void chainDeeperThanTheBoundBreaksInvariantFive() {
        // In stripe 0: root -> a -> b -> c -> d with a and b designated: depth 4 > ceil(log_4 5) + 1 = 3.
        Map<String, RelayInfo> rs = relays();
        rs.put("c", relay("c", "x", 4));
        List<Map<String, String>> parents = List.of(
                Map.of("a", "root", "b", "a", "c", "b", "d", "c"),
                Map.of("a", "root", "b", "root", "c", "a", "d", "a"));
        Forest f = Forest.of("root", parents, Map.of("b", 0, "c", 0, "a", 1));
        CheckResult r = checker.check(rs, TWO_STRIPES, f);
        assertThat(r.of(3)).anySatisfy(v -> assertThat(v.relay()).isEqualTo("a"));
        assertThat(r.of(5)).singleElement().satisfies(v ->
                assertThat(v.message()).isEqualTo("stripe 0: depth 4 exceeds bound 3 (f=4, |R|=5)"));
    }

    @Test
    void avoidableCrossZoneMoveBreaksInvariantSixAndIsOnlyCountedOnABareForest() {
        // Stripe 0: d (zone y) is moved below a (zone x) although b (zone y, designated 0, room) is as deep.
        Map<String, RelayInfo> rs = relays();
        StreamParams one = new StreamParams("s", 1, 0, 1.0, "root");
        Forest f = Forest.of("root", List.of(Map.of("a", "root", "b", "root", "c", "a", "d", "a")),
                Map.of("a", 0, "b", 0));
        Snapshot s = new Snapshot(rs, one, f);
        CheckResult bare = checker.check(s);
        assertThat(bare.ok()).isTrue();
        assertThat(bare.trees().get(0).avoidableCrossZoneEdges()).isEqualTo(1);

        CheckResult afterMove = checker.check(s, List.of(new Move("s", 0, "d", "b", "a")));
        assertThat(afterMove.of(6)).singleElement().satisfies(v -> {
            assertThat(v.relay()).isEqualTo("d");
            assertThat(v.message()).contains("parent in its zone had room at depth 1");
        });
    }

    @Test
    void moveThatIsNotInTheForestIsReported() {
        Snapshot s = new Snapshot(relays(), TWO_STRIPES, Forest.of("root", soundParents(), Map.of("a", 0, "b", 1)));
        CheckResult r = checker.check(s, List.of(new Move("s", 0, "c", null, "b")));
        assertThat(r.of(6)).singleElement().satisfies(v -> assertThat(v.message()).contains("not in the forest"));
    }

    @Test
    void rootOtherThanTheIngestAndUnknownRelaysAreReported() {
        Map<String, RelayInfo> rs = relays();
        rs.remove("d");
        StreamParams other = new StreamParams("s", 1, 1, 1.0, "a");
        CheckResult r = checker.check(rs, other, Forest.of("root", soundParents(), Map.of("a", 0, "b", 1)));
        assertThat(r.of(1)).anySatisfy(v -> assertThat(v.message()).contains("the stream's ingest is a"));
        assertThat(r.of(4)).anySatisfy(v -> assertThat(v.relay()).isEqualTo("d"));
    }

    @Test
    void emptyForestIsSound() {
        CheckResult r = checker.check(relays(), TWO_STRIPES, Forest.empty(2));
        assertThat(r.ok()).isTrue();
        assertThat(r.trees()).isEmpty();
    }

    /** The sound forest plus e (a weak relay) under a, interior in stripe 0, in both trees. */
    private static Forest withExtraUnderA(java.util.Set<String> relaxed) {
        List<Map<String, String>> parents = soundParents();
        parents.get(0).put("e", "a");
        parents.get(1).put("e", "a");
        Forest plain = Forest.of("root", parents, Map.of("a", 0, "b", 1));
        String[] ids = plain.members().toArray(String[]::new);
        int[][] parent = new int[2][];
        int[] interior = new int[ids.length];
        for (int t = 0; t < 2; t++) {
            parent[t] = plain.parentArray(t).clone();
        }
        for (int i = 0; i < ids.length; i++) {
            interior[i] = plain.interiorStripe(ids[i]);
        }
        return new Forest(2, ids, 0, parent, interior, relaxed);
    }

    @Test
    void boundsBrokenForADeclaredRelaxedRelayAreRelaxationsNotViolations() {
        Map<String, RelayInfo> rs = new HashMap<>(relays());
        rs.put("e", relay("e", "x", 0));
        // a (fanout 4) now has 5 children, and children in stripe 1 where it is not interior.
        CheckResult declared = checker.check(rs, TWO_STRIPES, withExtraUnderA(java.util.Set.of("e")));
        assertThat(declared.violations()).isEmpty();
        assertThat(declared.ok()).isTrue();
        assertThat(declared.strict()).isFalse();
        assertThat(declared.relaxations().relays()).containsOnlyKeys(Relaxation.FANOUT, Relaxation.INTERIOR_SHARED);
        assertThat(declared.relaxations().affected()).containsExactly("e");
        assertThat(declared.relaxations().mostSevere()).isEqualTo(Relaxation.INTERIOR_SHARED);
        assertThat(declared.relaxations().mostSevere().reason()).isEqualTo("InteriorShared");
        assertThat(declared.relaxations().summary(5)).startsWith("InteriorShared (1): e; FanoutExceeded (1): e");

        // The same forest without the declaration: the planner never says so, so these are violations.
        CheckResult undeclared = checker.check(rs, TWO_STRIPES, withExtraUnderA(java.util.Set.of()));
        assertThat(undeclared.ok()).isFalse();
        assertThat(undeclared.of(3)).isNotEmpty();
        assertThat(undeclared.of(4)).isNotEmpty();
        assertThat(undeclared.relaxations().isEmpty()).isTrue();
    }

    @Test
    void aDeclaredRelaxedRelayWithChildrenIsAViolation() {
        // c is declared relaxed but feeds d in stripe 0: relaxed relays must be leaves.
        List<Map<String, String>> parents = soundParents();
        parents.get(0).put("d", "c");
        Forest plain = Forest.of("root", parents, Map.of("a", 0, "b", 1, "c", 0));
        String[] ids = plain.members().toArray(String[]::new);
        int[][] parent = {plain.parentArray(0).clone(), plain.parentArray(1).clone()};
        int[] interior = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            interior[i] = plain.interiorStripe(ids[i]);
        }
        CheckResult r = checker.check(relays(), TWO_STRIPES, new Forest(2, ids, 0, parent, interior, java.util.Set.of("c")));
        assertThat(r.ok()).isFalse();
        assertThat(r.of(3)).anySatisfy(v -> assertThat(v.message()).contains("relaxed relays are leaves"));
    }
}
