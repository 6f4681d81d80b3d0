package io.stripecast.controller.forest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * One stream's stripe trees, immutable. Every member has, per stripe, a parent (the root has none), and
 * at most one <em>interior stripe</em>: the one tree where the planner lets it have children.
 *
 * <p>A forest may be broken (built from relay reports, say); {@link InvariantChecker} says how. The
 * planner only produces sound ones.
 */
public final class Forest {

    static final int NONE = -1;

    private final int stripes;
    private final String[] ids;
    private final Map<String, Integer> index;
    private final int root;
    private final int[][] parent;
    private final int[] interior;
    /** Members placed by relaxing a bound (leaves everywhere); see {@link #relaxed()}. */
    private final Set<String> relaxed;
    private volatile Derived derived;
    /**
     * Set for a forest the planner made: a version of its working store ({@link WorkingForest}), answered from
     * there point by point; the arrays above are then null until something asks for the whole forest
     * ({@link #arrays()}, O(members x stripes) once).
     */
    private final WorkingForest.Version version;
    private final int versionSize;
    private final String versionRoot;
    private volatile Forest arrays;

    /** Trusts and keeps its arrays: callers hand over fresh ones. */
    Forest(int stripes, String[] ids, int root, int[][] parent, int[] interior) {
        this(stripes, ids, root, parent, interior, Set.of());
    }

    Forest(int stripes, String[] ids, int root, int[][] parent, int[] interior, Set<String> relaxed) {
        this.version = null;
        this.versionSize = 0;
        this.versionRoot = null;
        this.stripes = stripes;
        this.relaxed = Set.copyOf(relaxed);
        this.ids = ids;
        this.root = root;
        this.parent = parent;
        this.interior = interior;
        this.index = new HashMap<>(Math.max(16, ids.length * 4 / 3 + 1));
        for (int i = 0; i < ids.length; i++) {
            index.put(ids[i], i);
        }
    }

    private Forest(WorkingForest.Version version, int stripes, String root) {
        this.version = version;
        this.versionSize = version.members;
        this.versionRoot = root;
        this.stripes = stripes;
        this.relaxed = Set.of();
        this.ids = null;
        this.index = null;
        this.root = NONE;
        this.parent = null;
        this.interior = null;
    }

    /** The forest at {@code version} of its store (non-empty, nothing relaxed). */
    static Forest versioned(WorkingForest.Version version, int stripes, String root) {
        return new Forest(version, stripes, root);
    }

    /** The store version behind this forest, or null for a forest held as arrays. */
    WorkingForest.Version version() {
        return version;
    }

    /** This forest as arrays: itself, or (for a store version) a copy made once. */
    private Forest arrays() {
        if (version == null) {
            return this;
        }
        Forest a = arrays;
        if (a == null) {
            synchronized (version.store) {
                a = arrays;
                if (a == null) {
                    version.store.reroot(version);
                    a = version.store.materialize();
                    arrays = a;
                }
            }
        }
        return a;
    }

    /**
     * The store positioned at this version for a point query, or null when the arrays answer it (already made,
     * or the way to the version is longer than making them). Call and use under the store's lock.
     */
    private WorkingForest at() {
        if (arrays != null) {
            return null;
        }
        WorkingForest s = version.store;
        if (!s.isCurrent(version) && !s.cheapTo(version)) {
            return null;
        }
        s.reroot(version);
        return s;
    }

    public static Forest empty(int stripes) {
        if (stripes < 1) {
            throw new IllegalArgumentException("stripes must be >= 1");
        }
        return new Forest(stripes, new String[0], NONE, new int[stripes][0], new int[0]);
    }

