package io.stripecast.controller.forest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Checks DESIGN.md's forest invariants on any forest (the planner's, or one rebuilt from relay reports),
 * independently of how the planner works. Reused by the planner's tests, the lab and the topology API.
 *
 * <ol>
 *   <li>every member has exactly one parent in every stripe tree, the root none (the root is the
 *       stream's ingest);</li>
 *   <li>following parents from any member reaches the root (no cycle, nothing detached);</li>
 *   <li>a non-root relay has children in at most one stripe, and that is its designated interior stripe;</li>
 *   <li>a relay's children across all trees stay within its usable fanout ({@link Fanout}); the root's
 *       children in each tree within its share; a designated relay can feed at least 2;</li>
 *   <li>each tree's depth is at most {@code ceil(log_f |R|) + 1} ({@link Fanout#depthBound});</li>
 *   <li>zones: a cross-zone edge is <em>avoidable</em> when a parent in the child's zone, allowed to have
 *       children in that tree, not draining and with room, sits no deeper than the chosen parent. The
 *       planner never makes one: {@link #check(Snapshot, List)} reports such edges among a plan's moves as
 *       violations. On a forest alone ({@link #check(Snapshot)}) they are only counted per tree, because a
 *       death frees room that can make old edges avoidable and a repair must not move them;
 *       a {@link ForestEvent.Rebalance} moves them all.</li>
 * </ol>
 *
 * <h2>Relaxations (DESIGN.md, "Never go dark")</h2>
 * The planner may place a relay by relaxing invariant 5, 4 or 3 when the pool cannot hold it otherwise; it
 * declares such relays ({@link Forest#relaxed()}: leaves everywhere). What their placement breaks is reported
 * in {@link CheckResult#relaxations()}, not as a violation: a relay deeper than the bound
 * ({@link Relaxation#DEPTH}), under a parent over its fanout or the root over its share
 * ({@link Relaxation#FANOUT}), under a parent that forwards outside its interior stripe
 * ({@link Relaxation#INTERIOR_SHARED}). The same excess caused by any undeclared relay is a violation, and so
 * is a declared relay with children. Invariants 1 and 2 (one parent per tree, every relay reached, no cycle)
 * are never relaxed.
 */
public final class InvariantChecker {

    private final PlannerConfig config;

    public InvariantChecker(PlannerConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    public CheckResult check(Snapshot snapshot) {
        return check(snapshot.relays(), snapshot.stream(), snapshot.current(), List.of());
    }

    /** Checks the forest of {@code after}, and invariant 6 on the edges {@code moves} created. */
    public CheckResult check(Snapshot after, List<Move> moves) {
        return check(after.relays(), after.stream(), after.current(), moves);
    }

    public CheckResult check(Map<String, RelayInfo> relays, StreamParams stream, Forest forest) {
        return check(relays, stream, forest, List.of());
    }

    private CheckResult check(Map<String, RelayInfo> relays, StreamParams stream, Forest forest, List<Move> moves) {
        Found found = new Found();
        int n = forest.size();
        int stripes = stream.stripes();
        if (forest.isEmpty()) {
            return found.result(stream, 0, stripes, List.of());
        }
        if (forest.stripes() != stripes) {
            found.add(1, -1, null, "forest has " + forest.stripes() + " stripes but the stream has k+m=" + stripes);
            return found.result(stream, n, stripes, List.of());
        }
        int root = forest.rootIndex();
        if (!forest.id(root).equals(stream.rootRelayId())) {
            found.add(1, -1, forest.id(root), "root is " + forest.id(root) + " but the stream's ingest is "
                    + stream.rootRelayId());
        }

        boolean[] relaxed = new boolean[n];
        for (String id : forest.relaxed()) {
            int i = forest.indexOf(id);
            if (i != Forest.NONE && i != root) {
                relaxed[i] = true;
            }
        }

        // Per relay: what it may carry.
        int[] fanout = new int[n];
        boolean[] draining = new boolean[n];
        String[] zone = new String[n];
        for (int i = 0; i < n; i++) {
            RelayInfo info = relays.get(forest.id(i));
            if (info == null) {
                found.add(4, -1, forest.id(i), "relay " + forest.id(i) + " is in the forest but unknown: no uplink");
                zone[i] = "";
                continue;
            }
            fanout[i] = Fanout.usable(info, stream, config);
            draining[i] = info.draining();
            zone[i] = info.zone();
        }

        // Children per relay per stripe, and depths (computed here, not trusted from elsewhere).
        // Strict counts leave out the declared relaxed children: the bounds must hold on the rest.
        int[][] children = new int[stripes][n];
        int[][] strictChildren = new int[stripes][n];
        int[] total = new int[n];
        int[] strictTotal = new int[n];
        for (int t = 0; t < stripes; t++) {
            for (int i = 0; i < n; i++) {
                int p = forest.parentIndex(t, i);
                if (p != Forest.NONE) {
                    children[t][p]++;
                    total[p]++;
                    if (!relaxed[i]) {
                        strictChildren[t][p]++;
                        strictTotal[p]++;
                    }
                }
            }
        }
        int[][] depth = new int[stripes][];
        for (int t = 0; t < stripes; t++) {
            depth[t] = depths(forest, t, root, n);
        }

        // 1 and 2: parents and reachability.
        for (int t = 0; t < stripes; t++) {
            if (forest.parentIndex(t, root) != Forest.NONE) {
                found.add(1, t, forest.id(root), "stripe " + t + ": root " + forest.id(root) + " has a parent");
            }
            for (int i = 0; i < n; i++) {
                if (i == root) {
                    continue;
                }
                if (forest.parentIndex(t, i) == Forest.NONE) {
                    found.add(1, t, forest.id(i), "stripe " + t + ": relay " + forest.id(i) + " has no parent");
                } else if (depth[t][i] < 0) {
                    found.add(2, t, forest.id(i), "stripe " + t + ": relay " + forest.id(i)
                            + " does not reach the root (cycle or detached subtree)");
                }
            }
        }

        // 3: interior in at most one tree, the designated one.
        for (int i = 0; i < n; i++) {
            if (i == root) {
                continue;
            }
            if (relaxed[i] && total[i] > 0) {
                found.add(3, -1, forest.id(i), "relay " + forest.id(i) + " is placed by relaxation but has "
                        + total[i] + " children: relaxed relays are leaves");
            }
            List<Integer> interiorIn = new ArrayList<>();
            for (int t = 0; t < stripes; t++) {
                if (strictChildren[t][i] > 0) {
                    interiorIn.add(t);
                }
            }
            int designated = forest.interiorIndex(i);
            if (interiorIn.size() > 1) {
                found.add(3, -1, forest.id(i), "relay " + forest.id(i) + " has children in stripes " + interiorIn);
            } else if (interiorIn.size() == 1 && interiorIn.get(0) != designated) {
                found.add(3, interiorIn.get(0), forest.id(i), "relay " + forest.id(i) + " has children in stripe "
                        + interiorIn.get(0) + " but its interior stripe is " + designated);
            }
            if (designated < -1 || designated >= stripes) {
                found.add(3, -1, forest.id(i), "relay " + forest.id(i) + " has interior stripe " + designated
                        + " outside [0, " + stripes + ")");
            }
        }

        // 4: fanout.
        int rootFanout = fanout[root];
        for (int i = 0; i < n; i++) {
            if (i == root) {
                for (int t = 0; t < stripes; t++) {
                    int share = Fanout.rootShare(rootFanout, stripes, t);
                    if (strictChildren[t][i] > share) {
                        found.add(4, t, forest.id(i), "stripe " + t + ": root " + forest.id(i) + " has "
                                + strictChildren[t][i] + " children, its share is " + share + " of fanout " + rootFanout);
                    }
                }
                continue;
            }
            if (strictTotal[i] > fanout[i]) {
                found.add(4, -1, forest.id(i), "relay " + forest.id(i) + " has " + strictTotal[i]
                        + " children, its fanout allows " + fanout[i]);
            }
            int designated = forest.interiorIndex(i);
            if (designated >= 0 && fanout[i] < 2) {
                found.add(4, designated, forest.id(i), "relay " + forest.id(i) + " is designated interior in stripe "
                        + designated + " but its fanout is " + fanout[i]);
            }
        }

        // 5: depth bound; 6: zone figures.
        List<CheckResult.Tree> trees = new ArrayList<>();
        int[] bounds = new int[stripes];
        int[][] sameZoneRoom = new int[stripes][];
        Map<String, Integer> zoneIds = new HashMap<>();
        int[] zoneOf = new int[n];
        for (int i = 0; i < n; i++) {
            zoneOf[i] = zone[i].isEmpty() ? -1 : zoneIds.computeIfAbsent(zone[i], z -> zoneIds.size());
        }
        for (int t = 0; t < stripes; t++) {
            int f = Integer.MAX_VALUE;
            int designatedCount = 0;
            int interior = 0;
            for (int i = 0; i < n; i++) {
                if (i != root && forest.interiorIndex(i) == t) {
                    designatedCount++;
                    f = Math.min(f, Math.max(2, fanout[i]));
                }
                if (i != root && children[t][i] > 0) {
                    interior++;
                }
            }
            int treeFanout = designatedCount == 0 ? -1 : f;
            int bound = Fanout.depthBound(n, treeFanout);
            int maxDepth = 0;
            int strictDepth = 0;
            for (int i = 0; i < n; i++) {
                maxDepth = Math.max(maxDepth, depth[t][i]);
                if (!relaxed[i]) {
                    strictDepth = Math.max(strictDepth, depth[t][i]);
                }
            }
            bounds[t] = bound;
            if (strictDepth > bound) {
                found.add(5, t, null, "stripe " + t + ": depth " + strictDepth + " exceeds bound " + bound
                        + " (f=" + treeFanout + ", |R|=" + n + ")");
            }
            // Shallowest parent with room per zone: who could have taken a child of that zone.
            int[] room = new int[zoneIds.size()];
            Arrays.fill(room, Integer.MAX_VALUE);
            int share = Fanout.rootShare(rootFanout, stripes, t);
            for (int i = 0; i < n; i++) {
                if (zoneOf[i] < 0 || depth[t][i] < 0 || draining[i]) {
                    continue;
                }
                boolean hasRoom = i == root ? children[t][i] < share
                        : forest.interiorIndex(i) == t && fanout[i] >= 2 && total[i] < fanout[i];
                if (hasRoom) {
                    room[zoneOf[i]] = Math.min(room[zoneOf[i]], depth[t][i]);
                }
            }
            sameZoneRoom[t] = room;
            int cross = 0;
            int avoidable = 0;
            for (int i = 0; i < n; i++) {
                int p = forest.parentIndex(t, i);
                if (p == Forest.NONE || zoneOf[i] < 0 || zoneOf[p] == zoneOf[i] || depth[t][p] < 0) {
                    continue;
                }
                cross++;
                if (room[zoneOf[i]] <= depth[t][p]) {
                    avoidable++;
                }
            }
            trees.add(new CheckResult.Tree(t, maxDepth, bound, treeFanout, designatedCount, interior,
                    children[t][root], share, cross, avoidable));
        }

        for (Move mv : moves) {
            if (mv.newParent() == null || mv.stripe() < 0 || mv.stripe() >= stripes) {
                continue;
            }
            int c = forest.indexOf(mv.child());
            int p = forest.indexOf(mv.newParent());
            int t = mv.stripe();
            if (c == Forest.NONE || p == Forest.NONE || forest.parentIndex(t, c) != p) {
                found.add(6, t, mv.child(), "stripe " + t + ": move of " + mv.child() + " to " + mv.newParent()
                        + " is not in the forest");
                continue;
            }
            if (zoneOf[c] < 0 || zoneOf[p] == zoneOf[c] || depth[t][p] < 0) {
                continue;
            }
            int d = sameZoneRoom[t][zoneOf[c]];
            if (d <= depth[t][p]) {
                found.add(6, t, mv.child(), "stripe " + t + ": " + mv.child() + " (zone " + zone[c]
                        + ") was given parent " + mv.newParent() + " (zone " + zone[p] + ", depth " + depth[t][p]
                        + ") although a parent in its zone had room at depth " + d);
            }
        }
        return found.result(stream, n, stripes, trees,
                relaxations(forest, root, relaxed, fanout, children, total, depth, bounds, rootFanout));
    }

    /** What each declared relaxed relay's edges relax (see the class comment); their own excess is no violation. */
    private static Relaxations relaxations(Forest forest, int root, boolean[] relaxed, int[] fanout, int[][] children,
                                           int[] total, int[][] depth, int[] bounds, int rootFanout) {
        int stripes = forest.stripes();
        Map<Relaxation, java.util.Set<String>> by = new java.util.EnumMap<>(Relaxation.class);
        List<String> details = new ArrayList<>();
        for (int c = 0; c < relaxed.length; c++) {
            if (!relaxed[c]) {
                continue;
            }
            String id = forest.id(c);
            for (int t = 0; t < stripes; t++) {
                int p = forest.parentIndex(t, c);
                if (p == Forest.NONE || depth[t][c] < 0) {
                    continue; // invariants 1 and 2 say so
                }
                if (depth[t][c] > bounds[t]) {
                    note(by, details, Relaxation.DEPTH, id, "stripe " + t + ": " + id + " at depth " + depth[t][c]
                            + ", bound " + bounds[t]);
                }
                if (p == root) {
                    int share = Fanout.rootShare(rootFanout, stripes, t);
                    if (children[t][p] > share) {
                        note(by, details, Relaxation.FANOUT, id, "stripe " + t + ": " + id + " under the root, which has "
                                + children[t][p] + " children there, its share is " + share);
                    }
                    continue;
                }
                if (total[p] > fanout[p]) {
                    note(by, details, Relaxation.FANOUT, id, "stripe " + t + ": " + id + " under " + forest.id(p)
                            + ", which has " + total[p] + " children, its fanout allows " + fanout[p]);
                }
                if (forest.interiorIndex(p) != t) {
                    note(by, details, Relaxation.INTERIOR_SHARED, id, "stripe " + t + ": " + id + " under "
                            + forest.id(p) + ", whose interior stripe is " + forest.interiorIndex(p));
                }
            }
        }
        return by.isEmpty() ? Relaxations.NONE : Relaxations.of(by, details);
    }

    private static void note(Map<Relaxation, java.util.Set<String>> by, List<String> details, Relaxation r, String relay,
                             String detail) {
        by.computeIfAbsent(r, k -> new java.util.TreeSet<>()).add(relay);
        if (details.size() < Relaxations.MAX_DETAILS) {
            details.add(detail);
        }
    }

    private static int[] depths(Forest forest, int t, int root, int n) {
        int[] start = new int[n + 1];
        for (int i = 0; i < n; i++) {
            int p = forest.parentIndex(t, i);
            if (p != Forest.NONE) {
                start[p + 1]++;
            }
        }
        for (int i = 0; i < n; i++) {
            start[i + 1] += start[i];
        }
        int[] list = new int[start[n]];
        int[] fill = Arrays.copyOf(start, n);
        for (int i = 0; i < n; i++) {
            int p = forest.parentIndex(t, i);
            if (p != Forest.NONE) {
                list[fill[p]++] = i;
            }
        }
        int[] depth = new int[n];
        Arrays.fill(depth, -1);
        int[] queue = new int[n];
        int head = 0;
        int tail = 0;
        depth[root] = 0;
        queue[tail++] = root;
        while (head < tail) {
            int u = queue[head++];
            for (int k = start[u]; k < start[u + 1]; k++) {
                int c = list[k];
                if (depth[c] < 0 && c != root) {
                    depth[c] = depth[u] + 1;
                    queue[tail++] = c;
                }
            }
        }
        return depth;
    }

    private static final class Found {
        final List<CheckResult.Violation> listed = new ArrayList<>();
        int count;

        void add(int invariant, int stripe, String relay, String message) {
            count++;
            if (listed.size() < CheckResult.MAX_LISTED) {
                listed.add(new CheckResult.Violation(invariant, stripe, relay, message));
            }
        }

        CheckResult result(StreamParams stream, int relays, int stripes, List<CheckResult.Tree> trees) {
            return result(stream, relays, stripes, trees, Relaxations.NONE);
        }

        CheckResult result(StreamParams stream, int relays, int stripes, List<CheckResult.Tree> trees,
                           Relaxations relaxations) {
            List<CheckResult.Violation> sorted = new ArrayList<>(listed);
            sorted.sort((a, b) -> Integer.compare(a.invariant(), b.invariant()));
            return new CheckResult(stream.name(), relays, stripes, count == 0, count, sorted, trees, relaxations);
        }
    }
}
