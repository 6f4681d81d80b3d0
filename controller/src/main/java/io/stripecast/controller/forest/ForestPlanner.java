package io.stripecast.controller.forest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import static io.stripecast.controller.forest.WorkingForest.NONE;
import static io.stripecast.controller.forest.WorkingForest.ZONE_UNKNOWN;

/**
 * Plans a stream's stripe forest: {@code (snapshot, event) -> (forest, moves)}. A pure function: no I/O,
 * no clock, no threads, no randomness, no state between calls; the same input gives the same plan, and one
 * instance may serve many threads. The caller sends the moves (planning is per stream).
 *
 * <h2>Placement</h2>
 * <ul>
 *   <li><b>Roles.</b> A relay that may forward (usable fanout {@code >= 2}, not draining) is designated
 *       interior in one tree, the one with the fewest free slots within its depth bound (the one that
 *       needs it most), but only while that tree has less than one relay's worth ({@code maxFanout}) to
 *       spare. Otherwise it joins as a childless <em>standby</em>, a leaf everywhere: the pool repairs
 *       promote from without moving anyone.</li>
 *   <li><b>Designated relays</b> go as shallow as possible: the root's share first, then the shallowest
 *       parent with room, same zone preferred at that depth. A joining one takes the slot of a shallower
 *       leaf of its tree, which then hangs below it or elsewhere: interior capacity stays near the top.</li>
 *   <li><b>Leaves</b> go to the shallowest parent with room in their own zone, unless one in another
 *       zone is more than {@value #ZONE_SLACK} level shallower (or the zone's room sits right on the
 *       bound); they take the root's share last.</li>
 *   <li>Every placement keeps the tree within {@link Fanout#depthBound}, and no placement makes a cross-zone
 *       edge while a parent in the child's zone with room sits no deeper (invariant 6 as
 *       {@link InvariantChecker} checks it).</li>
 * </ul>
 *
 * <h2>Death, leave and drain of X</h2>
 * In one step, X's children in X's interior tree are cut off and re-attached with their subtrees: the
 * one with the most free room first (it takes X's freed slot, its siblings hang below it as deep as they
 * were), then the tallest. A dead X leaves every tree; a drained X stays as a leaf and gets no new child.
 * Nothing else moves. When room runs short, in this order:
 * <ol>
 *   <li>a childless capable relay (a standby, or an orphan) is designated in that tree: a role change,
 *       no edge moves; the plan is still {@link Plan.Status#OK};</li>
 *   <li>a drained X hands its own slot to its children and hangs below (X itself moves; still OK);</li>
 *   <li>an orphan that forwards in another tree hands its children there to another parent and takes
 *       over ({@link Plan.Status#RESHAPED}: a few more relays move, named in the notes);</li>
 *   <li>the tree is rebuilt ({@link Plan.Status#RESHAPED}); also when the bound shrank below the tree's depth
 *       because |R| fell or X was its weakest designated relay, unless a childless capable relay designated
 *       there puts the bound back at the tree's depth (a role change, no edge moves; still OK);</li>
 *   <li>relays that still fit nowhere within the bounds are placed by relaxing them, never left out
 *       (DESIGN.md, "Never go dark"; {@link RelaxedPlacement}): as leaves, deeper than the depth bound, then
 *       into their parents' fanout headroom, then under a relay interior in another tree
 *       ({@link Plan.Status#DEGRADED}, {@link Plan#relaxations()}, {@link Forest#relaxed()}). Every plan takes
 *       the relaxed relays out, plans strictly, and places them again, strictly once capacity is back.</li>
 * </ol>
 * The planner never returns a forest that breaks invariants 1-5 over its members, except the relaxations it
 * declares; invariants 1 and 2 (one parent per tree, every relay reached, no cycle) hold always.
 */
public final class ForestPlanner {

    /** Levels a leaf may go deeper to stay in its zone. */
    public static final int ZONE_SLACK = 1;

    private final PlannerConfig config;