    /**
     * A forest from plain parent maps, e.g. as relays reported it.
     *
     * @param root             the root of every tree
     * @param parentsByStripe  per stripe, child id to parent id (the root absent)
     * @param interiorStripes  relay id to its interior stripe; {@code null} derives it: the stripe where the
     *                         relay has children if that is exactly one, else none
     */
    public static Forest of(String root, List<Map<String, String>> parentsByStripe,
                            Map<String, Integer> interiorStripes) {
        Objects.requireNonNull(root, "root");
        int stripes = parentsByStripe.size();
        if (stripes < 1) {
            throw new IllegalArgumentException("need at least one stripe");
        }
        TreeSet<String> others = new TreeSet<>();
        for (Map<String, String> parents : parentsByStripe) {
            parents.forEach((c, p) -> {
                others.add(Objects.requireNonNull(c));
                others.add(Objects.requireNonNull(p));
            });
        }
        if (interiorStripes != null) {
            others.addAll(interiorStripes.keySet());
        }
        others.remove(root);
        String[] ids = new String[others.size() + 1];
        ids[0] = root;
        int i = 1;
        for (String id : others) {
            ids[i++] = id;
        }
        Map<String, Integer> idx = new HashMap<>();
        for (int j = 0; j < ids.length; j++) {
            idx.put(ids[j], j);
        }
        int[][] parent = new int[stripes][ids.length];
        int[] childStripe = new int[ids.length];
        Arrays.fill(childStripe, NONE);
        for (int t = 0; t < stripes; t++) {
            Arrays.fill(parent[t], NONE);
            for (Map.Entry<String, String> e : parentsByStripe.get(t).entrySet()) {
                int c = idx.get(e.getKey());
                int p = idx.get(e.getValue());
                parent[t][c] = p;
                childStripe[p] = childStripe[p] == NONE || childStripe[p] == t ? t : -2;
            }
        }
        int[] interior = new int[ids.length];
        for (int j = 0; j < ids.length; j++) {
            if (j == 0) {
                interior[j] = NONE;
            } else if (interiorStripes != null) {
                interior[j] = interiorStripes.getOrDefault(ids[j], NONE);
            } else {
                interior[j] = Math.max(NONE, childStripe[j]);
            }
        }
        return new Forest(stripes, ids, 0, parent, interior);
    }

    public int stripes() {
        return stripes;
    }

    public boolean isEmpty() {
        return version == null && ids.length == 0;
    }

    /** Members, root included. */
    public int size() {
        return version != null ? versionSize : ids.length;
    }

    /** The root (ingest) of every tree, {@code null} when empty. */
    public String root() {
        if (version != null) {
            return versionRoot;
        }
        return root == NONE ? null : ids[root];
    }

    /** All members, root first when built by the planner. */
    public List<String> members() {
        if (version != null) {
            return arrays().members();
        }
        return Collections.unmodifiableList(Arrays.asList(ids));
    }

    public boolean contains(String relay) {
        if (version != null) {
            synchronized (version.store) {
                WorkingForest s = at();
                if (s != null) {
                    return s.containsId(relay);
                }
            }
            return arrays().contains(relay);
        }
        return index.containsKey(relay);
    }

    /**
     * Members the planner placed only by relaxing a bound (DESIGN.md, "Never go dark"): each is a leaf in every
     * tree, and {@link InvariantChecker} reports what its placement relaxes as relaxations, not violations. The
     * next plan takes them out first and places them again, strictly when capacity has returned. Empty for
     * a forest built from relay reports ({@link #of}).
     */
    public Set<String> relaxed() {
        return relaxed;
    }

