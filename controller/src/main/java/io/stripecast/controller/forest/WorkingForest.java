package io.stripecast.controller.forest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The planner's working copy of one forest: index-based, mutable, with the indexes placement needs
 * (depths, room by depth and zone, leaves by depth) per tree. Every primitive change is journaled so a
 * failed attempt can be rolled back.
 *
 * <p><b>A store shared by the versions it planned.</b> Loading a forest costs O(relays x stripes); at 100,000
 * relays that was ~100 ms per event. So a working forest outlives its plan: the forest a plan returns is a
 * <em>version</em> of this store ({@link Version}), and the next plan from that forest continues on the same
 * arrays and indexes instead of loading a copy. Versions form a tree (every plan from a version makes a child)
 * and the store's state is exactly one of them, the current one; the others hold the way there (Baker's
 * "rerooting" of persistent arrays). An edge between two versions keeps both directions:
 * <ul>
 *   <li>a <em>trail</em> of every low-level write the plan made (array cell, list cell, bag slot, map entry)
 *       with the value it overwrote, undone newest first to go back, which restores the older state exactly,
 *       down to the order inside every index (so the same snapshot and event always give the same plan);</li>
 *   <li>the plan's <em>replay log</em>: every primitive change in order (rolled-back attempts included), which
 *       replayed on the older state gives the newer one exactly (and a new trail).</li>
 * </ul>
 * So a plan costs what it changes, plus the way from the store's current version to the one it plans from:
 * nothing in a chain of events (the controller), one undo when several events are planned from the same
 * forest (the benchmark). When that way is long (two lineages planned alternately), the forest is copied into
 * a new store instead. Access is synchronized on the store; one plan at a time per store.
 *
 * <p><b>Order is the contents' own.</b> Undo restores a version exactly, but a fresh load of the same forest
 * (the fallback above, a relaxed forest, a forest from reports) has no history, so nothing a plan reads may
 * depend on the order of past writes: child lists and the room and leaf bags are kept in slot order (the
 * forest's member order), and a parent from any zone is the lowest slot, not the first zone by number (zone
 * numbers follow the store's history). {@code StoreHistoryPropertyTest} compares plans on a continued store,
 * a fresh load and a store brought back from a later version.
 *
 * <p>Invariant 3 is built into the representation: a non-root relay's children live in one list, all
 * of them in its interior stripe ({@code role}).
 */
final class WorkingForest {

    static final int NONE = -1;
    static final int ZONE_UNKNOWN = 0;

    final StreamParams stream;
    final PlannerConfig config;
    final int stripes;

    // ---- relay table, one slot per relay ever seen in this store ----
    private final int cap;
    private int slots;
    final String[] ids;
    private final Map<String, Integer> index;
    private final Map<String, Integer> zoneIds = new HashMap<>();
    /** What each slot was described with ({@code null}: unknown to the registry). */
    private final RelayInfo[] info;
    final int[] fanout;
    final int[] zone;
    final boolean[] draining;
    final boolean[] member;
    final boolean[] known;
    int root = NONE;
    int memberCount;
    /** Members the relay map describes: when it equals the map's size, nobody in the map waits. */
    int knownMembers;
    /** Edges of the snapshot's forest that were missing or broke interior-disjointness (0 for sound input). */
    int brokenEdges;

    // ---- structure ----
    final int[][] parent;
    final int[] role;
    private final IntList[] kids;
    private final IntList[] rootKids;
    private final int[] rootShare;
    private final long[] capacity;
    private final int[][] designated;

    // ---- per-tree indexes, built lazily (and before any versioned plan starts) ----
    private final boolean[] ready;
    private final int[][] depth;
    private final IntList[] hist;
    private final SpareIndex[] spare;
    private final int[] spareTree;
    private final int[] spareDepth;
    private final int[] spareFree;
    private final boolean[] leavesReady;
    private final LeafIndex[] leaves;

    // ---- per-plan bookkeeping ----
    private final boolean[][] touched;
    private final int[][] before;
    private final IntList[] touchedList;
    private final IntList journal = new IntList();
    private final IntList stack = new IntList();

    // ---- versions ----
    private Version current;
    /** Low-level writes of the plan in progress, or null when nothing needs them. */
    private Trail trail;
    /** Primitive changes of the plan in progress (with the infos they name), or null. */
    private IntList replay;
    private List<RelayInfo> replayInfos;
    /** The relay map of the plan in progress (what the version it makes is described by). */
    private Map<String, RelayInfo> planRelays;
    private boolean inPlan;

    private static final int OP_ATTACH = 1;
    private static final int OP_DETACH = 2;
    private static final int OP_ROLE = 3;
    private static final int OP_ADD = 4;
    private static final int OP_REMOVE = 5;
    private static final int OP_DRAIN = 6;

    private static final int R_ATTACH = 1;
    private static final int R_DETACH = 2;
    private static final int R_ROLE = 3;
    private static final int R_ADD = 4;
    private static final int R_UNADD = 5;
    private static final int R_REMOVE = 6;
    private static final int R_UNREMOVE = 7;
    private static final int R_DRAIN = 8;
    private static final int R_DESCRIBE = 9;

    /** A fresh store loaded from {@code original} (O(relays x stripes)), with room for relays to come. */
    WorkingForest(Forest original, Map<String, RelayInfo> relays, StreamParams stream, PlannerConfig config) {
        this.stream = stream;
        this.config = config;
        this.stripes = stream.stripes();
        int n0 = original.size();
        int base = n0 + relays.size() + 2;
        // Slots are never reused within a store: leave room for joins (a full store is copied afresh).
        this.cap = base + Math.max(64, base / 4);
        ids = new String[cap];
        info = new RelayInfo[cap];
        index = new HashMap<>(Math.max(16, cap * 4 / 3 + 1));
        fanout = new int[cap];
        zone = new int[cap];
        draining = new boolean[cap];
        member = new boolean[cap];
        known = new boolean[cap];
        role = new int[cap];
        Arrays.fill(role, NONE);
        kids = new IntList[cap];
        parent = new int[stripes][];
        rootKids = new IntList[stripes];
        rootShare = new int[stripes];
        capacity = new long[stripes];
        designated = new int[stripes][config.maxFanout() + 1];
        ready = new boolean[stripes];
        depth = new int[stripes][];
        hist = new IntList[stripes];
        spare = new SpareIndex[stripes];
        spareTree = new int[cap];
        spareDepth = new int[cap];
        Arrays.fill(spareDepth, NONE);
        spareFree = new int[cap];
        leavesReady = new boolean[stripes];
        leaves = new LeafIndex[stripes];
        touched = new boolean[stripes][cap];
        before = new int[stripes][cap];
        touchedList = new IntList[stripes];
        zoneIds.put("", ZONE_UNKNOWN);
        for (int t = 0; t < stripes; t++) {
            parent[t] = new int[cap];
            Arrays.fill(parent[t], NONE);
            rootKids[t] = new IntList();
            touchedList[t] = new IntList();
        }
        if (original.isEmpty()) {
            return;
        }
        if (original.stripes() != stripes) {
            throw new IllegalArgumentException("forest has " + original.stripes() + " stripes, stream has " + stripes);
        }
        for (int i = 0; i < n0; i++) {
            ids[i] = original.id(i);
            index.put(ids[i], i);
            member[i] = true;
            role[i] = original.interiorIndex(i);
            describe(i, relays.get(ids[i]));
        }
        slots = n0;
        memberCount = n0;
        root = original.rootIndex();
        role[root] = NONE;
        for (int t = 0; t < stripes; t++) {
            System.arraycopy(original.parentArray(t), 0, parent[t], 0, n0);
            for (int i = 0; i < n0; i++) {
                int p = parent[t][i];
                if (i == root && p != NONE) {
                    touch(t, i);
                    parent[t][i] = NONE;
                    brokenEdges++;
                } else if (p == NONE) {
                    if (i != root) {
                        brokenEdges++;
                    }
                } else if (p == root) {
                    rootKids[t].add(i);
                } else if (role[p] == t) {
                    kidsOf(p).add(i);
                } else {
                    // Not interior-disjoint (a reported forest, say): the child is cut loose, to be re-placed.
                    touch(t, i);
                    parent[t][i] = NONE;
                    brokenEdges++;
                }
            }
        }
        for (int i = 0; i < n0; i++) {
            if (!known[i] && i != root) {
                // A member the registry no longer describes: freeze it (no room, no new children).
                fanout[i] = childCount(i);
            }
        }
        setRootShares();
        for (int i = 0; i < n0; i++) {
            if (role[i] != NONE) {
                countDesignated(i, role[i], +1);
            }
        }
    }

    /** Sets the description of slot {@code u} (loading only: not logged). */
    private void describe(int u, RelayInfo r) {
        info[u] = r;
        if (r == null) {
            known[u] = false;
            zone[u] = ZONE_UNKNOWN;
            return;
        }
        known[u] = true;
        if (member[u]) {
            knownMembers++;
        }
        fanout[u] = Fanout.usable(r, stream, config);
        zone[u] = zoneOf(r);
        draining[u] = r.draining();
    }

    private int zoneOf(RelayInfo r) {
        // Zone numbers are never taken back: a zone keeps its number across every version of this store.
        return zoneIds.computeIfAbsent(r.zone(), z -> zoneIds.size());
    }

    private void setRootShares() {
        int rf = root == NONE ? 0 : fanout[root];
        for (int t = 0; t < stripes; t++) {
            wi(rootShare, t, Fanout.rootShare(rf, stripes, t));
        }
    }

    // =====================================================================================
    // Plans on a shared store
    // =====================================================================================

    /**
     * A working forest positioned at {@code forest} for one plan over {@code relays}: the forest's own store when
     * it has one for the same stream parameters and config (and the way there is short), else a fresh load.
     * The caller holds the returned store's lock from here to {@link #toForest} or {@link #abort}.
     *
     * @param hints relays whose description may differ from what the forest was planned with (the event's)
     */
    static WorkingForest open(Forest forest, Map<String, RelayInfo> relaysBefore, Map<String, RelayInfo> relays,
                              StreamParams stream, PlannerConfig config, List<String> hints) {
        Version v = forest.version();
        if (v != null) {
            WorkingForest s = v.store;
            synchronized (s) {
                if (s.stream.equals(stream) && s.config.equals(config) && s.cheapTo(v)
                        && s.slots + (relays.size() - Math.min(relays.size(), v.members)) + 8 < s.cap) {
                    s.reroot(v);
                    s.begin(relays, relaysBefore, v.relays, hints);
                    return s;
                }
            }
        }
        return fresh(forest, relays, stream, config);
    }

    /** A fresh load of {@code forest} ready for one plan (its first plan records nothing: no version to return to). */
    static WorkingForest fresh(Forest forest, Map<String, RelayInfo> relays, StreamParams stream, PlannerConfig config) {
        WorkingForest s = new WorkingForest(forest, relays, stream, config);
        s.begin(relays, relays, relays, List.of());
        return s;
    }

    /** Starts a plan at the current version (or the fresh load): indexes complete, bookkeeping empty, relays synced. */
    private void begin(Map<String, RelayInfo> relays, Map<String, RelayInfo> relaysBefore,
                       Map<String, RelayInfo> describedBy, List<String> hints) {
        planRelays = relays;
        inPlan = true;
        if (root != NONE && current != null) {
            // Built now, at a version's exact state, so that trails never have to take a build back.
            for (int t = 0; t < stripes; t++) {
                ensureLeaves(t);
            }
        }
        journal.clear();
        if (current != null) {
            // A fresh load keeps what its loading touched (edges it cut); a later plan starts with nothing touched.
            for (int t = 0; t < stripes; t++) {
                IntList l = touchedList[t];
                for (int k = 0; k < l.size; k++) {
                    touched[t][l.get(k)] = false;
                }
                l.clear();
            }
            trail = new Trail();
            replay = new IntList();
            replayInfos = new ArrayList<>();
            brokenEdges = 0;
            sync(relays, relaysBefore, describedBy, hints);
        }
    }

    /** Makes every member's description the one {@code relays} gives (as a fresh load would). */
    private void sync(Map<String, RelayInfo> relays, Map<String, RelayInfo> relaysBefore,
                      Map<String, RelayInfo> describedBy, List<String> hints) {
        // The snapshot's relays are those the version was planned over: only the event's relays may differ.
        if (Snapshot.sameRelays(relaysBefore, describedBy)) {
            for (String id : hints) {
                int u = slotOf(id);
                if (u != NONE && member[u]) {
                    redescribe(u, relays.get(id));
                }
            }
            return;
        }
        for (int u = 0; u < slots; u++) {
            if (member[u]) {
                redescribe(u, relays.get(ids[u]));
            }
        }
    }

    private void redescribe(int u, RelayInfo r) {
        if (Objects.equals(r, info[u]) && (r != null || u == root || fanout[u] == childCount(u))) {
            return;
        }
        describeRaw(u, r);
    }

    /** Re-describes member {@code u} (logged): role capacity, room and the root's shares follow. */
    private void describeRaw(int u, RelayInfo r) {
        if (replay != null) {
            replayInfos.add(r);
            rec(R_DESCRIBE, u, replayInfos.size() - 1, 0);
        }
        if (role[u] != NONE) {
            countDesignated(u, role[u], -1);
        }
        if (spareDepth[u] != NONE) {
            // Out of the room index under its old zone; refreshRoom puts it back under the new one.
            spare[spareTree[u]].remove(u, spareDepth[u], zone[u], spareFree[u]);
            wi(spareDepth, u, NONE);
        }
        boolean wasKnown = known[u];
        wo(info, u, r);
        if (r == null) {
            wb(known, u, false);
            wi(zone, u, ZONE_UNKNOWN);
            wb(draining, u, false);
            wi(fanout, u, u == root ? 0 : childCount(u));
        } else {
            wb(known, u, true);
            wi(fanout, u, Fanout.usable(r, stream, config));
            wi(zone, u, zoneOf(r));
            wb(draining, u, r.draining());
        }
        if (member[u] && wasKnown != known[u]) {
            setScalar(S_KNOWN, knownMembers + (known[u] ? 1 : -1));
        }
        if (role[u] != NONE) {
            countDesignated(u, role[u], +1);
        }
        if (u == root) {
            setRootShares();
        }
        refreshRoom(u);
    }

    /** Ends the plan: the store's state becomes a new version, returned as a forest. */
    Forest toForest() {
        if (root == NONE || !member[root]) {
            abort();
            return Forest.empty(stripes);
        }
        inPlan = false;
        Version n = new Version(this, memberCount, planRelays);
        if (current != null) {
            Edge e = new Edge(replay.toArray(), replayInfos.toArray(new RelayInfo[0]), trail);
            current.link = n;
            current.edge = e;
            current.undo = true;
        }
        current = n;
        trail = null;
        replay = null;
        replayInfos = null;
        brokenEdges = 0;
        return Forest.versioned(n, stripes, ids[root]);
    }

    /** Ends the plan without a version: back to the version it started from (a fresh store is dropped). */
    void abort() {
        if (!inPlan) {
            return;
        }
        inPlan = false;
        if (trail != null) {
            undo(trail); // back to the version the plan started from (a fresh store's first plan has none)
        }
        trail = null;
        replay = null;
        replayInfos = null;
    }

    /** A version of this store: its state, or the way to it from its neighbour toward the current one. */
    static final class Version {
        final WorkingForest store;
        final int members;
        /** The relay map this version's descriptions come from. */
        Map<String, RelayInfo> relays;
        /** One step toward the store's current version; null for the current one. */
        Version link;
        Edge edge;
        /** To reach this from {@code link}: undo the edge's trail (true), or replay its log (false). */
        boolean undo;

        Version(WorkingForest store, int members, Map<String, RelayInfo> relays) {
            this.store = store;
            this.members = members;
            this.relays = relays;
        }
    }

    /** The change between two versions: the newer one's replay log, and (while it is the state's) its trail. */
    static final class Edge {
        final int[] ops;
        final RelayInfo[] infos;
        Trail trail;

        Edge(int[] ops, RelayInfo[] infos, Trail trail) {
            this.ops = ops;
            this.infos = infos;
            this.trail = trail;
        }
    }

    /**
     * Whether reaching {@code v} costs less than a fresh load would: trail entries (or replayed changes, ~4 writes
     * each) against ~4 writes per member and stripe. One plan's changes always pass (a repair high in a tree
     * relinks a large subtree); two lineages planned alternately from one forest grow apart until they fail.
     */
    boolean cheapTo(Version v) {
        long cost = 0;
        long limit = Math.max(20_000L, (long) memberCount * stripes * 4);
        for (Version x = v; x.link != null; x = x.link) {
            cost += x.undo ? x.edge.trail.size() : x.edge.ops.length * 4L;
            if (cost > limit) {
                return false;
            }
        }
        return true;
    }

    /** Moves the store's state to version {@code v}. */
    void reroot(Version v) {
        if (v.store != this) {
            throw new IllegalArgumentException("version of another store");
        }
        if (v == current) {
            return;
        }
        if (trail != null || replay != null) {
            throw new IllegalStateException("a plan is in progress on this store");
        }
        List<Version> path = new ArrayList<>();
        for (Version x = v; x != current; x = x.link) {
            if (x == null) {
                throw new IllegalStateException("version not connected to the store's current one");
            }
            path.add(x);
        }
        Version at = current;
        for (int i = path.size() - 1; i >= 0; i--) {
            Version x = path.get(i);
            Edge e = x.edge;
            if (x.undo) {
                undo(e.trail);
                e.trail = null;
                at.undo = false;
            } else {
                trail = new Trail();
                replay(e);
                e.trail = trail;
                trail = null;
                at.undo = true;
            }
            at.link = x;
            at.edge = e;
            x.link = null;
            x.edge = null;
            current = x;
            at = x;
        }
    }

    boolean isCurrent(Version v) {
        return current == v;
    }

    private void replay(Edge e) {
        int[] ops = e.ops;
        for (int k = 0; k < ops.length; k += 4) {
            int a = ops[k + 1];
            int b = ops[k + 2];
            int c = ops[k + 3];
            switch (ops[k]) {
                case R_ATTACH -> attachRaw(a, b, c);
                case R_DETACH -> detachRaw(a, b);
                case R_ROLE -> setRoleRaw(a, b);
                case R_ADD -> addRaw(e.infos[a]);
                case R_UNADD -> unadd(a);
                case R_REMOVE -> removeRaw(a);
                case R_UNREMOVE -> unremove(a);
                case R_DRAIN -> setDrainingRaw(a, b == 1);
                case R_DESCRIBE -> describeRaw(a, e.infos[b]);
                default -> throw new IllegalStateException("replay log corrupt");
            }
        }
    }

    private void rec(int op, int a, int b, int c) {
        replay.add(op);
        replay.add(a);
        replay.add(b);
        replay.add(c);
    }

    /** The forest at the current version as plain arrays (root first, then slot order). */
    Forest materialize() {
        return arraysForest();
    }

    // ---- point queries at the current version (for Forest) ----

    boolean containsId(String id) {
        int u = slotOf(id);
        return u != NONE && member[u];
    }

    String parentId(int t, String id) {
        int u = slotOf(id);
        if (u == NONE || !member[u]) {
            return null;
        }
        int p = parent[t][u];
        return p == NONE ? null : ids[p];
    }

    List<String> childIds(int t, String id) {
        int u = slotOf(id);
        if (u == NONE || !member[u]) {
            return List.of();
        }
        int[] ch = childrenIn(t, u).toArray();
        Arrays.sort(ch); // slot order: the order of the materialized forest
        List<String> out = new ArrayList<>(ch.length);
        for (int c : ch) {
            out.add(ids[c]);
        }
        return out;
    }

    int depthOf(int t, String id) {
        int u = slotOf(id);
        return u == NONE || !member[u] ? NONE : depth(t, u);
    }

    int interiorOf(String id) {
        int u = slotOf(id);
        return u == NONE || !member[u] ? NONE : role[u];
    }

    int childCountOf(String id) {
        int u = slotOf(id);
        return u == NONE || !member[u] ? 0 : childCount(u);
    }

    // =====================================================================================
    // Logged writes (the trail)
    // =====================================================================================

    private static final int S_SLOTS = 0;
    private static final int S_MEMBERS = 1;
    private static final int S_KNOWN = 2;

    private void wi(int[] a, int i, int v) {
        if (trail != null) {
            trail.push(Trail.INT, a, null, i, a[i], 0);
        }
        a[i] = v;
    }

    private void wb(boolean[] a, int i, boolean v) {
        if (trail != null) {
            trail.push(Trail.BOOL, a, null, i, a[i] ? 1 : 0, 0);
        }
        a[i] = v;
    }

    private void wl(long[] a, int i, long v) {
        if (trail != null) {
            trail.push(Trail.LONG, a, null, i, 0, a[i]);
        }
        a[i] = v;
    }

    private void wo(Object[] a, int i, Object v) {
        if (trail != null) {
            trail.push(Trail.OBJ, a, a[i], i, 0, 0);
        }
        a[i] = v;
    }

    /** Adds {@code v} in slot order (a child list's order is then its contents', whatever the history). */
    private void ladd(IntList l, int v) {
        int i = l.insertSorted(v);
        if (trail != null) {
            trail.push(Trail.LIST_ADD, l, null, i, 0, 0);
        }
    }

    private void lset(IntList l, int i, int v) {
        if (trail != null) {
            trail.push(Trail.LIST_SET, l, null, i, l.get(i), 0);
        }
        l.set(i, v);
    }

    private void lremove(IntList l, int v) {
        int i = l.removeValue(v);
        if (trail != null) {
            trail.push(Trail.LIST_REMOVE, l, null, i, v, 0);
        }
    }

    private void bagAdd(IntBag b, int v) {
        b.add(v);
        if (trail != null) {
            trail.push(Trail.BAG_ADD, b, null, v, 0, 0);
        }
    }

    private void bagRemove(IntBag b, int v) {
        b.remove(v);
        if (trail != null) {
            trail.push(Trail.BAG_REMOVE, b, null, v, 0, 0);
        }
    }

    private void mapPut(String key, Integer value) {
        Integer old = value == null ? index.remove(key) : index.put(key, value);
        if (trail != null) {
            trail.push(Trail.MAP, key, old, 0, 0, 0);
        }
    }

    private void setScalar(int which, int value) {
        int old = switch (which) {
            case S_SLOTS -> slots;
            case S_MEMBERS -> memberCount;
            default -> knownMembers;
        };
        if (trail != null) {
            trail.push(Trail.SCALAR, null, null, which, old, 0);
        }
        scalar(which, value);
    }

    private void scalar(int which, int value) {
        switch (which) {
            case S_SLOTS -> slots = value;
            case S_MEMBERS -> memberCount = value;
            default -> knownMembers = value;
        }
    }

    /** Takes back every write of {@code tr}, newest first: the state before them, exactly. */
    private void undo(Trail tr) {
        for (int e = tr.n - 1; e >= 0; e--) {
            Object r = tr.ref[e];
            int a = tr.a[e];
            int b = tr.b[e];
            switch (tr.kind[e]) {
                case Trail.INT -> ((int[]) r)[a] = b;
                case Trail.BOOL -> ((boolean[]) r)[a] = b == 1;
                case Trail.LONG -> ((long[]) r)[a] = tr.l[e];
                case Trail.OBJ -> ((Object[]) r)[a] = tr.old[e];
                case Trail.LIST_ADD -> ((IntList) r).removeAt(a);
                case Trail.LIST_SET -> ((IntList) r).set(a, b);
                case Trail.LIST_REMOVE -> ((IntList) r).insert(a, b);
                case Trail.BAG_ADD -> ((IntBag) r).remove(a);
                case Trail.BAG_REMOVE -> ((IntBag) r).add(a);
                case Trail.MAP -> {
                    Integer old = (Integer) tr.old[e];
                    if (old == null) {
                        index.remove((String) r);
                    } else {
                        index.put((String) r, old);
                    }
                }
                case Trail.SCALAR -> scalar(a, b);
                default -> throw new IllegalStateException("trail corrupt");
            }
        }
        tr.n = 0;
    }

    /** Low-level writes with the values they overwrote. */
    static final class Trail {
        static final int INT = 1;
        static final int BOOL = 2;
        static final int LONG = 3;
        static final int OBJ = 4;
        static final int LIST_ADD = 5;
        static final int LIST_SET = 6;
        static final int LIST_REMOVE = 7;
        static final int BAG_ADD = 8;
        static final int BAG_REMOVE = 9;
        static final int MAP = 10;
        static final int SCALAR = 11;

        int n;
        byte[] kind = new byte[64];
        Object[] ref = new Object[64];
        Object[] old = new Object[64];
        int[] a = new int[64];
        int[] b = new int[64];
        long[] l = new long[64];

        void push(int k, Object r, Object o, int x, int y, long z) {
            if (n == kind.length) {
                int c = n * 2;
                kind = Arrays.copyOf(kind, c);
                ref = Arrays.copyOf(ref, c);
                old = Arrays.copyOf(old, c);
                a = Arrays.copyOf(a, c);
                b = Arrays.copyOf(b, c);
                l = Arrays.copyOf(l, c);
            }
            kind[n] = (byte) k;
            ref[n] = r;
            old[n] = o;
            a[n] = x;
            b[n] = y;
            l[n] = z;
            n++;
        }

        int size() {
            return n;
        }
    }

    // =====================================================================================
    // Queries
    // =====================================================================================

    int slotOf(String id) {
        Integer i = index.get(id);
        return i == null ? NONE : i;
    }

    int slots() {
        return slots;
    }

    int childCount(int u) {
        if (u == root) {
            int n = 0;
            for (IntList l : rootKids) {
                n += l.size;
            }
            return n;
        }
        return kids[u] == null ? 0 : kids[u].size;
    }

    int rootChildren(int t) {
        return rootKids[t].size;
    }

    int rootShare(int t) {
        return rootShare[t];
    }

    boolean rootHasRoom(int t) {
        return rootKids[t].size < rootShare[t];
    }

    /** Children of {@code u} in tree {@code t}: a live view, do not keep. */
    IntList childrenIn(int t, int u) {
        if (u == root) {
            return rootKids[t];
        }
        return role[u] == t && kids[u] != null ? kids[u] : IntList.EMPTY;
    }

    /** Children of a non-root relay in its interior stripe. */
    IntList kids(int u) {
        return kids[u] == null ? IntList.EMPTY : kids[u];
    }

    private IntList kidsOf(int u) {
        if (kids[u] == null) {
            kids[u] = new IntList(); // an empty list is no change of state
        }
        return kids[u];
    }

    boolean attached(int t, int u) {
        return u == root || parent[t][u] != NONE;
    }

    /** May {@code u} become or stay designated interior: usable fanout and not leaving. */
    boolean capable(int u) {
        return u != root && member[u] && known[u] && fanout[u] >= 2 && !draining[u];
    }

    /** Sum of usable fanouts designated to {@code t} (draining excluded), plus the root's share. */
    long capacity(int t) {
        return capacity[t] + rootShare[t];
    }

    /** f of tree t: the smallest usable fanout among relays designated interior in t (at least 2), or -1. */
    int treeFanout(int t) {
        int[] c = designated[t];
        for (int v = 0; v < c.length; v++) {
            if (c[v] > 0) {
                return Math.max(2, v);
            }
        }
        return NONE;
    }

    private int treeFanoutWithout(int t, int u) {
        int[] c = designated[t];
        int fu = fanout[u];
        for (int v = 0; v < c.length; v++) {
            int n = c[v] - (v == fu ? 1 : 0);
            if (n > 0) {
                return Math.max(2, v);
            }
        }
        return NONE;
    }

    int bound(int t) {
        return Fanout.depthBound(memberCount, treeFanout(t));
    }

    /** The bound tree {@code t} would have if {@code u} became designated there. */
    int boundWith(int t, int u) {
        int f = treeFanout(t);
        int fu = Math.max(2, fanout[u]);
        return Fanout.depthBound(memberCount, f == NONE ? fu : Math.min(f, fu));
    }

    /** The bound tree {@code t} would have if {@code u} stopped being designated there. */
    int boundWithout(int t, int u) {
        return Fanout.depthBound(memberCount, treeFanoutWithout(t, u));
    }

    int depth(int t, int u) {
        ensureReady(t);
        return depth[t][u];
    }

    int maxDepth(int t) {
        ensureReady(t);
        IntList h = hist[t];
        for (int d = h.size - 1; d >= 0; d--) {
            if (h.get(d) > 0) {
                return d;
            }
        }
        return 0;
    }

    // =====================================================================================
    // Lazy per-tree indexes
    // =====================================================================================

    void ensureReady(int t) {
        if (ready[t]) {
            return;
        }
        ready[t] = true;
        depth[t] = new int[cap];
        Arrays.fill(depth[t], NONE);
        hist[t] = new IntList();
        spare[t] = new SpareIndex(this);
        if (root == NONE) {
            return;
        }
        Trail saved = trail;
        trail = null; // a build describes the state it starts from: nothing to take back
        depth[t][root] = 0;
        histAdd(t, 0, 1);
        linkChildren(t, root);
        trail = saved;
    }

    void ensureLeaves(int t) {
        ensureReady(t);
        if (leavesReady[t]) {
            return;
        }
        leavesReady[t] = true;
        leaves[t] = new LeafIndex(this, cap);
        Trail saved = trail;
        trail = null;
        for (int u = 0; u < slots; u++) {
            if (member[u] && u != root && role[u] != t && depth[t][u] != NONE) {
                leaves[t].add(u, depth[t][u]);
            }
        }
        trail = saved;
    }

    private void histAdd(int t, int d, int delta) {
        IntList h = hist[t];
        while (h.size <= d) {
            h.add(0); // growth by zeros changes nothing
        }
        lset(h, d, h.get(d) + delta);
    }

    /** Gives depths to the subtree below {@code top} (whose own depth is set) and indexes it. */
    private void linkChildren(int t, int top) {
        int[] dep = depth[t];
        stack.clear();
        stack.add(top);
        while (stack.size > 0) {
            int u = stack.pop();
            if (u != root) {
                refreshRoom(u);
                if (leavesReady[t] && role[u] != t) {
                    leaves[t].add(u, dep[u]);
                }
            }
            IntList ch = childrenIn(t, u);
            for (int k = 0; k < ch.size; k++) {
                int c = ch.get(k);
                wi(dep, c, dep[u] + 1);
                histAdd(t, dep[c], 1);
                stack.add(c);
            }
        }
    }

    /** Clears depths of the subtree of {@code top} (just cut off) and unindexes it; returns its height. */
    private int unlinkSubtree(int t, int top) {
        int[] dep = depth[t];
        int base = dep[top];
        int height = 0;
        stack.clear();
        stack.add(top);
        while (stack.size > 0) {
            int u = stack.pop();
            height = Math.max(height, dep[u] - base);
            histAdd(t, dep[u], -1);
            if (leavesReady[t] && role[u] != t) {
                leaves[t].remove(u);
            }
            IntList ch = childrenIn(t, u);
            for (int k = 0; k < ch.size; k++) {
                stack.add(ch.get(k));
            }
            wi(dep, u, NONE);
            refreshRoom(u);
        }
        return height;
    }

    /** Height of the subtree of {@code top} in {@code t} (0 for a leaf), whether attached or not. */
    int height(int t, int top) {
        int best = 0;
        IntList frontier = new IntList();
        IntList level = new IntList();
        level.add(top);
        int h = 0;
        while (level.size > 0) {
            best = h;
            frontier.clear();
            for (int k = 0; k < level.size; k++) {
                IntList ch = childrenIn(t, level.get(k));
                for (int j = 0; j < ch.size; j++) {
                    frontier.add(ch.get(j));
                }
            }
            IntList tmp = level;
            level = frontier;
            frontier = tmp;
            h++;
        }
        return best;
    }

    /** Puts {@code u} into, moves it within, or takes it out of its interior tree's room index. */
    private void refreshRoom(int u) {
        if (u == root) {
            return;
        }
        int t = role[u];
        boolean want = t != NONE && ready[t] && member[u] && known[u] && fanout[u] >= 2 && !draining[u]
                && childCount(u) < fanout[u] && depth[t][u] != NONE;
        int cur = spareDepth[u];
        if (cur != NONE) {
            if (want && spareTree[u] == t && cur == depth[t][u]) {
                int free = fanout[u] - childCount(u);
                spare[t].adjustFree(cur, free - spareFree[u]);
                wi(spareFree, u, free);
                return;
            }
            spare[spareTree[u]].remove(u, cur, zone[u], spareFree[u]);
            wi(spareDepth, u, NONE);
        }
        if (want) {
            int free = fanout[u] - childCount(u);
            spare[t].add(u, depth[t][u], zone[u], free);
            wi(spareTree, u, t);
            wi(spareDepth, u, depth[t][u]);
            wi(spareFree, u, free);
        }
    }

    /** Free child slots in {@code t} whose parent sits at depth <= maxParentDepth (root included). */
    long roomWithin(int t, int maxParentDepth) {
        ensureReady(t);
        if (maxParentDepth < 0) {
            return 0;
        }
        return Math.max(0, rootShare[t] - rootKids[t].size) + spare[t].freeWithin(maxParentDepth);
    }

    // =====================================================================================
    // Primitive changes (journaled)
    // =====================================================================================

    int mark() {
        return journal.size;
    }

    void rollback(int mark) {
        while (journal.size > mark) {
            int c = journal.pop();
            int b = journal.pop();
            int a = journal.pop();
            int op = journal.pop();
            switch (op) {
                case OP_ATTACH -> detachRaw(a, b);
                case OP_DETACH -> attachRaw(a, b, c);
                case OP_ROLE -> setRoleRaw(a, b);
                case OP_ADD -> unadd(a);
                case OP_REMOVE -> unremove(a);
                case OP_DRAIN -> setDrainingRaw(a, b == 1);
                default -> throw new IllegalStateException("journal corrupt");
            }
        }
    }

    private void log(int op, int a, int b, int c) {
        journal.add(op);
        journal.add(a);
        journal.add(b);
        journal.add(c);
    }

    /** Makes {@code p} the parent of the detached {@code c} in {@code t}. */
    void attach(int t, int c, int p) {
        attachRaw(t, c, p);
        log(OP_ATTACH, t, c, p);
    }

    /** Cuts {@code c} (with its subtree) from its parent in {@code t}; returns the old parent. */
    int detach(int t, int c) {
        int p = parent[t][c];
        detachRaw(t, c);
        log(OP_DETACH, t, c, p);
        return p;
    }

    private void attachRaw(int t, int c, int p) {
        if (parent[t][c] != NONE || c == root || !member[c] || !member[p]) {
            throw new IllegalStateException("cannot attach " + ids[c] + " under " + ids[p] + " in stripe " + t);
        }
        if (p != root && role[p] != t) {
            throw new IllegalStateException(ids[p] + " is not interior in stripe " + t);
        }
        if (replay != null) {
            rec(R_ATTACH, t, c, p);
        }
        touch(t, c);
        wi(parent[t], c, p);
        if (p == root) {
            ladd(rootKids[t], c);
        } else {
            ladd(kidsOf(p), c);
        }
        if (ready[t] && depth[t][p] != NONE) {
            wi(depth[t], c, depth[t][p] + 1);
            histAdd(t, depth[t][c], 1);
            linkChildren(t, c);
        }
        if (p != root) {
            refreeze(p);
            refreshRoom(p);
        }
    }

    /**
     * A member the registry does not describe is frozen at the children it has (no room, no new children); its
     * fanout follows its child count, as a fresh load would give it, so a store never has to re-read it.
     */
    private void refreeze(int u) {
        if (known[u] || u == root || fanout[u] == childCount(u)) {
            return;
        }
        if (role[u] != NONE) {
            countDesignated(u, role[u], -1);
        }
        wi(fanout, u, childCount(u));
        if (role[u] != NONE) {
            countDesignated(u, role[u], +1);
        }
    }

    private void detachRaw(int t, int c) {
        int p = parent[t][c];
        if (p == NONE) {
            throw new IllegalStateException(ids[c] + " has no parent in stripe " + t);
        }
        if (replay != null) {
            rec(R_DETACH, t, c, 0);
        }
        touch(t, c);
        if (p == root) {
            lremove(rootKids[t], c);
        } else {
            lremove(kids[p], c);
        }
        wi(parent[t], c, NONE);
        if (ready[t] && depth[t][c] != NONE) {
            unlinkSubtree(t, c);
        }
        if (p != root) {
            refreeze(p);
            refreshRoom(p);
        }
    }

    /** Remembers {@code c}'s parent in {@code t} before this plan first changes it. */
    private void touch(int t, int c) {
        if (!touched[t][c]) {
            touched[t][c] = true;
            before[t][c] = parent[t][c];
            touchedList[t].add(c);
        }
    }

    /** Designates {@code u} interior in {@code t} (or nowhere with -1); only while it has no children. */
    void setRole(int u, int t) {
        int old = role[u];
        if (old == t) {
            return;
        }
        setRoleRaw(u, t);
        log(OP_ROLE, u, old, 0);
    }

    private void setRoleRaw(int u, int t) {
        if (childCount(u) > 0) {
            throw new IllegalStateException(ids[u] + " has children: its interior stripe cannot change");
        }
        if (replay != null) {
            rec(R_ROLE, u, t, 0);
        }
        int old = role[u];
        if (old != NONE) {
            countDesignated(u, old, -1);
        }
        wi(role, u, t);
        if (t != NONE) {
            countDesignated(u, t, +1);
        }
        refreshRoom(u);
        if (old != NONE && leavesReady[old] && depth[old][u] != NONE) {
            leaves[old].add(u, depth[old][u]);
        }
        if (t != NONE && leavesReady[t] && depth[t][u] != NONE) {
            leaves[t].remove(u);
        }
    }

    private void countDesignated(int u, int t, int sign) {
        int f = Math.min(fanout[u], designated[t].length - 1);
        wi(designated[t], f, designated[t][f] + sign);
        if (!draining[u] && known[u]) {
            wl(capacity, t, capacity[t] + (long) sign * fanout[u]);
        }
    }

    /** Adds a relay to the forest (no edges yet); returns its slot. */
    int addMember(RelayInfo r) {
        int u = addRaw(r);
        log(OP_ADD, u, 0, 0);
        return u;
    }

    private int addRaw(RelayInfo r) {
        int u = slotOf(r.id());
        if (u != NONE) {
            throw new IllegalStateException(r.id() + " is already in the forest");
        }
        if (slots == cap) {
            throw new IllegalStateException("working forest full");
        }
        if (replay != null) {
            replayInfos.add(r);
            rec(R_ADD, replayInfos.size() - 1, 0, 0);
        }
        u = slots;
        setScalar(S_SLOTS, slots + 1);
        wo(ids, u, r.id());
        mapPut(r.id(), u);
        wo(info, u, r);
        wb(known, u, true);
        wi(fanout, u, Fanout.usable(r, stream, config));
        wi(zone, u, zoneOf(r));
        wb(draining, u, r.draining());
        wb(member, u, true);
        setScalar(S_MEMBERS, memberCount + 1);
        setScalar(S_KNOWN, knownMembers + 1);
        wi(role, u, NONE);
        return u;
    }

    private void unadd(int u) {
        if (replay != null) {
            rec(R_UNADD, u, 0, 0);
        }
        wb(member, u, false);
        setScalar(S_MEMBERS, memberCount - 1);
        if (known[u]) {
            setScalar(S_KNOWN, knownMembers - 1);
        }
        mapPut(ids[u], null);
    }

    /** Makes {@code u} the root (building a forest from nothing). */
    void setRoot(int u) {
        root = u;
        wi(role, u, NONE);
        setRootShares();
    }

    /** Takes a relay out of the forest; it must be detached everywhere, without children, and undesignated. */
    void removeMember(int u) {
        if (childCount(u) > 0 || role[u] != NONE) {
            throw new IllegalStateException(ids[u] + " still has children or a role");
        }
        for (int t = 0; t < stripes; t++) {
            if (parent[t][u] != NONE) {
                throw new IllegalStateException(ids[u] + " still attached in stripe " + t);
            }
        }
        removeRaw(u);
        log(OP_REMOVE, u, 0, 0);
    }

    private void removeRaw(int u) {
        if (replay != null) {
            rec(R_REMOVE, u, 0, 0);
        }
        wb(member, u, false);
        setScalar(S_MEMBERS, memberCount - 1);
        if (known[u]) {
            setScalar(S_KNOWN, knownMembers - 1);
        }
        mapPut(ids[u], null);
    }

    private void unremove(int u) {
        if (replay != null) {
            rec(R_UNREMOVE, u, 0, 0);
        }
        wb(member, u, true);
        setScalar(S_MEMBERS, memberCount + 1);
        if (known[u]) {
            setScalar(S_KNOWN, knownMembers + 1);
        }
        mapPut(ids[u], u);
    }

    void setDraining(int u, boolean value) {
        boolean old = draining[u];
        if (old == value) {
            return;
        }
        setDrainingRaw(u, value);
        log(OP_DRAIN, u, old ? 1 : 0, 0);
    }

    private void setDrainingRaw(int u, boolean value) {
        if (replay != null) {
            rec(R_DRAIN, u, value ? 1 : 0, 0);
        }
        if (role[u] != NONE) {
            countDesignated(u, role[u], -1);
        }
        wb(draining, u, value);
        if (role[u] != NONE) {
            countDesignated(u, role[u], +1);
        }
        refreshRoom(u);
    }

    // =====================================================================================
    // Finding room
    // =====================================================================================

    /** Shallowest depth <= maxDepth with a non-root parent that has room, or -1. */
    int shallowestRoom(int t, int maxDepth) {
        ensureReady(t);
        return spare[t].shallowest(maxDepth);
    }

    /** Shallowest depth <= maxDepth with a non-root parent in zone {@code z} that has room, or -1. */
    int shallowestRoomInZone(int t, int z, int maxDepth) {
        ensureReady(t);
        return spare[t].shallowestInZone(z, maxDepth);
    }

    /** A parent with room at depth {@code d}: from zone {@code z} if any, {@code preferred} if it qualifies. */
    int pickRoom(int t, int d, int z, int preferred) {
        return spare[t].pick(d, z, preferred, preferred != NONE && spareDepth[preferred] == d
                && spareTree[preferred] == t);
    }

    /** Shallowest leaf of {@code t} (a member not designated in t) at depth <= maxDepth, or -1. */
    int shallowestLeafDepth(int t, int maxDepth) {
        ensureLeaves(t);
        return leaves[t].shallowest(maxDepth);
    }

    IntBag leavesAt(int t, int d) {
        ensureLeaves(t);
        return leaves[t].at(d);
    }

    // =====================================================================================
    // Output
    // =====================================================================================

    /** Slots whose parent in {@code t} changed in this plan (possibly back to the original). */
    IntList touched(int t) {
        return touchedList[t];
    }

    /** The parent {@code u} had when this plan started, as a slot, or -1. */
    int originalParent(int t, int u) {
        return touched[t][u] ? before[t][u] : parent[t][u];
    }

    /** Members of the relay map that are not members here and not draining, by id (O(1) when there are none). */
    List<RelayInfo> waiting(Map<String, RelayInfo> relays, RelayInfo hint) {
        if (relays.size() == knownMembers) {
            return List.of();
        }
        if (hint != null && relays.size() == knownMembers + 1 && relays.get(hint.id()) == hint
                && !containsId(hint.id())) {
            return hint.draining() ? List.of() : List.of(hint);
        }
        List<RelayInfo> out = new ArrayList<>();
        for (RelayInfo r : relays.values()) {
            if (!r.draining() && !containsId(r.id())) {
                out.add(r);
            }
        }
        return out;
    }

    /** Every relay of the map is a member (so none waits, none is unplaced). */
    boolean everyRelayMember(Map<String, RelayInfo> relays) {
        return relays.size() == knownMembers;
    }

    private Forest arraysForest() {
        if (root == NONE || !member[root]) {
            return Forest.empty(stripes);
        }
        int[] remap = new int[slots];
        int n = 0;
        // Root first, then the others in slot order.
        remap[root] = n++;
        for (int u = 0; u < slots; u++) {
            if (u != root) {
                remap[u] = member[u] ? n++ : NONE;
            }
        }
        String[] outIds = new String[n];
        int[] outRole = new int[n];
        int[][] outParent = new int[stripes][n];
        for (int u = 0; u < slots; u++) {
            int i = remap[u];
            if (i == NONE || !member[u]) {
                continue;
            }
            outIds[i] = ids[u];
            outRole[i] = role[u];
            for (int t = 0; t < stripes; t++) {
                int p = parent[t][u];
                outParent[t][i] = p == NONE ? NONE : remap[p];
            }
        }
        return new Forest(stripes, outIds, 0, outParent, outRole);
    }

    /** Every parent change of this plan, by stripe then child id. */
    List<Move> moves() {
        List<Move> out = new ArrayList<>();
        for (int t = 0; t < stripes; t++) {
            IntList list = touchedList[t];
            int[] sorted = Arrays.copyOf(list.data, list.size);
            List<Move> stripeMoves = new ArrayList<>();
            for (int u : sorted) {
                int was = before[t][u];
                int after = member[u] ? parent[t][u] : NONE;
                String b = was == NONE ? null : ids[was];
                String a = after == NONE ? null : ids[after];
                if (!Objects.equals(a, b)) {
                    stripeMoves.add(new Move(stream.name(), t, ids[u], b, a));
                }
            }
            stripeMoves.sort((x, y) -> x.child().compareTo(y.child()));
            out.addAll(stripeMoves);
        }
        return out;
    }

    // =====================================================================================
    // Audit (tests): the maintained state against a recomputation from the plain arrays
    // =====================================================================================

    /**
     * Recomputes from the parent, role and description arrays what every incremental structure should hold
     * (member counts, the id index, child lists, designated counts and capacity, the root's shares, depths, the
     * depth histogram, the room index, the leaf index) and lists every difference; empty when consistent.
     */
    List<String> audit() {
        List<String> out = new ArrayList<>();
        int members = 0;
        int knownM = 0;
        for (int u = 0; u < slots; u++) {
            if (member[u]) {
                members++;
                knownM += known[u] ? 1 : 0;
                if (!Integer.valueOf(u).equals(index.get(ids[u]))) {
                    out.add("index of " + ids[u] + " is " + index.get(ids[u]) + ", not " + u);
                }
                if (!Objects.equals(info[u] == null ? null : info[u].id(), known[u] ? ids[u] : null)) {
                    out.add("description of " + ids[u] + " does not match known=" + known[u]);
                }
                if (!known[u] && u != root && fanout[u] != childCount(u)) {
                    out.add("unknown " + ids[u] + " has fanout " + fanout[u] + " but " + childCount(u) + " children");
                }
            }
        }
        if (members != memberCount || knownM != knownMembers || index.size() != members) {
            out.add("counts: members " + members + "/" + memberCount + ", known " + knownM + "/" + knownMembers
                    + ", index " + index.size());
        }
        long[] cap2 = new long[stripes];
        int[][] des2 = new int[stripes][designated[0].length];
        for (int u = 0; u < slots; u++) {
            if (role[u] != NONE) {
                if (!member[u] || u == root) {
                    out.add(ids[u] + " has role " + role[u] + " but is not a non-root member");
                    continue;
                }
                des2[role[u]][Math.min(fanout[u], des2[0].length - 1)]++;
                if (!draining[u] && known[u]) {
                    cap2[role[u]] += fanout[u];
                }
            }
        }
        for (int t = 0; t < stripes; t++) {
            if (cap2[t] != capacity[t] || !Arrays.equals(des2[t], designated[t])) {
                out.add("stripe " + t + ": designated/capacity differ from the roles");
            }
            int share = Fanout.rootShare(root == NONE ? 0 : fanout[root], stripes, t);
            if (share != rootShare[t]) {
                out.add("stripe " + t + ": root share " + rootShare[t] + ", expected " + share);
            }
            int listed = rootKids[t].size;
            for (int k = 0; k < rootKids[t].size; k++) {
                int c = rootKids[t].get(k);
                if (parent[t][c] != root) {
                    out.add("stripe " + t + ": root lists " + ids[c] + " whose parent is " + parent[t][c]);
                }
            }
            int parented = 0;
            for (int u = 0; u < slots; u++) {
                if (!member[u] || u == root) {
                    continue;
                }
                int p = parent[t][u];
                if (p != NONE) {
                    parented++;
                    if (!childrenIn(t, p).contains(u)) {
                        out.add("stripe " + t + ": " + ids[u] + " not in its parent's child list");
                    }
                }
                if (role[u] == t) {
                    listed += kids(u).size;
                }
            }
            if (parented != listed) {
                out.add("stripe " + t + ": " + parented + " parent links, " + listed + " listed children");
            }
            if (!ready[t] || root == NONE) {
                continue;
            }
            int[] dep = new int[slots];
            Arrays.fill(dep, NONE);
            dep[root] = 0;
            IntList queue = new IntList();
            queue.add(root);
            int[] histo = new int[slots + 2];
            histo[0] = 1;
            for (int h = 0; h < queue.size; h++) {
                int u = queue.get(h);
                IntList ch = childrenIn(t, u);
                for (int k = 0; k < ch.size; k++) {
                    int c = ch.get(k);
                    dep[c] = dep[u] + 1;
                    histo[dep[c]]++;
                    queue.add(c);
                }
            }
            for (int d = 0; d < histo.length; d++) {
                int have = d < hist[t].size ? hist[t].get(d) : 0;
                if (have != histo[d]) {
                    out.add("stripe " + t + ": histogram at depth " + d + " is " + have + ", expected " + histo[d]);
                }
            }
            int[] count = new int[slots + 2];
            long[] free = new long[slots + 2];
            for (int u = 0; u < slots; u++) {
                if (!member[u]) {
                    continue;
                }
                if (depth[t][u] != dep[u]) {
                    out.add("stripe " + t + ": depth of " + ids[u] + " is " + depth[t][u] + ", expected " + dep[u]);
                }
                if (u == root) {
                    continue;
                }
                boolean want = role[u] == t && known[u] && fanout[u] >= 2 && !draining[u]
                        && childCount(u) < fanout[u] && dep[u] != NONE;
                if (want) {
                    count[dep[u]]++;
                    free[dep[u]] += fanout[u] - childCount(u);
                    if (spareDepth[u] != dep[u] || spareTree[u] != t || spareFree[u] != fanout[u] - childCount(u)
                            || !spare[t].holds(u, dep[u], zone[u])) {
                        out.add("stripe " + t + ": " + ids[u] + " missing or stale in the room index");
                    }
                } else if (role[u] == t && spareDepth[u] != NONE) {
                    out.add("stripe " + t + ": " + ids[u] + " in the room index without room");
                }
                if (leavesReady[t]) {
                    boolean leaf = role[u] != t && dep[u] != NONE;
                    int at = leaves[t].depthOf(u);
                    boolean ok = leaf ? at == dep[u] && leaves[t].at(at).contains(u) : at == NONE;
                    if (!ok) {
                        out.add("stripe " + t + ": " + ids[u] + " wrong in the leaf index");
                    }
                }
            }
            for (int d = 1; d < count.length; d++) {
                if (count[d] != spare[t].count(d) || free[d] != spare[t].free(d)) {
                    out.add("stripe " + t + ": room index at depth " + d + " holds " + spare[t].count(d) + " parents / "
                            + spare[t].free(d) + " slots, expected " + count[d] + " / " + free[d]);
                }
            }
        }
        return out;
    }

    /** The store's state at {@code v}, for tests: the audit there. */
    static List<String> auditAt(Forest forest) {
        Version v = forest.version();
        if (v == null) {
            return List.of();
        }
        synchronized (v.store) {
            v.store.reroot(v);
            return v.store.audit();
        }
    }

    // =====================================================================================
    // Small int collections
    // =====================================================================================

    /** A growable int array. */
    static final class IntList {
        static final IntList EMPTY = new IntList(0);
        int[] data;
        int size;

        IntList() {
            this(4);
        }

        IntList(int capacity) {
            data = new int[capacity];
        }

        void add(int v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, Math.max(4, size * 2));
            }
            data[size++] = v;
        }

        int get(int i) {
            return data[i];
        }

        void set(int i, int v) {
            data[i] = v;
        }

        int pop() {
            return data[--size];
        }

        void clear() {
            size = 0;
        }

        /** Removes the first {@code v}, keeping the order of the rest; returns where it was. */
        int removeValue(int v) {
            for (int i = 0; i < size; i++) {
                if (data[i] == v) {
                    System.arraycopy(data, i + 1, data, i, size - i - 1);
                    size--;
                    return i;
                }
            }
            throw new IllegalStateException("value " + v + " not present");
        }

        /** Inserts {@code v} before the first larger item (a list kept sorted stays sorted); returns where. */
        int insertSorted(int v) {
            int i = size;
            while (i > 0 && data[i - 1] > v) {
                i--;
            }
            insert(i, v);
            return i;
        }

        /** Removes the item at {@code i}, keeping the order of the rest. */
        void removeAt(int i) {
            System.arraycopy(data, i + 1, data, i, size - i - 1);
            size--;
        }

        /** Puts {@code v} back at {@code i} (undoing {@link #removeValue}). */
        void insert(int i, int v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, Math.max(4, size * 2));
            }
            System.arraycopy(data, i, data, i + 1, size - i);
            data[i] = v;
            size++;
        }

        int[] toArray() {
            return Arrays.copyOf(data, size);
        }

        boolean contains(int v) {
            for (int i = 0; i < size; i++) {
                if (data[i] == v) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * A set of slots read in ascending order, so that what a query sees first depends on the set's contents only,
     * never on the order of the writes that made it: a fresh load, a store continued through many plans and one
     * brought back by undo then answer alike. A bitmap over slots with a summary bitmap of its non-empty words:
     * add, remove and contains are O(1), {@link #first}/{@link #after} skip 4,096 slots per summary bit. (A sorted
     * array shifted on every write cost O(size): at 100,000 relays a depth's leaf set holds ~80,000 slots, and a
     * repair's relinking made ~10x as slow.)
     */
    static final class IntBag {
        private static final long[] NO_WORDS = new long[0];
        private long[] words = NO_WORDS;
        private long[] summary = NO_WORDS;
        int size;

        void add(int v) {
            int w = v >>> 6;
            if (w >= words.length) {
                // Growth changes nothing a query sees.
                words = Arrays.copyOf(words, Math.max(w + 1, words.length * 2));
                summary = Arrays.copyOf(summary, (words.length + 63) >>> 6);
            }
            long bit = 1L << v;
            if ((words[w] & bit) != 0) {
                throw new IllegalStateException("value " + v + " already in bag");
            }
            words[w] |= bit;
            summary[w >>> 6] |= 1L << w;
            size++;
        }

        void remove(int v) {
            if (!contains(v)) {
                throw new IllegalStateException("value " + v + " not in bag");
            }
            int w = v >>> 6;
            words[w] &= ~(1L << v);
            if (words[w] == 0) {
                summary[w >>> 6] &= ~(1L << w);
            }
            size--;
        }

        boolean contains(int v) {
            int w = v >>> 6;
            return v >= 0 && w < words.length && (words[w] & (1L << v)) != 0;
        }

        /** The smallest item, or -1 when empty. */
        int first() {
            return after(-1);
        }

        /** The smallest item above {@code v}, or -1. */
        int after(int v) {
            int from = Math.max(0, v + 1);
            int w = from >>> 6;
            if (w >= words.length) {
                return NONE;
            }
            long m = words[w] & (-1L << from);
            if (m != 0) {
                return (w << 6) + Long.numberOfTrailingZeros(m);
            }
            int nw = w + 1;
            int s = nw >>> 6;
            if (s >= summary.length) {
                return NONE;
            }
            long sm = summary[s] & (-1L << nw);
            while (sm == 0) {
                if (++s == summary.length) {
                    return NONE;
                }
                sm = summary[s];
            }
            int found = (s << 6) + Long.numberOfTrailingZeros(sm);
            return (found << 6) + Long.numberOfTrailingZeros(words[found]);
        }
    }

    /** Non-root parents with room in one tree, by depth and zone, with the free slots per depth. */
    static final class SpareIndex {
        private final WorkingForest owner;
        private final List<List<IntBag>> byDepth = new ArrayList<>();
        private final IntList count = new IntList();
        private final IntList free = new IntList();

        SpareIndex(WorkingForest owner) {
            this.owner = owner;
        }

        private IntBag bag(int d, int z) {
            // Growth (empty bags, zero counts) changes nothing a query sees: not logged.
            while (byDepth.size() <= d) {
                byDepth.add(new ArrayList<>());
                count.add(0);
                free.add(0);
            }
            List<IntBag> zones = byDepth.get(d);
            while (zones.size() <= z) {
                zones.add(new IntBag());
            }
            return zones.get(z);
        }

        void add(int u, int d, int z, int slots) {
            owner.bagAdd(bag(d, z), u);
            owner.lset(count, d, count.get(d) + 1);
            owner.lset(free, d, free.get(d) + slots);
        }

        void remove(int u, int d, int z, int slots) {
            owner.bagRemove(bag(d, z), u);
            owner.lset(count, d, count.get(d) - 1);
            owner.lset(free, d, free.get(d) - slots);
        }

        void adjustFree(int d, int delta) {
            owner.lset(free, d, free.get(d) + delta);
        }

        int count(int d) {
            return d < count.size ? count.get(d) : 0;
        }

        int free(int d) {
            return d < free.size ? free.get(d) : 0;
        }

        boolean holds(int u, int d, int z) {
            return d < byDepth.size() && z < byDepth.get(d).size() && byDepth.get(d).get(z).contains(u);
        }

        long freeWithin(int maxDepth) {
            long n = 0;
            int lim = Math.min(maxDepth, free.size - 1);
            for (int d = 1; d <= lim; d++) {
                n += free.get(d);
            }
            return n;
        }

        int shallowest(int maxDepth) {
            int lim = Math.min(maxDepth, count.size - 1);
            for (int d = 1; d <= lim; d++) {
                if (count.get(d) > 0) {
                    return d;
                }
            }
            return NONE;
        }

        int shallowestInZone(int z, int maxDepth) {
            int lim = Math.min(maxDepth, count.size - 1);
            for (int d = 1; d <= lim; d++) {
                if (count.get(d) > 0) {
                    List<IntBag> zones = byDepth.get(d);
                    if (z < zones.size() && zones.get(z).size > 0) {
                        return d;
                    }
                }
            }
            return NONE;
        }

        int pick(int d, int z, int preferred, boolean preferredHere) {
            List<IntBag> zones = byDepth.get(d);
            if (z != ZONE_UNKNOWN && z < zones.size() && zones.get(z).size > 0) {
                IntBag b = zones.get(z);
                return preferredHere && b.contains(preferred) ? preferred : b.first();
            }
            if (preferredHere) {
                return preferred;
            }
            // The lowest slot of any zone: zone numbers follow the store's history, slots the forest's order.
            int best = NONE;
            for (IntBag b : zones) {
                int f = b.first();
                if (f != NONE && (best == NONE || f < best)) {
                    best = f;
                }
            }
            if (best != NONE) {
                return best;
            }
            throw new IllegalStateException("no room at depth " + d);
        }
    }

    /** Members that are leaves of one tree (not designated there), by depth. */
    static final class LeafIndex {
        private final WorkingForest owner;
        private final int[] at;
        private final List<IntBag> byDepth = new ArrayList<>();

        LeafIndex(WorkingForest owner, int cap) {
            this.owner = owner;
            at = new int[cap];
            Arrays.fill(at, NONE);
        }

        IntBag at(int d) {
            while (byDepth.size() <= d) {
                byDepth.add(new IntBag());
            }
            return byDepth.get(d);
        }

        int depthOf(int u) {
            return at[u];
        }

        void add(int u, int d) {
            if (at[u] != NONE) {
                owner.bagRemove(at(at[u]), u);
            }
            owner.bagAdd(at(d), u);
            owner.wi(at, u, d);
        }

        void remove(int u) {
            if (at[u] != NONE) {
                owner.bagRemove(at(at[u]), u);
                owner.wi(at, u, NONE);
            }
        }

        int shallowest(int maxDepth) {
            int lim = Math.min(maxDepth, byDepth.size() - 1);
            for (int d = 1; d <= lim; d++) {
                if (byDepth.get(d).size > 0) {
                    return d;
                }
            }
            return NONE;
        }
    }
}
