package io.stripecast.controller.forest;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Which relays of a forest are placed only by relaxing a bound, per {@link Relaxation}; JSON-friendly for
 * the topology API. A relay may be listed under several (deep <em>and</em> under an over-full parent).
 *
 * @param relays  per relaxation in force, the relays it affects, sorted; relaxations not in force are absent
 * @param details what exactly, e.g. "stripe 2: r7 at depth 5, bound 4" (at most {@link #MAX_DETAILS})
 */
public record Relaxations(Map<Relaxation, List<String>> relays, List<String> details) {

    public static final int MAX_DETAILS = 200;
    public static final Relaxations NONE = new Relaxations(Map.of(), List.of());

    public Relaxations {
        EnumMap<Relaxation, List<String>> copy = new EnumMap<>(Relaxation.class);
        relays.forEach((k, v) -> {
            if (!v.isEmpty()) {
                copy.put(k, List.copyOf(new TreeSet<>(v)));
            }
        });
        relays = java.util.Collections.unmodifiableMap(copy);
        details = List.copyOf(details.size() > MAX_DETAILS ? details.subList(0, MAX_DETAILS) : details);
    }

    public boolean isEmpty() {
        return relays.isEmpty();
    }

    /** Relays affected by {@code r} (0 when not in force). */
    public int count(Relaxation r) {
        List<String> l = relays.get(r);
        return l == null ? 0 : l.size();
    }

    /** Every relay placed with some bound relaxed, sorted. */
    public List<String> affected() {
        TreeSet<String> all = new TreeSet<>();
        relays.values().forEach(all::addAll);
        return List.copyOf(all);
    }

    /** The most severe relaxation in force (the last in {@link Relaxation}'s order), or null when none. */
    public Relaxation mostSevere() {
        Relaxation worst = null;
        for (Relaxation r : relays.keySet()) {
            worst = r;
        }
        return worst;
    }

    /** "InteriorShared: r3; FanoutExceeded: r3, r5; DepthRelaxed: r5", most severe first, at most {@code max} ids each. */
    public String summary(int max) {
        List<String> parts = new ArrayList<>();
        List<Relaxation> order = new ArrayList<>(relays.keySet());
        java.util.Collections.reverse(order);
        for (Relaxation r : order) {
            List<String> ids = relays.get(r);
            String shown = String.join(", ", ids.subList(0, Math.min(max, ids.size())));
            parts.add(r.reason() + " (" + ids.size() + "): " + shown + (ids.size() > max ? ", ..." : ""));
        }
        return String.join("; ", parts);
    }

    static Relaxations of(Map<Relaxation, ? extends java.util.Collection<String>> relays, List<String> details) {
        Map<Relaxation, List<String>> m = new EnumMap<>(Relaxation.class);
        relays.forEach((k, v) -> m.put(k, new ArrayList<>(v)));
        return new Relaxations(m, details);
    }
}
