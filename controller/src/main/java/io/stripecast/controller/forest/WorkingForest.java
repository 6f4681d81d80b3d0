package io.stripecast.controller.forest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The planner's scratch copy of one forest: index-based, mutable, with the indexes placement needs
 * (depths, room by depth and zone, leaves by depth) built per tree on first use. Every primitive change
 * is journaled so a failed attempt can be rolled back. Used by one planning call on one thread.
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
    private final Forest original;

    // ---- relay table, one slot per relay ever seen in this plan ----
    private final int cap;
    private int slots;
    final String[] ids;
    private final Map<String, Integer> index;
    private final Map<String, Integer> zoneIds = new HashMap<>();
    final int[] fanout;
    final int[] zone;
    final boolean[] draining;
    final boolean[] member;
    final boolean[] known;
    int root = NONE;
    int memberCount;
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

    // ---- per-tree indexes, built lazily ----
    private final boolean[] ready;
    private final int[][] depth;
    private final IntList[] hist;
    private final SpareIndex[] spare;
    private final int[] sparePos;
    private final int[] spareTree;
    private final int[] spareDepth;
    private final int[] spareFree;
    private final boolean[] leavesReady;
    private final LeafIndex[] leaves;

    // ---- bookkeeping ----
    private final boolean[][] touched;
    private final IntList[] touchedList;
    private final IntList journal = new IntList();
    private final IntList stack = new IntList();

    private static final int OP_ATTACH = 1;
    private static final int OP_DETACH = 2;
    private static final int OP_ROLE = 3;
    private static final int OP_ADD = 4;
    private static final int OP_REMOVE = 5;
    private static final int OP_DRAIN = 6;

    WorkingForest(Forest original, Map<String, RelayInfo> relays, StreamParams stream, PlannerConfig config) {
        this.stream = stream;
        this.config = config;
        this.stripes = stream.stripes();
        this.original = original;
        int n0 = original.size();
        this.cap = n0 + relays.size() + 2;
        ids = new String[cap];
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
        sparePos = new int[cap];
        spareTree = new int[cap];
        spareDepth = new int[cap];
        Arrays.fill(spareDepth, NONE);
        spareFree = new int[cap];
        leavesReady = new boolean[stripes];
        leaves = new LeafIndex[stripes];
        touched = new boolean[stripes][cap];
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
                    parent[t][i] = NONE;
                    touch(t, i);
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
                    parent[t][i] = NONE;
                    touch(t, i);
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

    private void describe(int u, RelayInfo info) {
        if (info == null) {
            known[u] = false;
            zone[u] = ZONE_UNKNOWN;
            return;
        }
        known[u] = true;
        fanout[u] = Fanout.usable(info, stream, config);
        zone[u] = zoneIds.computeIfAbsent(info.zone(), z -> zoneIds.size());
        draining[u] = info.draining();
    }

    private void setRootShares() {
        int rf = root == NONE ? 0 : fanout[root];
        for (int t = 0; t < stripes; t++) {
            rootShare[t] = Fanout.rootShare(rf, stripes, t);
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
            kids[u] = new IntList();
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
        spare[t] = new SpareIndex(sparePos);
        if (root == NONE) {
            return;
        }
        depth[t][root] = 0;
        histAdd(t, 0, 1);
        linkChildren(t, root);
    }

    void ensureLeaves(int t) {
        ensureReady(t);
        if (leavesReady[t]) {
            return;
        }
        leavesReady[t] = true;
        leaves[t] = new LeafIndex(cap);
        for (int u = 0; u < slots; u++) {
            if (member[u] && u != root && role[u] != t && depth[t][u] != NONE) {
                leaves[t].add(u, depth[t][u]);
            }
        }
    }

    private void histAdd(int t, int d, int delta) {
        IntList h = hist[t];
        while (h.size <= d) {
            h.add(0);
        }
        h.set(d, h.get(d) + delta);
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
                dep[c] = dep[u] + 1;
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
            dep[u] = NONE;
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
                spareFree[u] = free;
                return;
            }
            spare[spareTree[u]].remove(u, cur, zone[u], spareFree[u]);
            spareDepth[u] = NONE;
        }
        if (want) {
            int free = fanout[u] - childCount(u);
            spare[t].add(u, depth[t][u], zone[u], free);
            spareTree[u] = t;
            spareDepth[u] = depth[t][u];
            spareFree[u] = free;
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
        parent[t][c] = p;
        if (p == root) {
            rootKids[t].add(c);
        } else {
            kidsOf(p).add(c);
        }
        touch(t, c);
        if (ready[t] && depth[t][p] != NONE) {
            depth[t][c] = depth[t][p] + 1;
            histAdd(t, depth[t][c], 1);
            linkChildren(t, c);
        }
        if (p != root) {
            refreshRoom(p);
        }
    }

    private void detachRaw(int t, int c) {
        int p = parent[t][c];
        if (p == NONE) {
            throw new IllegalStateException(ids[c] + " has no parent in stripe " + t);
        }
        if (p == root) {
            rootKids[t].removeValue(c);
        } else {
            kids[p].removeValue(c);
        }
        parent[t][c] = NONE;
        touch(t, c);
        if (ready[t] && depth[t][c] != NONE) {
            unlinkSubtree(t, c);
        }
        if (p != root) {
            refreshRoom(p);
        }
    }

    private void touch(int t, int c) {
        if (!touched[t][c]) {
            touched[t][c] = true;
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
        int old = role[u];
        if (old != NONE) {
            countDesignated(u, old, -1);
        }
        role[u] = t;
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
        designated[t][Math.min(fanout[u], designated[t].length - 1)] += sign;
        if (!draining[u] && known[u]) {
            capacity[t] += (long) sign * fanout[u];
        }
    }

    /** Adds a relay to the forest (no edges yet); returns its slot. */
    int addMember(RelayInfo info) {
        int u = slotOf(info.id());
        if (u == NONE) {
            u = slots++;
            ids[u] = info.id();
        }
        index.put(info.id(), u);
        describe(u, info);
        member[u] = true;
        memberCount++;
        role[u] = NONE;
        log(OP_ADD, u, 0, 0);
        return u;
    }

    private void unadd(int u) {
        member[u] = false;
        memberCount--;
        index.remove(ids[u]);
    }

    /** Makes {@code u} the root (building a forest from nothing). */
    void setRoot(int u) {
        root = u;
        role[u] = NONE;
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
        member[u] = false;
        memberCount--;
        index.remove(ids[u]);
        log(OP_REMOVE, u, 0, 0);
    }

    private void unremove(int u) {
        member[u] = true;
        memberCount++;
        index.put(ids[u], u);
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
        if (role[u] != NONE) {
            countDesignated(u, role[u], -1);
        }
        draining[u] = value;
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

    /** The parent {@code u} had in the snapshot's forest, as a slot, or -1. */
    int originalParent(int t, int u) {
        if (u >= original.size()) {
            return NONE;
        }
        return original.parentIndex(t, u);
    }

    Forest toForest() {
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

    /** Every parent change against the snapshot's forest, by stripe then child id. */
    List<Move> moves() {
        List<Move> out = new ArrayList<>();
        for (int t = 0; t < stripes; t++) {
            IntList list = touchedList[t];
            int[] sorted = Arrays.copyOf(list.data, list.size);
            List<Move> stripeMoves = new ArrayList<>();
            for (int u : sorted) {
                int before = originalParent(t, u);
                int after = member[u] ? parent[t][u] : NONE;
                String b = before == NONE ? null : original.id(before);
                String a = after == NONE ? null : ids[after];
                if (!java.util.Objects.equals(a, b)) {
                    stripeMoves.add(new Move(stream.name(), t, ids[u], b, a));
                }
            }
            stripeMoves.sort((x, y) -> x.child().compareTo(y.child()));
            out.addAll(stripeMoves);
        }
        return out;
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

        void removeValue(int v) {
            for (int i = 0; i < size; i++) {
                if (data[i] == v) {
                    System.arraycopy(data, i + 1, data, i, size - i - 1);
                    size--;
                    return;
                }
            }
            throw new IllegalStateException("value " + v + " not present");
        }

        int[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }

    /** An unordered int set with O(1) add/remove; positions live in an array shared by sibling bags. */
    static final class IntBag {
        private int[] items = new int[4];
        int size;
        private final int[] pos;

        IntBag(int[] pos) {
            this.pos = pos;
        }

        void add(int v) {
            if (size == items.length) {
                items = Arrays.copyOf(items, size * 2);
            }
            pos[v] = size;
            items[size++] = v;
        }

        void remove(int v) {
            int i = pos[v];
            if (i >= size || items[i] != v) {
                throw new IllegalStateException("value " + v + " not in bag");
            }
            int last = items[--size];
            items[i] = last;
            pos[last] = i;
        }

        boolean contains(int v) {
            int i = pos[v];
            return i < size && items[i] == v;
        }

        int get(int i) {
            return items[i];
        }
    }

    /** Non-root parents with room in one tree, by depth and zone, with the free slots per depth. */
    static final class SpareIndex {
        private final int[] pos;
        private final List<List<IntBag>> byDepth = new ArrayList<>();
        private final IntList count = new IntList();
        private final IntList free = new IntList();

        SpareIndex(int[] pos) {
            this.pos = pos;
        }

        private IntBag bag(int d, int z) {
            while (byDepth.size() <= d) {
                byDepth.add(new ArrayList<>());
                count.add(0);
                free.add(0);
            }
            List<IntBag> zones = byDepth.get(d);
            while (zones.size() <= z) {
                zones.add(new IntBag(pos));
            }
            return zones.get(z);
        }

        void add(int u, int d, int z, int slots) {
            bag(d, z).add(u);
            count.set(d, count.get(d) + 1);
            free.set(d, free.get(d) + slots);
        }

        void remove(int u, int d, int z, int slots) {
            bag(d, z).remove(u);
            count.set(d, count.get(d) - 1);
            free.set(d, free.get(d) - slots);
        }

        void adjustFree(int d, int delta) {
            free.set(d, free.get(d) + delta);
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
                return preferredHere && b.contains(preferred) ? preferred : b.get(0);
            }
            if (preferredHere) {
                return preferred;
            }
            for (IntBag b : zones) {
                if (b.size > 0) {
                    return b.get(0);
                }
            }
            throw new IllegalStateException("no room at depth " + d);
        }
    }

    /** Members that are leaves of one tree (not designated there), by depth. */
    static final class LeafIndex {
        private final int[] pos;
        private final int[] at;
        private final List<IntBag> byDepth = new ArrayList<>();

        LeafIndex(int cap) {
            pos = new int[cap];
            at = new int[cap];
            Arrays.fill(at, NONE);
        }

        IntBag at(int d) {
            while (byDepth.size() <= d) {
                byDepth.add(new IntBag(pos));
            }
            return byDepth.get(d);
        }

        void add(int u, int d) {
            if (at[u] != NONE) {
                at(at[u]).remove(u);
            }
            at(d).add(u);
            at[u] = d;
        }

        void remove(int u) {
            if (at[u] != NONE) {
                at(at[u]).remove(u);
                at[u] = NONE;
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