    /**
     * This forest without {@code leaves} (members with no children anywhere; others are kept), the rest
     * untouched. Used to take relaxed relays out before planning strictly.
     */
    Forest withoutLeaves(Set<String> leaves) {
        if (isEmpty() || leaves.isEmpty()) {
            return this;
        }
        if (version != null) {
            return arrays().withoutLeaves(leaves);
        }
        int n = ids.length;
        int[] remap = new int[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            remap[i] = i != root && leaves.contains(ids[i]) && childCount(ids[i]) == 0 ? NONE : m++;
        }
        if (m == n) {
            return this;
        }
        String[] outIds = new String[m];
        int[] outInterior = new int[m];
        int[][] outParent = new int[stripes][m];
        java.util.HashSet<String> keep = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            int j = remap[i];
            if (j == NONE) {
                continue;
            }
            outIds[j] = ids[i];
            outInterior[j] = interior[i];
            for (int t = 0; t < stripes; t++) {
                int p = parent[t][i];
                outParent[t][j] = p == NONE ? NONE : remap[p];
            }
            if (relaxed.contains(ids[i])) {
                keep.add(ids[i]);
            }
        }
        return new Forest(stripes, outIds, remap[root], outParent, outInterior, keep);
    }

    /** The parent of {@code relay} in {@code stripe}; {@code null} for the root, non-members or a missing edge. */
    public String parent(int stripe, String relay) {
        if (version != null) {
            checkStripe(stripe);
            synchronized (version.store) {
                WorkingForest s = at();
                if (s != null) {
                    return s.parentId(stripe, relay);
                }
            }
            return arrays().parent(stripe, relay);
        }
        Integer i = index.get(relay);
        if (i == null) {
            return null;
        }
        int p = parent[checkStripe(stripe)][i];
        return p == NONE ? null : ids[p];
    }

    /** The children of {@code relay} in {@code stripe} (empty for non-members and leaves). */
    public List<String> children(int stripe, String relay) {
        if (version != null) {
            checkStripe(stripe);
            synchronized (version.store) {
                WorkingForest s = at();
                if (s != null) {
                    return s.childIds(stripe, relay);
                }
            }
            return arrays().children(stripe, relay);
        }
        Integer i = index.get(relay);
        if (i == null) {
            return List.of();
        }
        Derived d = derived();
        int t = checkStripe(stripe);
        int from = d.childStart[t][i];
        int to = d.childStart[t][i + 1];
        List<String> out = new ArrayList<>(to - from);
        for (int k = from; k < to; k++) {
            out.add(ids[d.childList[t][k]]);
        }
        return out;
    }

    /** Hops from the root in {@code stripe} (root 0); -1 when not a member or not reachable from the root. */
    public int depth(int stripe, String relay) {
        if (version != null) {
            checkStripe(stripe);
            synchronized (version.store) {
                WorkingForest s = at();
                if (s != null) {
                    return s.depthOf(stripe, relay);
                }
            }
            return arrays().depth(stripe, relay);
        }
        Integer i = index.get(relay);
        return i == null ? -1 : derived().depth[checkStripe(stripe)][i];
    }

    /** The deepest reachable member's depth in {@code stripe}; 0 for a lone root or an empty forest. */
    public int treeDepth(int stripe) {
        if (version != null) {
            checkStripe(stripe);
            synchronized (version.store) {
                WorkingForest s = at();
                if (s != null) {
                    return s.maxDepth(stripe);
                }
            }
            return arrays().treeDepth(stripe);
        }
        return derived().treeDepth[checkStripe(stripe)];
    }

    /** The one stripe where {@code relay} may have children, or -1 (leaf everywhere, the root, non-members). */
    public int interiorStripe(String relay) {
        if (version != null) {
            synchronized (version.store) {
                WorkingForest s = at();
                if (s != null) {
                    return s.interiorOf(relay);
                }
            }
            return arrays().interiorStripe(relay);
        }
        Integer i = index.get(relay);
        return i == null ? NONE : interior[i];
    }

    /** The children of {@code relay} summed over all stripes. */
    public int childCount(String relay) {
        if (version != null) {
            synchronized (version.store) {
                WorkingForest s = at();
                if (s != null) {
                    return s.childCountOf(relay);
                }
            }
            return arrays().childCount(relay);
        }
        Integer i = index.get(relay);
        if (i == null) {
            return 0;
        }
        Derived d = derived();
        int n = 0;
        for (int t = 0; t < stripes; t++) {
            n += d.childStart[t][i + 1] - d.childStart[t][i];
        }
        return n;
    }

    /** Child id to parent id in {@code stripe}, in member order; the root and parentless members are absent. */
    public Map<String, String> parents(int stripe) {
        if (version != null) {
            return arrays().parents(stripe);
        }
        int t = checkStripe(stripe);
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < ids.length; i++) {
            if (parent[t][i] != NONE) {
                out.put(ids[i], ids[parent[t][i]]);
            }
        }
        return out;
    }

    /** Every parent change from this forest to {@code next}, by stripe then child id (as a plan lists them). */
    public List<Move> movesTo(Forest next, String stream) {
        if (version != null || next.version != null) {
            return arrays().movesTo(next.arrays(), stream);
        }
        if (next.stripes != stripes) {
            throw new IllegalArgumentException("forests differ in stripes: " + stripes + " vs " + next.stripes);
        }
        List<Move> out = new ArrayList<>();
        for (int t = 0; t < stripes; t++) {
            Map<String, String> before = isEmpty() ? Map.of() : parents(t);
            Map<String, String> after = next.isEmpty() ? Map.of() : next.parents(t);
            TreeSet<String> children = new TreeSet<>(before.keySet());
            children.addAll(after.keySet());
            for (String c : children) {
                String b = before.get(c);
                String a = after.get(c);
                if (!Objects.equals(a, b)) {
                    out.add(new Move(stream, t, c, b, a));
                }
            }
        }
        return out;
    }

    @Override
    public String toString() {
        if (isEmpty()) {
            return "Forest[empty, " + stripes + " stripes]";
        }
        StringBuilder sb = new StringBuilder("Forest[root=").append(root()).append(", members=")
                .append(size()).append(", depths=");
        for (int t = 0; t < stripes; t++) {
            sb.append(t == 0 ? "" : ",").append(treeDepth(t));
        }
        return sb.append(']').toString();
    }

    // ---- package-private access for the planner and the checker ----

    int rootIndex() {
        if (version != null) {
            return arrays().rootIndex();
        }
        return root;
    }

    String id(int i) {
        if (version != null) {
            return arrays().id(i);
        }
        return ids[i];
    }

    int indexOf(String relay) {
        if (version != null) {
            return arrays().indexOf(relay);
        }
        Integer i = index.get(relay);
        return i == null ? NONE : i;
    }

    int parentIndex(int stripe, int i) {
        if (version != null) {
            return arrays().parentIndex(stripe, i);
        }
        return parent[stripe][i];
    }

    int interiorIndex(int i) {
        if (version != null) {
            return arrays().interiorIndex(i);
        }
        return interior[i];
    }

    int[] parentArray(int stripe) {
        if (version != null) {
            return arrays().parentArray(stripe);
        }
        return parent[stripe];
    }

    int[] depthArray(int stripe) {
        if (version != null) {
            return arrays().depthArray(stripe);
        }
        return derived().depth[stripe];
    }

    int childCount(int stripe, int i) {
        if (version != null) {
            return arrays().childCount(stripe, i);
        }
        Derived d = derived();
        return d.childStart[stripe][i + 1] - d.childStart[stripe][i];
    }

    private int checkStripe(int stripe) {
        if (stripe < 0 || stripe >= stripes) {
            throw new IndexOutOfBoundsException("stripe " + stripe + " not in [0, " + stripes + ")");
        }
        return stripe;
    }

    private Derived derived() {
        Derived d = derived;
        if (d == null) {
            synchronized (this) {
                d = derived;
                if (d == null) {
                    d = new Derived(this);
                    derived = d;
                }
            }
        }
        return d;
    }

    /** Children (compressed rows) and depths per stripe, computed once on first use. */
    private static final class Derived {
        final int[][] childStart;
        final int[][] childList;
        final int[][] depth;
        final int[] treeDepth;

        Derived(Forest f) {
            int n = f.ids.length;
            int s = f.stripes;
            childStart = new int[s][n + 1];
            childList = new int[s][];
            depth = new int[s][n];
            treeDepth = new int[s];
            for (int t = 0; t < s; t++) {
                int[] par = f.parent[t];
                int[] start = childStart[t];
                for (int i = 0; i < n; i++) {
                    if (par[i] != NONE) {
                        start[par[i] + 1]++;
                    }
                }
                for (int i = 0; i < n; i++) {
                    start[i + 1] += start[i];
                }
                int[] list = new int[start[n]];
                int[] fill = Arrays.copyOf(start, n);
                for (int i = 0; i < n; i++) {
                    if (par[i] != NONE) {
                        list[fill[par[i]]++] = i;
                    }
                }
                childList[t] = list;
                int[] dep = depth[t];
                Arrays.fill(dep, NONE);
                if (f.root == NONE) {
                    continue;
                }
                // Breadth-first from the root: members on a cycle or detached keep depth -1.
                int[] queue = new int[n];
                int head = 0;
                int tail = 0;
                queue[tail++] = f.root;
                dep[f.root] = 0;
                int max = 0;
                while (head < tail) {
                    int u = queue[head++];
                    for (int k = start[u]; k < start[u + 1]; k++) {
                        int c = list[k];
                        if (dep[c] == NONE && c != f.root) {
                            dep[c] = dep[u] + 1;
                            max = Math.max(max, dep[c]);
                            queue[tail++] = c;
                        }
                    }
                }
                treeDepth[t] = max;
            }
        }
    }
}
