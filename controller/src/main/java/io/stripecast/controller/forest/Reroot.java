package io.stripecast.controller.forest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The forest after its root (the primary ingest) is lost and a standby ingest takes its place: the standby becomes
 * the root of every stripe tree, the lost root's children become the standby's, and every other link stays, so the
 * relays below keep their parents and resume from the first sequence they lack. The standby held everything the
 * primary published (it was a member of the forest and took the same uploads), so nobody misses a segment. Pure:
 * the caller checks the result against the bounds and rebalances only where they no longer hold.
 */
public final class Reroot {
    private Reroot() {
    }

    /**
     * @param forest  the running forest, rooted at the lost primary
     * @param standby a member of it, the new root
     */
    public static Forest at(Forest forest, String standby) {
        String lost = forest.root();
        if (!forest.contains(standby) || standby.equals(lost)) {
            throw new IllegalArgumentException("standby " + standby + " is not a member of the forest rooted at " + lost);
        }
        List<Map<String, String>> parents = new ArrayList<>();
        Map<String, Integer> interior = new HashMap<>();
        for (int stripe = 0; stripe < forest.stripes(); stripe++) {
            Map<String, String> next = new HashMap<>();
            for (Map.Entry<String, String> e : forest.parents(stripe).entrySet()) {
                String child = e.getKey();
                if (child.equals(standby) || child.equals(lost)) {
                    continue;
                }
                next.put(child, e.getValue().equals(lost) ? standby : e.getValue());
            }
            parents.add(next);
        }
        for (String relay : forest.members()) {
            if (!relay.equals(lost) && !relay.equals(standby) && forest.interiorStripe(relay) >= 0) {
                interior.put(relay, forest.interiorStripe(relay));
            }
        }
        return Forest.of(standby, parents, interior);
    }
}
