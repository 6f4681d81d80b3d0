package io.stripecast.controller.forest;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The planner's shared working store ({@link WorkingForest}: forests as versions of one store, reached by undoing
 * or replaying the changes between them). Seeded random event sequences that branch: each step plans from a
 * random earlier snapshot (usually the latest), so the store goes back and forth between versions. After every
 * step, and again after jumping to random old versions:
 * <ul>
 *   <li>every incremental structure (counts, id index, child lists, designated counts, root shares, depths,
 *       depth histogram, room index, leaf index) equals its recomputation from the plain arrays
 *       ({@link WorkingForest#audit()});</li>
 *   <li>an old version reads exactly as it did when it was made (parents in every stripe, interior stripes,
 *       depths), whatever was planned since;</li>
 *   <li>the same snapshot and event planned again, after other versions were visited, give the same moves;</li>
 *   <li>point queries answered by the store (parent, children, depth, tree depth, interior stripe, child count,
 *       membership) equal those of an array copy of the same forest.</li>
 * </ul>
 * Every failure names the seed and the step.
 */
class WorkingStorePropertyTest {

    static LongStream seeds() {
        return LongStream.range(7001, 7061);
    }

    /** What a version looked like when it was made. */
    private record Seen(Snapshot before, ForestEvent event, Plan plan, List<Map<String, String>> parents,
                        Map<String, Integer> interior) {
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void versionsOfTheSharedStoreStayExactAndItsIndexesMatchARecomputation(long seed) {
        ForestGen gen = new ForestGen(seed, switch ((int) (seed % 3)) {
            case 0 -> ForestGen.Profile.MIXED;
            case 1 -> ForestGen.Profile.STRONG;
            default -> ForestGen.Profile.TIGHT;
        });
        ForestPlanner planner = new ForestPlanner(gen.config);
        int maxRelays = gen.profile == ForestGen.Profile.STRONG ? gen.minRelays() + 1 + gen.nextInt(200)
                : 1 + gen.nextInt(200);
        Snapshot s = new Snapshot(gen.relaySet(maxRelays), gen.stream, null);
        Plan first = planner.plan(s, new ForestEvent.StreamStarted());
        List<Snapshot> history = new ArrayList<>();
        List<Seen> seen = new ArrayList<>();
        s = s.withForest(first.forest());
        history.add(s);
        for (int step = 0; step < 60; step++) {
            String where = gen + " step " + step;
            Snapshot from = gen.nextInt(4) == 0 ? history.get(gen.nextInt(history.size())) : history.get(history.size() - 1);
            if (from.current().isEmpty()) {
                from = history.get(0);
            }
            ForestEvent event = gen.event(from, maxRelays);
            Plan plan = planner.plan(from, event);
            Snapshot after = from.next(event, plan);
            assertThat(WorkingForest.auditAt(plan.forest())).as("%s: %s, indexes after the plan", where, event).isEmpty();
            seen.add(new Seen(from, event, plan, parents(plan.forest()), interior(plan.forest())));
            if (!after.current().isEmpty()) {
                history.add(after);
            }

            // Point queries answered by the store equal those of an array copy of the same forest.
            List<String> ids = new ArrayList<>(after.relays().keySet());
            ids.add("nobody");
            List<String> pointwise = pointView(plan.forest(), ids);
            assertThat(pointView(copyOf(plan.forest()), ids)).as("%s: point queries, store vs arrays", where)
                    .isEqualTo(pointwise);

            // Jump to a random earlier version: it reads as it did, and its indexes are exact.
            Seen old = seen.get(gen.nextInt(seen.size()));
            assertThat(parents(old.plan().forest())).as("%s: an old version's parents", where).isEqualTo(old.parents());
            assertThat(interior(old.plan().forest())).as("%s: an old version's interior stripes", where)
                    .isEqualTo(old.interior());
            assertThat(WorkingForest.auditAt(old.plan().forest())).as("%s: indexes at an old version", where).isEmpty();

            // Same input, same plan, though the store has been elsewhere since.
            Seen again = seen.get(gen.nextInt(seen.size()));
            Plan replanned = planner.plan(again.before(), again.event());
            assertThat(replanned.moves()).as("%s: %s planned again", where, again.event()).isEqualTo(again.plan().moves());
            assertThat(parents(replanned.forest())).as("%s: %s planned again", where, again.event())
                    .isEqualTo(again.parents());
        }
    }

    private static List<Map<String, String>> parents(Forest f) {
        List<Map<String, String>> out = new ArrayList<>();
        for (int t = 0; t < f.stripes() && !f.isEmpty(); t++) {
            out.add(f.parents(t));
        }
        return out;
    }

    private static Map<String, Integer> interior(Forest f) {
        Map<String, Integer> out = new java.util.TreeMap<>();
        if (!f.isEmpty()) {
            for (String id : f.members()) {
                out.put(id, f.interiorStripe(id));
            }
        }
        return out;
    }

    private static List<String> pointView(Forest f, List<String> ids) {
        List<String> out = new ArrayList<>();
        if (f.isEmpty()) {
            return out;
        }
        for (int t = 0; t < f.stripes(); t++) {
            out.add("tree " + t + " depth " + f.treeDepth(t));
        }
        for (String id : ids) {
            StringBuilder b = new StringBuilder(id).append(f.contains(id)).append(' ').append(f.interiorStripe(id))
                    .append(' ').append(f.childCount(id));
            for (int t = 0; t < f.stripes(); t++) {
                List<String> ch = new ArrayList<>(f.children(t, id));
                ch.sort(null);
                b.append(" | ").append(f.parent(t, id)).append(' ').append(f.depth(t, id)).append(' ').append(ch);
            }
            out.add(b.toString());
        }
        return out;
    }

    private static Forest copyOf(Forest f) {
        if (f.isEmpty()) {
            return f;
        }
        List<Map<String, String>> parents = new ArrayList<>();
        for (int t = 0; t < f.stripes(); t++) {
            parents.add(f.parents(t));
        }
        Map<String, Integer> interior = new java.util.HashMap<>();
        for (String id : f.members()) {
            if (f.interiorStripe(id) >= 0) {
                interior.put(id, f.interiorStripe(id));
            }
        }
        return Forest.of(f.root(), parents, interior);
    }
}