    public ForestPlanner(PlannerConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    public PlannerConfig config() {
        return config;
    }

    public Plan plan(Snapshot snapshot, ForestEvent event) {
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(event, "event");
        StreamParams stream = snapshot.stream();
        Map<String, RelayInfo> relays = snapshot.relaysAfter(event);
        Forest current = snapshot.current();
        if (event instanceof ForestEvent.StreamStopped) {
            return stop(current, stream);
        }
        if (current.isEmpty()) {
            if (event instanceof ForestEvent.StreamStarted) {
                Plan built = new Run(WorkingForest.fresh(current, relays, stream, config), relays, null).build();
                return RelaxedPlacement.complete(built, current, current, relays, stream, config, false);
            }
            return new Plan(current, List.of(), Plan.Status.OK, List.of(),
                    List.of("stream " + stream.name() + " is not running: nothing to plan"));
        }
        if (!current.root().equals(stream.rootRelayId())) {
            throw new IllegalArgumentException("forest root " + current.root() + " is not the stream's ingest "
                    + stream.rootRelayId() + ": stop and restart the stream");
        }
        // Relaxed relays are leaves on top of a strict forest: plan strictly without them, then place them again
        // (strictly if there is room now: that is how the forest tightens when capacity returns).
        Forest strict = current.withoutLeaves(current.relaxed());
        // The strict forest's own working store when it has one (a plan costs what it changes), else a fresh load.
        WorkingForest wf = WorkingForest.open(strict, snapshot.relays(), relays, stream, config, hints(event));
        Plan incremental;
        boolean everyRelayMember;
        synchronized (wf) {
            Run run = new Run(wf, relays, event instanceof ForestEvent.RelayJoined j ? j.relay() : null);
            try {
                incremental = incremental(run, event);
            } catch (RuntimeException e) {
                wf.abort();
                throw e;
            }
            everyRelayMember = run.everyRelayMember;
        }
        Plan completed = RelaxedPlacement.complete(incremental, strict, current, relays, stream, config,
                everyRelayMember);
        return completed.forest().relaxed().isEmpty() && completed.unplaced().isEmpty() ? completed
                : reformed(current, incremental, relays, stream, completed);
    }

    /** Relays whose description an event may change: the only ones a store re-reads for that event. */
    private static List<String> hints(ForestEvent event) {
        if (event instanceof ForestEvent.RelayJoined j) {
            return List.of(j.relay().id());
        } else if (event instanceof ForestEvent.RelayDied d) {
            return List.of(d.relayId());
        } else if (event instanceof ForestEvent.RelayLeft l) {
            return List.of(l.relayId());
        } else if (event instanceof ForestEvent.RelayDraining d) {
            return List.of(d.relayId());
        }
        return List.of();
    }

    private Plan incremental(Run run, ForestEvent event) {
        if (event instanceof ForestEvent.StreamStarted || event instanceof ForestEvent.Rebalance
                || run.wf.brokenEdges > 0) {
            run.heal();
        }
        if (event instanceof ForestEvent.RelayJoined j) {
            return run.joined(j.relay());
        } else if (event instanceof ForestEvent.RelayDied d) {
            return run.gone(d.relayId(), "died");
        } else if (event instanceof ForestEvent.RelayLeft l) {
            return run.gone(l.relayId(), "left");
        } else if (event instanceof ForestEvent.RelayDraining d) {
            return run.draining(d.relayId());
        } else if (event instanceof ForestEvent.StreamStarted) {
            return run.adopt();
        } else if (event instanceof ForestEvent.Rebalance) {
            return run.rebalance();
        }
        throw new IllegalArgumentException("unknown event " + event);
    }

    /**
     * The incremental plan could place some relays only by relaxing bounds. Local repairs can paint themselves
     * into a corner that a forest built in one step avoids (a tight forest whose last slots hold leaves, or a
     * relay back from a false death). So the whole forest is re-formed over the same relays: once keeping
     * parents where the rules allow, and once from nothing as a new stream would get it (only while nobody
     * drains: a drainer must stay a member until its children moved); each candidate then places what it could
     * not hold strictly by relaxing, like the incremental plan. The candidate with the fewest relaxed relays
     * wins, then the one moving fewer links; the incremental plan stays unless a candidate relaxes fewer.
     * Re-forming moves many links (RESHAPED; no segment is lost, moved relays resume from the sequence they
     * lack), which an operator takes over a relay held with less resilience for as long as the pool stays as
     * it is. Tightening moves only the relaxed relays whenever the incremental plan can place them strictly
     * (a join or a Rebalance places waiting relays first); re-forming is the fallback.
     */
    private Plan reformed(Forest current, Plan strictIncremental, Map<String, RelayInfo> relays, StreamParams stream,
                          Plan incremental) {
        RelayInfo root = relays.get(stream.rootRelayId());
        if (root == null || root.draining() || incremental.forest().isEmpty()) {
            return incremental;
        }
        List<Plan> candidates = new ArrayList<>();
        candidates.add(new Run(WorkingForest.fresh(strictIncremental.forest(), relays, stream, config), relays, null)
                .reform());
        if (relays.values().stream().noneMatch(RelayInfo::draining)) {
            candidates.add(new Run(WorkingForest.fresh(Forest.empty(stream.stripes()), relays, stream, config), relays,
                    null).build());
        }
        Plan best = null;
        for (Plan strictCandidate : candidates) {
            Plan c = RelaxedPlacement.complete(strictCandidate, null, current, relays, stream, config, false);
            if (best == null || better(c, best)) {
                best = c;
            }
        }
        if (best.unplaced().size() > incremental.unplaced().size()
                || (best.unplaced().size() == incremental.unplaced().size()
                    && best.forest().relaxed().size() >= incremental.forest().relaxed().size())) {
            return incremental;
        }
        List<String> notes = new ArrayList<>(incremental.notes());
        notes.add("forest re-formed to place " + placedBy(incremental, best) + " within the bounds: "
                + best.moves().size() + " links changed");
        notes.addAll(best.notes());
        Plan.Status status = best.forest().relaxed().isEmpty() && best.unplaced().isEmpty()
                ? Plan.Status.RESHAPED : Plan.Status.DEGRADED;
        return new Plan(best.forest(), best.moves(), status, best.unplaced(), notes, best.relaxations());
    }

    /** Leaves fewer relays out; or as many and relaxes fewer; or as many and moves fewer links. */
    private static boolean better(Plan b, Plan a) {
        if (b.unplaced().size() != a.unplaced().size()) {
            return b.unplaced().size() < a.unplaced().size();
        }
        if (b.forest().relaxed().size() != a.forest().relaxed().size()) {
            return b.forest().relaxed().size() < a.forest().relaxed().size();
        }
        return b.moves().size() < a.moves().size();
    }

    private static List<String> placedBy(Plan incremental, Plan reformed) {
        List<String> placed = new ArrayList<>(incremental.forest().relaxed());
        placed.addAll(incremental.unplaced());
        placed.removeAll(reformed.forest().relaxed());
        placed.removeAll(reformed.unplaced());
        placed.sort(null);
        return placed;
    }

    private static Plan stop(Forest current, StreamParams stream) {
        List<Move> moves = new ArrayList<>();
        for (int t = 0; t < current.stripes() && !current.isEmpty(); t++) {
            for (Map.Entry<String, String> e : current.parents(t).entrySet()) {
                moves.add(new Move(stream.name(), t, e.getKey(), e.getValue(), null));
            }
        }
        moves.sort(Comparator.comparingInt(Move::stripe).thenComparing(Move::child));
        return new Plan(Forest.empty(stream.stripes()), moves, Plan.Status.OK, List.of(), List.of());
    }

    /** One planning call: the working forest and what happened to it. */
    private final class Run {
        private final WorkingForest wf;
        private final Map<String, RelayInfo> relays;
        /** The joining relay of a RelayJoined event (lets a join find who waits without a scan), or null. */
        private final RelayInfo joiner;
        /** Set by {@link #finish}: every relay of the map is a member of the new forest. */
        boolean everyRelayMember;
        private final List<String> notes = new ArrayList<>();
        private boolean reshaped;
        private boolean degraded;
        /** Relays being freed for another tree: promotions must not take them back. */
        private final Set<Integer> reserved = new java.util.HashSet<>();

        Run(WorkingForest wf, Map<String, RelayInfo> relays, RelayInfo joiner) {
            this.wf = wf;
            this.relays = relays;
            this.joiner = joiner;
        }

        // ---------------------------------------------------------------- events

        Plan build() {
            RelayInfo rootInfo = relays.get(wf.stream.rootRelayId());
            if (rootInfo == null || rootInfo.draining()) {
                degraded = true;
                notes.add("ingest " + wf.stream.rootRelayId() + " is not an available relay: no forest");
                return finish();
            }
            int r = wf.addMember(rootInfo);
            wf.setRoot(r);
            if (wf.fanout[r] < wf.stripes) {
                notes.add("ingest " + rootInfo.id() + " has fanout " + wf.fanout[r] + " < k+m=" + wf.stripes
                        + ": some stripes get no share of it");
            }
            List<RelayInfo> others = new ArrayList<>();
            for (RelayInfo info : relays.values()) {
                if (!info.draining() && !info.id().equals(rootInfo.id())) {
                    others.add(info);
                }
            }
            others.sort(Comparator.comparing(RelayInfo::id));
            List<Integer> slots = new ArrayList<>();
            for (RelayInfo info : others) {
                slots.add(wf.addMember(info));
            }
            // Strongest first, so that the trees' f stays high and capacity is spread evenly.
            slots.sort(Comparator.<Integer>comparingInt(u -> -wf.fanout[u]).thenComparing(u -> wf.ids[u]));
            for (int u : slots) {
                wf.setRole(u, chooseRole(u, false));
            }
            for (int t = 0; t < wf.stripes; t++) {
                drop(rebuildTree(t), "no room in stripe " + t + " while building");
            }
            settleBounds();
            return finish();
        }

        /**
         * Every tree cleared and rebuilt over all relays at once, roles assigned afresh as for a new forest
         * (strongest first, to the neediest tree); members keep their parent where the rules allow.
         */
        Plan reform() {
            for (int t = 0; t < wf.stripes; t++) {
                clearTree(t);
            }
            // By id, as build() does: the relay map's own order (Map.copyOf) changes from one JVM to the next, and
            // slots (the forest's member order, the order picks prefer) must not.
            List<RelayInfo> joining = new ArrayList<>();
            for (RelayInfo info : relays.values()) {
                int u = wf.slotOf(info.id());
                if (!info.draining() && (u == NONE || !wf.member[u])) {
                    joining.add(info);
                }
            }
            joining.sort(Comparator.comparing(RelayInfo::id));
            for (RelayInfo info : joining) {
                wf.addMember(info);
            }
            List<Integer> others = new ArrayList<>();
            for (int u = 0; u < wf.slots(); u++) {
                if (wf.member[u] && u != wf.root) {
                    wf.setRole(u, NONE);
                    others.add(u);
                }
            }
            others.sort(Comparator.<Integer>comparingInt(u -> -wf.fanout[u]).thenComparing(u -> wf.ids[u]));
            for (int u : others) {
                wf.setRole(u, chooseRole(u, false));
            }
            for (int t = 0; t < wf.stripes; t++) {
                drop(rebuildTree(t), "no room in stripe " + t + " even with the forest re-formed");
            }
            settleBounds();
            fixZones(false);
            return finish();
        }

        /** StreamStarted on a running forest (a new leader adopting it): fix only what is broken. */
        Plan adopt() {
            reconcileAll();
            settleBounds();
            placeWaiting();
            return finish();
        }

        Plan joined(RelayInfo info) {
            int u = wf.slotOf(info.id());
            if (u != NONE && wf.member[u]) {
                // Known member re-announcing itself (maybe with a new uplink): make it consistent.
                reconcile(u);
                settleBounds();
            }
            placeWaiting();
            return finish();
        }

        Plan gone(String id, String how) {
            int x = wf.slotOf(id);
            if (x == NONE || !wf.member[x]) {
                notes.add(id + " " + how + " but was not in the forest");
                return finish();
            }
            if (x == wf.root) {
                return rootLost(id, how);
            }
            evict(x, true, id + " " + how);
            return finish();
        }

        Plan draining(String id) {
            int x = wf.slotOf(id);
            if (x == NONE || !wf.member[x]) {
                notes.add(id + " drains but was not in the forest");
                return finish();
            }
            if (x == wf.root) {
                notes.add("ingest " + id + " cannot be drained: stop the stream to move its ingest");
                return finish();
            }
            evict(x, false, id + " drains");
            return finish();
        }

        Plan rebalance() {
            for (int u = 0; u < wf.slots(); u++) {
                if (wf.member[u] && u != wf.root && !wf.known[u]) {
                    evict(u, true, wf.ids[u] + " unknown to the registry");
                }
            }
            reconcileAll();
            settleBounds();
            placeWaiting();
            for (int t = 0; t < wf.stripes; t++) {
                pullUp(t);
            }
            fixZones(false);
            return finish();
        }

        /**
         * Re-attaches members that have no path to the root in some tree (missing parent, cycle, or cut
         * loose at load for breaking interior-disjointness): only needed for forests the planner did not
         * make, such as one rebuilt from relay reports.
         */
        void heal() {
            for (int t = 0; t < wf.stripes; t++) {
                List<Integer> lost = new ArrayList<>();
                for (int u = 0; u < wf.slots(); u++) {
                    if (wf.member[u] && u != wf.root && wf.depth(t, u) == NONE) {
                        lost.add(u);
                    }
                }
                if (lost.isEmpty()) {
                    continue;
                }
                // Cut every unreachable member loose (this also breaks cycles), then place them all.
                for (int u : lost) {
                    if (wf.parent[t][u] != NONE) {
                        wf.detach(t, u);
                    }
                }
                int[] orphans = lost.stream().mapToInt(Integer::intValue).toArray();
                reshaped = true;
                notes.add("stripe " + t + ": " + lost.size() + " relays did not reach the root and were re-placed");
                drop(placeOrphans(t, orphans), "no room in stripe " + t + " to re-place it");
            }
            settleBounds();
        }

        private Plan rootLost(String id, String how) {
            degraded = true;
            notes.add("ingest " + id + " " + how + ": the stream has no source; restart it with an ingest");
            for (int u = 0; u < wf.slots(); u++) {
                if (wf.member[u]) {
                    for (int t = 0; t < wf.stripes; t++) {
                        if (wf.parent[t][u] != NONE) {
                            wf.detach(t, u);
                        }
                    }
                }
            }
            Plan p = finish();
            List<String> unplaced = new ArrayList<>();
            for (RelayInfo info : relays.values()) {
                if (!info.draining()) {
                    unplaced.add(info.id());
                }
            }
            unplaced.sort(null);
            return new Plan(Forest.empty(wf.stripes), p.moves(), p.status(), unplaced, p.notes());
        }

        // ---------------------------------------------------------------- roles

        /**
         * The tree that needs {@code u} most, or -1 to keep it a childless standby (a leaf everywhere, the
         * pool repairs promote from). Building from nothing, need is capacity (root share plus designated
         * fanouts) over the members; in a running forest, the free slots within each tree's depth bound.
         * A relay is designated only while the neediest tree has less than one relay's worth
         * ({@code maxFanout}) to spare.
         */
        private int chooseRole(int u, boolean byRoom) {
            if (!wf.capable(u)) {
                return NONE;
            }
            int best = NONE;
            long bestSpare = Long.MAX_VALUE;
            long bestCap = Long.MAX_VALUE;
            for (int t = 0; t < wf.stripes; t++) {
                long c = wf.capacity(t);
                long spare = byRoom ? wf.roomWithin(t, wf.bound(t) - 1) : c - (wf.memberCount - 1L);
                if (spare < bestSpare || (spare == bestSpare && c < bestCap)) {
                    bestSpare = spare;
                    bestCap = c;
                    best = t;
                }
            }
            return bestSpare < config.maxFanout() ? best : NONE;
        }

        // ---------------------------------------------------------------- joins

        private void placeWaiting() {
            List<RelayInfo> waiting = new ArrayList<>(wf.waiting(relays, joiner));
            waiting.sort(Comparator.comparing(RelayInfo::id));
            int failuresInARow = 0;
            for (RelayInfo info : waiting) {
                if (failuresInARow >= 3) {
                    notes.add(info.id() + " has no position within the bounds: the forest is out of room");
                    degraded = true;
                    continue;
                }
                int mark = wf.mark();
                int u = wf.addMember(info);
                String why = join(u);
                if (why == null) {
                    failuresInARow = 0;
                } else {
                    wf.rollback(mark);
                    notes.add(info.id() + " has no position within the bounds: " + why);
                    degraded = true;
                    failuresInARow++;
                }
            }
        }

        /** Places the fresh member {@code u} in every tree; null on success, else why not (then roll back). */
        private String join(int u) {
            int role = chooseRole(u, true);
            wf.setRole(u, role);
            if (role != NONE && !placeDesignated(role, u, wf.bound(role) - 1, true)) {
                return "no room in stripe " + role + " within depth bound " + wf.bound(role);
            }
            for (int t = 0; t < wf.stripes; t++) {
                if (t == role) {
                    continue;
                }
                int slot = leafSlot(t, u, wf.bound(t) - 1, NONE);
                if (slot == NONE) {
                    slot = promote(t, u, 0);
                }
                if (slot == NONE) {
                    return "no room in stripe " + t + " within depth bound " + wf.bound(t);
                }
                wf.attach(t, u, slot);
            }
            return null;
        }

        /**
         * Places the detached designated {@code u} (no subtree) in its tree as shallow as possible, taking a
         * shallower leaf's slot when {@code displace} (the leaf then goes below it or elsewhere).
         */
        private boolean placeDesignated(int t, int u, int limit, boolean displace) {
            int slot = backboneSlot(t, u, limit, NONE);
            int slotParentDepth = slot == NONE ? Integer.MAX_VALUE : wf.depth(t, slot);
            if (displace && limit >= 1) {
                int dl = wf.shallowestLeafDepth(t, Math.min(limit, slotParentDepth));
                if (dl != NONE) {
                    int leaf = chooseLeafToDisplace(t, dl, wf.zone[u]);
                    int p = wf.detach(t, leaf);
                    wf.attach(t, u, p);
                    int s2 = leafSlot(t, leaf, wf.bound(t) - 1, NONE);
                    wf.attach(t, leaf, s2 == NONE ? u : s2);
                    return true;
                }
            }
            if (slot == NONE) {
                slot = promote(t, u, 0);
            }
            if (slot == NONE) {
                return false;
            }
            wf.attach(t, u, slot);
            return true;
        }

        private int chooseLeafToDisplace(int t, int d, int z) {
            WorkingForest.IntBag bag = wf.leavesAt(t, d);
            int first = bag.first();
            if (z == ZONE_UNKNOWN) {
                return first;
            }
            int l = first;
            for (int i = 0; i < 64 && l != NONE; i++, l = bag.after(l)) {
                if (wf.zone[wf.parent[t][l]] == z) {
                    return l;
                }
            }
            return first;
        }

        // ---------------------------------------------------------------- slots

        /** Designated relays: the root, else the shallowest room (same zone preferred at that depth). */
        private int backboneSlot(int t, int c, int limit, int preferred) {
            if (limit < 0) {
                return NONE;
            }
            if (wf.rootHasRoom(t)) {
                return wf.root;
            }
            int d = wf.shallowestRoom(t, limit);
            return d == NONE ? NONE : wf.pickRoom(t, d, wf.zone[c], preferred);
        }

        /** Leaves: own zone unless another is more than ZONE_SLACK shallower; the root's share last. */
        private int leafSlot(int t, int c, int limit, int preferred) {
            if (limit < 0) {
                return NONE;
            }
            int z = wf.zone[c];
            boolean rootOk = wf.rootHasRoom(t);
            int da = wf.shallowestRoom(t, limit);
            if (z != ZONE_UNKNOWN) {
                if (rootOk && wf.zone[wf.root] == z) {
                    return wf.root;
                }
                int dz = wf.shallowestRoomInZone(t, z, limit);
                // One level deeper for the zone, but not onto the bound itself: a tree kept one level above
                // its bound survives the bound shrinking when a member leaves.
                if (dz != NONE && (da == NONE || dz <= da || (dz <= da + ZONE_SLACK && dz < limit))) {
                    return wf.pickRoom(t, dz, z, preferred);
                }
            }
            if (da != NONE) {
                return wf.pickRoom(t, da, z, preferred);
            }
            return rootOk ? wf.root : NONE;
        }

        /**
         * No parent has room: make a childless capable relay of tree {@code t} interior there, shallowest
         * first, same zone preferred. It changes role, no edge moves; the child (with a subtree of height
         * {@code h}) must fit below it within the bound that role gives, and the relay's old tree must
         * stay within its own bound.
         */
        private int promote(int t, int c, int h) {
            int z = wf.zone[c];
            int deepest = Fanout.depthBound(wf.memberCount, 2) - 2 - h;
            for (int d = 1; d <= deepest; d++) {
                WorkingForest.IntBag bag = wf.leavesAt(t, d);
                int chosen = NONE;
                for (int q = bag.first(); q != NONE; q = bag.after(q)) {
                    if (q == c || !promotable(q, t) || d + 1 + h > wf.boundWith(t, q)) {
                        continue;
                    }
                    if (chosen == NONE || (z != ZONE_UNKNOWN && wf.zone[q] == z)) {
                        chosen = q;
                        if (z == ZONE_UNKNOWN || wf.zone[q] == z) {
                            break;
                        }
                    }
                }
                if (chosen != NONE) {
                    wf.setRole(chosen, t);
                    return chosen;
                }
            }
            return NONE;
        }

        /** May {@code q} become designated in {@code t} without moving an edge or breaking its old tree? */
        private boolean promotable(int q, int t) {
            if (!wf.capable(q) || wf.childCount(q) > 0 || wf.role[q] == t || reserved.contains(q)) {
                return false;
            }
            int old = wf.role[q];
            return old == NONE || wf.boundWithout(old, q) >= wf.maxDepth(old);
        }

        // ---------------------------------------------------------------- repairs

        /**
         * Moves {@code x}'s children away in one step; then removes {@code x} from the forest
         * ({@code remove}) or keeps it as a draining leaf everywhere.
         */
        private void evict(int x, boolean remove, String why) {
            int t = wf.role[x];
            int[] boundsBefore = bounds();
            int[] orphans = t == NONE ? new int[0] : wf.kids(x).toArray();
            for (int o : orphans) {
                wf.detach(t, o);
            }
            if (remove) {
                for (int s = 0; s < wf.stripes; s++) {
                    if (wf.parent[s][x] != NONE) {
                        wf.detach(s, x);
                    }
                }
                wf.setRole(x, NONE);
                wf.removeMember(x);
            } else {
                wf.setDraining(x, true);
                wf.setRole(x, NONE);
            }
            Set<Integer> rebuild = new LinkedHashSet<>();
            for (int s = 0; s < wf.stripes; s++) {
                if (wf.bound(s) < boundsBefore[s] && wf.maxDepth(s) > wf.bound(s) && !keepBound(s)) {
                    notes.add(why + ": stripe " + s + "'s depth bound fell to " + wf.bound(s)
                            + " below its depth " + wf.maxDepth(s));
                    rebuild.add(s);
                }
            }
            if (t != NONE && !rebuild.contains(t)) {
                int mark = wf.mark();
                // A drainer first tries the cheaper fix below before other relays' children move.
                List<Integer> failed = placeOrphans(t, orphans, remove);
                if (!failed.isEmpty() && !remove && wf.parent[t][x] != NONE) {
                    // The drainer still holds its slot; give it to its children and hang it lower.
                    wf.rollback(mark);
                    int oldParent = wf.detach(t, x);
                    failed = placeOrphans(t, orphans, true);
                    if (failed.isEmpty()) {
                        int slot = leafSlot(t, x, wf.bound(t) - 1, NONE);
                        if (slot == NONE) {
                            slot = promote(t, x, 0);
                        }
                        if (slot == NONE) {
                            failed = List.of(x);
                        } else {
                            wf.attach(t, x, slot);
                            notes.add(why + ": it left its slot under " + wf.ids[oldParent] + " in stripe " + t
                                    + " to its children");
                        }
                    }
                }
                if (!failed.isEmpty()) {
                    notes.add(why + ": " + failed.size() + " of its children in stripe " + t
                            + " found no room within depth bound " + wf.bound(t));
                    rebuild.add(t);
                }
            }
            for (int s : rebuild) {
                reshaped = true;
                notes.add("stripe " + s + " rebuilt");
                drop(rebuildTree(s), "no room in stripe " + s + " after " + why);
            }
        }

        /**
         * Tree {@code s}'s depth bound fell below its depth (its weakest designated relay left, or |R| fell past a
         * power of f): designates a childless capable relay whose fanout puts the bound back at the tree's depth,
         * so that the tree stays as it is (a role change, no edge moves) instead of being rebuilt. Of those that
         * do, the strongest (the bound loosens least), then the lowest slot. False when none qualifies.
         */
        private boolean keepBound(int s) {
            int depth = wf.maxDepth(s);
            int f = wf.treeFanout(s);
            int best = NONE;
            for (int q = 0; q < wf.slots(); q++) {
                if (!wf.member[q] || (best != NONE && wf.fanout[q] <= wf.fanout[best]) || !promotable(q, s)) {
                    continue;
                }
                int fq = Math.max(2, wf.fanout[q]);
                if (Fanout.depthBound(wf.memberCount, f == NONE ? fq : Math.min(f, fq)) >= depth) {
                    best = q;
                }
            }
            if (best == NONE) {
                return false;
            }
            wf.setRole(best, s);
            notes.add(wf.ids[best] + " designated in stripe " + s + " to keep its depth bound at " + wf.bound(s));
            return true;
        }

        private int[] bounds() {
            int[] b = new int[wf.stripes];
            for (int s = 0; s < wf.stripes; s++) {
                b[s] = wf.bound(s);
            }
            return b;
        }

        /**
         * Re-attaches detached subtrees in {@code t}. If some find no room, childless capable orphans are
         * designated in {@code t} (strongest first, one more per attempt): placed first, one takes the
         * freed slot and its siblings hang below it, as deep as they were. Returns those still without room.
         */
        private List<Integer> placeOrphans(int t, int[] orphans) {
            return placeOrphans(t, orphans, true);
        }

        private List<Integer> placeOrphans(int t, int[] orphans, boolean mayFree) {
            int mark = wf.mark();
            List<Integer> failed = tryPlaceOrphans(t, orphans);
            if (failed.isEmpty()) {
                return failed;
            }
            List<Integer> candidates = new ArrayList<>();
            for (int o : orphans) {
                if (promotable(o, t)) {
                    candidates.add(o);
                }
            }
            candidates.sort(Comparator.<Integer>comparingInt(o -> -wf.fanout[o]).thenComparing(o -> wf.ids[o]));
            for (int k = 1; k <= candidates.size() && !failed.isEmpty(); k++) {
                wf.rollback(mark);
                for (int i = 0; i < k; i++) {
                    wf.setRole(candidates.get(i), t);
                }
                failed = tryPlaceOrphans(t, orphans);
            }
            if (failed.isEmpty() || !mayFree) {
                return failed;
            }
            // Nobody childless can take over: free an orphan that forwards in another tree by moving its
            // (few) children there, then designate it here. More than the orphans move: RESHAPED.
            wf.rollback(mark);
            List<Integer> busy = new ArrayList<>();
            for (int o : orphans) {
                if (wf.capable(o) && wf.role[o] != NONE && wf.role[o] != t && wf.childCount(o) > 0) {
                    busy.add(o);
                }
            }
            busy.sort(Comparator.<Integer>comparingInt(o -> wf.childCount(o)).thenComparingInt(o -> -wf.fanout[o])
                    .thenComparing(o -> wf.ids[o]));
            List<String> freed = new ArrayList<>();
            for (int q : busy) {
                if (freed.size() >= 4) {
                    break;
                }
                int before = wf.mark();
                int home = wf.role[q];
                int[] kids = wf.kids(q).toArray();
                for (int c : kids) {
                    wf.detach(home, c);
                }
                wf.setRole(q, NONE);
                reserved.add(q);
                boolean homeOk = wf.bound(home) >= wf.maxDepth(home)
                        && placeOrphans(home, kids, false).isEmpty();
                reserved.remove(q);
                if (!homeOk) {
                    wf.rollback(before);
                    continue;
                }
                wf.setRole(q, t);
                freed.add(wf.ids[q] + " handed its " + kids.length + " children in stripe " + home
                        + " on to become interior in stripe " + t);
                int tried = wf.mark();
                failed = tryPlaceOrphans(t, orphans);
                if (failed.isEmpty()) {
                    reshaped = true;
                    notes.addAll(freed);
                    return failed;
                }
                wf.rollback(tried);
            }
            wf.rollback(mark);
            return tryPlaceOrphans(t, orphans);
        }

        /**
         * Places detached subtrees in {@code t}. The designated orphan with the most free room goes first
         * (it takes the freed slot, and its siblings can hang below it as deep as they were), then the
         * other designated ones tallest first, then the leaves.
         */
        private List<Integer> tryPlaceOrphans(int t, int[] orphans) {
            wf.ensureReady(t);
            Integer[] order = new Integer[orphans.length];
            Map<Integer, Integer> height = new java.util.HashMap<>();
            int top = NONE;
            for (int i = 0; i < orphans.length; i++) {
                int o = orphans[i];
                order[i] = o;
                height.put(o, wf.height(t, o));
                if (wf.role[o] == t && (top == NONE || freeRoom(o) > freeRoom(top)
                        || (freeRoom(o) == freeRoom(top) && wf.ids[o].compareTo(wf.ids[top]) < 0))) {
                    top = o;
                }
            }
            int first = top;
            Arrays.sort(order, Comparator.<Integer>comparingInt(o -> o == first ? 0 : wf.role[o] == t ? 1 : 2)
                    .thenComparingInt(o -> -height.get(o)).thenComparingInt(o -> -freeRoom(o))
                    .thenComparing(o -> wf.ids[o]));
            List<Integer> failed = new ArrayList<>();
            for (int o : order) {
                int limit = wf.bound(t) - 1 - height.get(o);
                int slot = wf.role[o] == t ? backboneSlot(t, o, limit, NONE) : leafSlot(t, o, limit, NONE);
                if (slot == NONE) {
                    slot = promote(t, o, height.get(o));
                }
                if (slot == NONE) {
                    failed.add(o);
                } else {
                    wf.attach(t, o, slot);
                }
            }
            return failed;
        }

        private int freeRoom(int u) {
            return wf.capable(u) ? wf.fanout[u] - wf.childCount(u) : 0;
        }

        /**
         * Rebuilds tree {@code t} from its members: designated relays breadth-first (strongest first), then
         * everyone else. Keeps a member's old parent where the rules allow. Returns members with no room.
         */
        private List<Integer> rebuildTree(int t) {
            wf.ensureReady(t);
            clearTree(t);
            List<Integer> designated = new ArrayList<>();
            List<Integer> rest = new ArrayList<>();
            for (int u = 0; u < wf.slots(); u++) {
                if (!wf.member[u] || u == wf.root) {
                    continue;
                }
                (wf.role[u] == t && wf.capable(u) ? designated : rest).add(u);
            }
            designated.sort(Comparator.<Integer>comparingInt(u -> -wf.fanout[u]).thenComparing(u -> wf.ids[u]));
            rest.sort(Comparator.comparing(u -> wf.ids[u]));
            List<Integer> leftovers = new ArrayList<>();
            for (int u : designated) {
                int slot = backboneSlot(t, u, wf.bound(t) - 1, previousParent(t, u));
                if (slot == NONE) {
                    leftovers.add(u);
                } else {
                    wf.attach(t, u, slot);
                }
            }
            leftovers.addAll(rest);
            List<Integer> failed = new ArrayList<>();
            for (int u : leftovers) {
                int slot = leafSlot(t, u, wf.bound(t) - 1, previousParent(t, u));
                if (slot == NONE) {
                    slot = promote(t, u, 0);
                }
                if (slot == NONE) {
                    failed.add(u);
                } else {
                    wf.attach(t, u, slot);
                }
            }
            return failed;
        }

        private int previousParent(int t, int u) {
            int p = wf.originalParent(t, u);
            return p != NONE && wf.member[p] ? p : NONE;
        }

        /** Detaches every member of tree {@code t}, children before parents. */
        private void clearTree(int t) {
            WorkingForest.IntList tops = new WorkingForest.IntList();
            tops.add(wf.root);
            for (int u = 0; u < wf.slots(); u++) {
                if (wf.member[u] && u != wf.root && wf.parent[t][u] == NONE
                        && wf.childrenIn(t, u).size > 0) {
                    tops.add(u);
                }
            }
            for (int i = 0; i < tops.size; i++) {
                // Post-order: collect top-down, detach bottom-up.
                WorkingForest.IntList order = new WorkingForest.IntList();
                WorkingForest.IntList todo = new WorkingForest.IntList();
                todo.add(tops.get(i));
                while (todo.size > 0) {
                    int u = todo.pop();
                    order.add(u);
                    WorkingForest.IntList ch = wf.childrenIn(t, u);
                    for (int k = 0; k < ch.size; k++) {
                        todo.add(ch.get(k));
                    }
                }
                for (int k = order.size - 1; k >= 1; k--) {
                    wf.detach(t, order.get(k));
                }
            }
        }

        /** Relays that fit nowhere leave the forest (and their own children are re-placed or follow). */
        private void drop(List<Integer> failed, String why) {
            for (int u : failed) {
                if (!wf.member[u]) {
                    continue;
                }
                degraded = true;
                notes.add(wf.ids[u] + " lost its position within the bounds: " + why);
                evict(u, true, wf.ids[u] + " dropped");
            }
        }

        /** After members left, a tree may exceed its (smaller) bound: rebuild those trees. */
        private void settleBounds() {
            for (int round = 0; round < 3; round++) {
                boolean any = false;
                for (int t = 0; t < wf.stripes; t++) {
                    if (wf.maxDepth(t) > wf.bound(t)) {
                        any = true;
                        reshaped = true;
                        notes.add("stripe " + t + " rebuilt: depth " + wf.maxDepth(t) + " over bound " + wf.bound(t));
                        drop(rebuildTree(t), "no room in stripe " + t);
                    }
                }
                if (!any) {
                    return;
                }
            }
        }

        // ---------------------------------------------------------------- rebalance

        private void reconcileAll() {
            for (int u = 0; u < wf.slots(); u++) {
                if (wf.member[u] && wf.known[u]) {
                    reconcile(u);
                }
            }
        }

        /** Makes one member consistent with its (maybe changed) description: drains, weak roles, overload. */
        private void reconcile(int u) {
            if (u == wf.root) {
                for (int t = 0; t < wf.stripes; t++) {
                    int excess = wf.rootChildren(t) - wf.rootShare(t);
                    if (excess > 0) {
                        shed(t, wf.root, excess, "ingest over its share in stripe " + t);
                    }
                }
                return;
            }
            if ((wf.role[u] != NONE || wf.childCount(u) > 0) && !wf.capable(u)) {
                boolean wasDraining = wf.draining[u];
                evict(u, false, wf.ids[u] + (wasDraining ? " drains" : " can no longer forward"));
                if (!wasDraining) {
                    wf.setDraining(u, false);
                }
                return;
            }
            int excess = wf.childCount(u) - wf.fanout[u];
            if (excess > 0) {
                shed(wf.role[u], u, excess, wf.ids[u] + " over its fanout");
            }
        }

        private void shed(int t, int u, int count, String why) {
            WorkingForest.IntList ch = wf.childrenIn(t, u);
            Integer[] order = new Integer[ch.size];
            for (int i = 0; i < ch.size; i++) {
                order[i] = ch.get(i);
            }
            // Leaves first: they move alone.
            Arrays.sort(order, Comparator.<Integer>comparingInt(c -> wf.childrenIn(t, c).size)
                    .thenComparing(c -> wf.ids[c]));
            int[] orphans = new int[count];
            for (int i = 0; i < count; i++) {
                orphans[i] = order[i];
                wf.detach(t, orphans[i]);
            }
            List<Integer> failed = placeOrphans(t, orphans);
            if (!failed.isEmpty()) {
                reshaped = true;
                notes.add(why + ": stripe " + t + " rebuilt");
                drop(rebuildTree(t), "no room in stripe " + t);
            }
        }

        /** Moves designated relays up where a shallower parent has room (never deeper, never into a subtree). */
        private void pullUp(int t) {
            wf.ensureReady(t);
            List<Integer> designated = new ArrayList<>();
            for (int u = 0; u < wf.slots(); u++) {
                if (wf.member[u] && wf.role[u] == t && wf.attached(t, u)) {
                    designated.add(u);
                }
            }
            designated.sort(Comparator.<Integer>comparingInt(u -> wf.depth(t, u)).thenComparing(u -> wf.ids[u]));
            for (int u : designated) {
                int parentDepth = wf.depth(t, wf.parent[t][u]);
                int q;
                if (wf.rootHasRoom(t) && parentDepth > 0) {
                    q = wf.root;
                } else {
                    int d = wf.shallowestRoom(t, parentDepth - 1);
                    if (d == NONE) {
                        continue;
                    }
                    q = wf.pickRoom(t, d, wf.zone[u], NONE);
                }
                wf.detach(t, u);
                wf.attach(t, u, q);
            }
        }

        /**
         * Moves every cross-zone edge for which a same-zone parent with room sits no deeper (only the edges
         * this plan created when {@code onlyCreated}). Each move removes one cross-zone edge and adds none,
         * so this ends; moving up or sideways never breaks the depth bound.
         */
        private void fixZones(boolean onlyCreated) {
            boolean changed = true;
            while (changed) {
                changed = false;
                for (int t = 0; t < wf.stripes; t++) {
                    int[] candidates;
                    if (onlyCreated) {
                        candidates = wf.touched(t).toArray();
                    } else {
                        candidates = new int[wf.slots()];
                        for (int u = 0; u < candidates.length; u++) {
                            candidates[u] = u;
                        }
                    }
                    for (int u : candidates) {
                        if (!wf.member[u] || u == wf.root || wf.parent[t][u] == NONE) {
                            continue;
                        }
                        if (onlyCreated && wf.parent[t][u] == wf.originalParent(t, u)) {
                            continue;
                        }
                        if (fixZone(t, u)) {
                            changed = true;
                        }
                    }
                }
            }
        }

        private boolean fixZone(int t, int u) {
            int z = wf.zone[u];
            int p = wf.parent[t][u];
            if (z == ZONE_UNKNOWN || wf.zone[p] == z) {
                return false;
            }
            int q;
            if (wf.rootHasRoom(t) && wf.zone[wf.root] == z) {
                q = wf.root;
            } else {
                int d = wf.shallowestRoomInZone(t, z, wf.depth(t, p));
                if (d == NONE) {
                    return false;
                }
                q = wf.pickRoom(t, d, z, NONE);
            }
            wf.detach(t, u);
            wf.attach(t, u, q);
            return true;
        }

        // ---------------------------------------------------------------- result

        Plan finish() {
            fixZones(true);
            boolean rooted = wf.root != NONE && wf.member[wf.root];
            everyRelayMember = rooted && wf.everyRelayMember(relays);
            List<String> unplaced = new ArrayList<>();
            if (!everyRelayMember) {
                for (RelayInfo info : relays.values()) {
                    if (!info.draining() && !(rooted && wf.containsId(info.id()))) {
                        unplaced.add(info.id());
                    }
                }
            }
            unplaced.sort(null);
            List<Move> moves = wf.moves();
            Forest forest = wf.toForest();
            Plan.Status status = degraded ? Plan.Status.DEGRADED
                    : reshaped ? Plan.Status.RESHAPED : Plan.Status.OK;
            return new Plan(forest, moves, status, unplaced, notes);
        }
    }
}
