package io.stripecast.lab.cluster;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** Reads the controller's forest view ({@code /api/v1/streams/{s}/forest}); pure. */
public final class Forests {
    private Forests() {
    }

    public static Set<String> members(JsonNode forest) {
        Set<String> out = new TreeSet<>();
        JsonNode stripes = forest.get("stripes");
        if (stripes != null && stripes.size() > 0) {
            stripes.get(0).get("depths").fieldNames().forEachRemaining(out::add);
        }
        return out;
    }

    /** The controller's invariant check passed and none of {@code gone} is a member any more. */
    public static boolean repaired(JsonNode forest, Collection<String> gone) {
        if (!forest.get("check").get("ok").asBoolean()) {
            return false;
        }
        Set<String> members = members(forest);
        return gone.stream().noneMatch(members::contains);
    }

    public static List<Integer> treeDepths(JsonNode forest) {
        List<Integer> out = new ArrayList<>();
        forest.get("stripes").forEach(s -> out.add(s.get("depth").asInt()));
        return out;
    }

    /** Children of the ingest per stripe tree. */
    public static List<Integer> rootChildren(JsonNode forest) {
        String root = forest.get("root").asText();
        List<Integer> out = new ArrayList<>();
        forest.get("stripes").forEach(s -> out.add(s.get("children").path(root).asInt(0)));
        return out;
    }

    /**
     * A relay rebuilds a segment once k shards are in: its depth for availability is the k-th smallest of
     * its depths over the stripe trees.
     */
    public static Map<String, Integer> availabilityDepths(JsonNode forest, int k) {
        Map<String, List<Integer>> all = new TreeMap<>();
        for (JsonNode stripe : forest.get("stripes")) {
            for (Iterator<Map.Entry<String, JsonNode>> it = stripe.get("depths").fields(); it.hasNext(); ) {
                var e = it.next();
                all.computeIfAbsent(e.getKey(), x -> new ArrayList<>()).add(e.getValue().asInt());
            }
        }
        Map<String, Integer> out = new TreeMap<>();
        all.forEach((id, list) -> {
            list.sort(Integer::compare);
            out.put(id, list.get(Math.min(k, list.size()) - 1));
        });
        return out;
    }

    /** The first relay (by stripe, then id) below the ingest that has children: a relay whose loss orphans others. */
    public static String interiorRelay(JsonNode forest) {
        String root = forest.get("root").asText();
        for (JsonNode stripe : forest.get("stripes")) {
            for (Iterator<Map.Entry<String, JsonNode>> it = stripe.get("children").fields(); it.hasNext(); ) {
                var e = it.next();
                if (!e.getKey().equals(root) && e.getValue().asInt() > 0) {
                    return e.getKey();
                }
            }
        }
        throw new IllegalStateException("no interior relay below the ingest: raise relays or lower uplink-mbps");
    }

    /** The stripe whose ingest children carry the largest subtree: where losing the ingest's child hurts most. */
    public static int busiestStripe(JsonNode forest) {
        String root = forest.get("root").asText();
        int best = 0;
        int bestSize = -1;
        for (JsonNode stripe : forest.get("stripes")) {
            Map<String, String> parents = parents(stripe);
            int size = 0;
            for (String child : childrenOf(parents, root)) {
                size = Math.max(size, subtreeSize(parents, child));
            }
            if (size > bestSize) {
                bestSize = size;
                best = stripe.get("stripe").asInt();
            }
        }
        return best;
    }

    /** The child of the ingest in {@code stripe} with the largest subtree (ties: by id), or null. */
    public static String ingestChild(JsonNode forest, int stripe) {
        String root = forest.get("root").asText();
        Map<String, String> parents = parents(forest.get("stripes").get(stripe));
        String best = null;
        int bestSize = -1;
        for (String child : childrenOf(parents, root)) {
            int size = subtreeSize(parents, child);
            if (size > bestSize) {
                bestSize = size;
                best = child;
            }
        }
        return best;
    }

    private static Map<String, String> parents(JsonNode stripe) {
        Map<String, String> out = new TreeMap<>();
        stripe.get("parents").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    private static List<String> childrenOf(Map<String, String> parents, String parent) {
        return parents.entrySet().stream().filter(e -> e.getValue().equals(parent)).map(Map.Entry::getKey).sorted().toList();
    }

    private static int subtreeSize(Map<String, String> parents, String top) {
        Set<String> seen = new TreeSet<>();
        List<String> todo = new ArrayList<>(List.of(top));
        while (!todo.isEmpty()) {
            String u = todo.remove(todo.size() - 1);
            if (seen.add(u)) {
                todo.addAll(childrenOf(parents, u));
            }
        }
        return seen.size();
    }
}
