package io.stripecast.controller.forest;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Degrade, never drop (DESIGN.md, "Never go dark"): places the relays a strict plan left without a position,
 * each as a leaf in every tree, relaxing the bounds one at a time and only as far as needed, edge by edge:
 *
 * <ol start="0">
 *   <li>a parent allowed in that tree (the root within its share, a relay designated there) with a free
 *       slot within the depth bound: no relaxation (a relay the strict join refused as a forwarder may still
 *       fit as a leaf);</li>
 *   <li>the same, deeper than the depth bound ({@link Relaxation#DEPTH}): one hop of latency;</li>
 *   <li>a parent allowed in that tree with room left in its whole uplink, the headroom that
 *       {@code targetUtilisation} keeps ({@link Relaxation#FANOUT}); relays before the ingest, whose uplink
 *       feeds everyone;</li>
 *   <li>any relay with room left in its whole uplink, though it forwards in another tree or none
 *       ({@link Relaxation#INTERIOR_SHARED}): its death then costs two stripes, which parity may not cover;</li>
 *   <li>the parent whose uplink is least over-committed ({@link Relaxation#FANOUT}, beyond the uplink).</li>
 * </ol>
 *
 * <p>Step 4 always finds a parent (the root is reached in every tree), so every live relay gets a position and
 * no relay has to fill its window over HTTP from a forest member. That fill would take the same bytes from
 * the same uplinks (the stream's bitrate, k/(k+m) of what the k+m tree links cost) and lose the parity, so
 * a position beyond the uplink is no worse than a fill, and it is accounted and reported as one.
 *
 * <p>Relaxed relays are leaves, declared in {@link Forest#relaxed()}; parents are only strictly placed members.
 * So the strict forest underneath stays exactly what the strict planner made, and the next plan takes the
 * relaxed relays out, plans strictly, and places them again: strictly when capacity has returned (tightening),
 * else relaxed, on their previous parent when that still needs no more relaxation (few moves).
 *
 * <p>Pure, like the planner: no I/O, deterministic (relays in id order, ties by depth, zone, id).
 */
final class RelaxedPlacement {

    private static final int NONE = -1;

    private RelaxedPlacement() {
    }

    /**
     * The strict {@code plan} (whose moves start from {@code base}: {@code previous} without its relaxed relays,
     * or another forest) completed: every relay of {@code relays} that is not draining, and every draining one
     * that was a member, placed; moves counted against {@code previous} itself. {@code everyRelayMember} says
     * the strict forest holds every relay of {@code relays} (nobody waits: no need to look).
     */
    static Plan complete(Plan plan, Forest base, Forest previous, Map<String, RelayInfo> relays, StreamParams stream,
                         PlannerConfig config, boolean everyRelayMember) {
        Forest strict = plan.forest();
        List<RelayInfo> waiting = new ArrayList<>();
        if (!strict.isEmpty() && !everyRelayMember) {
            for (RelayInfo info : relays.values()) {
                if (!strict.contains(info.id()) && (!info.draining() || previous.contains(info.id()))) {
                    waiting.add(info);
                }
            }
        }
        if (waiting.isEmpty() && previous.relaxed().isEmpty() && base == previous) {
            return plan; // the common case: nothing relaxed before or now, the strict plan is the plan
        }
        waiting.sort(Comparator.comparing(RelayInfo::id));
        Forest forest = waiting.isEmpty() ? strict : new Placement(strict, previous, relays, stream, config).place(waiting);
        List<Move> moves = previous.movesTo(forest, stream.name());
        List<String> notes = new ArrayList<>(plan.notes());
        Relaxations relaxations = Relaxations.NONE;
        if (!forest.relaxed().isEmpty()) {
            relaxations = new InvariantChecker(config).check(relays, stream, forest).relaxations();
            notes.add(forest.relaxed().size() + " relay(s) placed by relaxing bounds rather than left without the stream: "
                    + relaxations.summary(20));
        }
        Set<String> tightened = new HashSet<>(previous.relaxed());
        tightened.removeAll(forest.relaxed());
        tightened.removeIf(id -> !forest.contains(id));
        if (!tightened.isEmpty()) {
            List<String> sorted = new ArrayList<>(tightened);
            sorted.sort(null);
            notes.add("placed within every bound again: " + String.join(", ", sorted.subList(0, Math.min(20, sorted.size())))
                    + (sorted.size() > 20 ? ", ..." : ""));
        }
        List<String> unplaced = new ArrayList<>();
        for (RelayInfo info : relays.values()) {
            if (!info.draining() && !forest.contains(info.id())) {
                unplaced.add(info.id());
            }
        }
        unplaced.sort(null);
        Plan.Status status = plan.status();
        if (!forest.relaxed().isEmpty() || !unplaced.isEmpty()) {
            status = Plan.Status.DEGRADED;
        } else if (status == Plan.Status.DEGRADED) {
            status = Plan.Status.RESHAPED; // the strict plan dropped relays; all are back within the bounds
        } else if (status == Plan.Status.OK && movedAny(moves, previous.relaxed(), forest)) {
            status = Plan.Status.RESHAPED; // relays moved for tightening, beyond what the event asks
        }
        return new Plan(forest, moves, status, unplaced, notes, relaxations);
    }

    private static boolean movedAny(List<Move> moves, Set<String> relaxedBefore, Forest now) {
        for (Move m : moves) {
            if (relaxedBefore.contains(m.child()) && now.contains(m.child()) && m.oldParent() != null) {
                return true;
            }
        }
        return false;
    }

    /** One completion: the strict forest's arrays plus the relaxed leaves. */
    private static final class Placement {
        private final Forest strict;
        private final Forest previous;
        private final StreamParams stream;
        private final int stripes;
        private final int n0;
        private final int root;
        private final boolean[] mayParent;
        private final int[] fanout;
        private final int[] ceiling;
        private final int[] total;
        private final int[][] rootKids;
        private final int[] rootShare;
        private final String[] zone;
        private final int[] bound;
        /** Per tree: members that may parent there, by depth then id. */
        private final int[][] byDepth;

        Placement(Forest strict, Forest previous, Map<String, RelayInfo> relays, StreamParams stream, PlannerConfig config) {
            this.strict = strict;
            this.previous = previous;
            this.stream = stream;
            this.stripes = strict.stripes();
            this.n0 = strict.size();
            this.root = strict.rootIndex();
            mayParent = new boolean[n0];
            fanout = new int[n0];
            ceiling = new int[n0];
            total = new int[n0];
            zone = new String[n0];
            for (int i = 0; i < n0; i++) {
                RelayInfo info = relays.get(strict.id(i));
                zone[i] = info == null ? "" : info.zone();
                total[i] = strict.childCount(strict.id(i));
                if (info != null) {
                    fanout[i] = Fanout.usable(info, stream, config);
                    ceiling[i] = Math.max(fanout[i], Fanout.ceiling(info, stream, config));
                    // Unknown (frozen) and draining members never get new children, relaxed or not.
                    mayParent[i] = !info.draining();
                }
            }
            mayParent[root] = true;
            rootKids = new int[stripes][];
            rootShare = new int[stripes];
            bound = new int[stripes];
            byDepth = new int[stripes][];
            for (int t = 0; t < stripes; t++) {
                rootShare[t] = Fanout.rootShare(fanout[root], stripes, t);
                rootKids[t] = new int[]{strict.childCount(t, root)};
                int[] depth = strict.depthArray(t);
                List<Integer> ok = new ArrayList<>();
                for (int i = 0; i < n0; i++) {
                    if (mayParent[i] && depth[i] >= 0) {
                        ok.add(i);
                    }
                }
                ok.sort(Comparator.<Integer>comparingInt(i -> depth[i]).thenComparing(i -> strict.id(i)));
                byDepth[t] = ok.stream().mapToInt(Integer::intValue).toArray();
            }
        }

        Forest place(List<RelayInfo> waiting) {
            int n = n0 + waiting.size();
            // Bounds as the checker computes them over the final member count (relaxed leaves designate nothing).
            for (int t = 0; t < stripes; t++) {
                int f = Integer.MAX_VALUE;
                for (int i = 0; i < n0; i++) {
                    if (i != root && strict.interiorIndex(i) == t) {
                        f = Math.min(f, Math.max(2, fanout[i]));
                    }
                }
                bound[t] = Fanout.depthBound(n, f == Integer.MAX_VALUE ? -1 : f);
            }
            String[] ids = new String[n];
            int[] interior = new int[n];
            int[][] parent = new int[stripes][n];
            for (int i = 0; i < n0; i++) {
                ids[i] = strict.id(i);
                interior[i] = strict.interiorIndex(i);
            }
            for (int t = 0; t < stripes; t++) {
                System.arraycopy(strict.parentArray(t), 0, parent[t], 0, n0);
            }
            Set<String> relaxed = new HashSet<>();
            for (int w = 0; w < waiting.size(); w++) {
                RelayInfo info = waiting.get(w);
                int u = n0 + w;
                ids[u] = info.id();
                interior[u] = NONE;
                boolean anyRelaxed = false;
                for (int t = 0; t < stripes; t++) {
                    int[] chosen = choose(t, info);
                    int p = chosen[0];
                    parent[t][u] = p;
                    if (p == root) {
                        rootKids[t][0]++;
                    }
                    total[p]++;
                    anyRelaxed |= chosen[1] > 0;
                }
                if (anyRelaxed) {
                    relaxed.add(info.id());
                }
            }
            return new Forest(stripes, ids, root, parent, interior, relaxed);
        }

        /** {parent, rung}: the first rung that offers a parent (see the class comment). */
        private int[] choose(int t, RelayInfo child) {
            int previousParent = strict.indexOf(previous.parent(t, child.id()) == null ? "" : previous.parent(t, child.id()));
            for (int rung = 0; rung <= 3; rung++) {
                int p = pick(t, rung, child.zone(), previousParent);
                if (p != NONE) {
                    return new int[]{p, rung};
                }
            }
            return new int[]{leastOverCommitted(t), 4};
        }

        private boolean fits(int t, int p, int rung, int[] depth) {
            if (p == root) {
                // Leaves take the ingest's headroom last (its uplink feeds every tree): only on rung 2 below.
                return rung <= 1 ? rootKids[t][0] < rootShare[t] && (rung == 1 || depth[p] + 1 <= bound[t])
                        : rung == 2 && total[p] < ceiling[p];
            }
            boolean designated = strict.interiorIndex(p) == t;
            return switch (rung) {
                case 0 -> designated && total[p] < fanout[p] && depth[p] + 1 <= bound[t];
                case 1 -> designated && total[p] < fanout[p];
                case 2 -> designated && total[p] < ceiling[p];
                default -> total[p] < ceiling[p];
            };
        }

        private int pick(int t, int rung, String childZone, int previousParent) {
            int[] depth = strict.depthArray(t);
            if (previousParent != NONE && mayParent[previousParent] && depth[previousParent] >= 0
                    && fits(t, previousParent, rung, depth)
                    && (rung > 1 || childZone.isEmpty() || childZone.equals(zone[previousParent])
                        || !sameZoneWithin(t, rung, childZone, depth[previousParent], depth))) {
                // Stay where it was when that relaxes no more than needed (no move), unless a parent of the
                // relay's own zone has room as shallow (invariant 6: no avoidable cross-zone edge). Beyond rung 1
                // no parent has room within its fanout, so no cross-zone edge is avoidable.
                return previousParent;
            }
            int found = NONE;
            for (int p : byDepth[t]) {
                if (found != NONE && depth[p] > depth[found]) {
                    break;
                }
                if (p == root && rung == 2) {
                    continue; // relays' headroom first; the root is tried below
                }
                if (!fits(t, p, rung, depth)) {
                    continue;
                }
                if (found == NONE) {
                    found = p;
                    if (childZone.isEmpty() || childZone.equals(zone[p])) {
                        return p;
                    }
                } else if (!childZone.isEmpty() && childZone.equals(zone[p])) {
                    return p; // same zone at the same depth
                }
            }
            if (found == NONE && rung == 2 && fits(t, root, rung, depth)) {
                return root;
            }
            return found;
        }

        private boolean sameZoneWithin(int t, int rung, String childZone, int maxDepth, int[] depth) {
            for (int p : byDepth[t]) {
                if (depth[p] > maxDepth) {
                    return false;
                }
                if (childZone.equals(zone[p]) && fits(t, p, rung, depth)) {
                    return true;
                }
            }
            return false;
        }

        /** Last resort: the reached relay whose uplink is least over-committed, the ingest only if alone. */
        private int leastOverCommitted(int t) {
            int[] depth = strict.depthArray(t);
            int best = NONE;
            for (int p : byDepth[t]) {
                if (p == root) {
                    continue;
                }
                if (best == NONE || over(p) < over(best) || (over(p) == over(best) && depth[p] < depth[best])) {
                    best = p;
                }
            }
            return best == NONE ? root : best;
        }

        /** Children beyond the uplink after one more, relative to it. */
        private double over(int p) {
            return (total[p] + 1.0) / Math.max(1, ceiling[p]);
        }
    }
}
