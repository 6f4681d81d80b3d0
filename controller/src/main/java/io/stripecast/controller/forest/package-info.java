/**
 * The stripe-forest planner: pure model code (no framework, no I/O, no clock, no threads).
 *
 * <p>{@link io.stripecast.controller.forest.ForestPlanner} turns a
 * {@link io.stripecast.controller.forest.Snapshot} and a {@link io.stripecast.controller.forest.ForestEvent}
 * into a {@link io.stripecast.controller.forest.Plan} (new {@link io.stripecast.controller.forest.Forest}
 * plus the {@link io.stripecast.controller.forest.Move}s to send);
 * {@link io.stripecast.controller.forest.InvariantChecker} checks any forest against DESIGN.md's invariants
 * and is shared by the planner's tests, the lab and the topology API.
 *
 * <h2>Definitions (how DESIGN.md's invariants are made checkable)</h2>
 * <ul>
 *   <li><b>R</b>: the forest's members, root included; the root is the stream's ingest.</li>
 *   <li><b>Fanout</b> (invariant 4): {@code min(maxFanout, floor(uplinkMbps * targetUtilisation / shardRateMbps))},
 *       summed over all trees; a non-root relay below 2 counts as 0 (a leaf everywhere). The root uses the
 *       same formula and cap, split evenly between the {@code k+m} trees (remainder to the first ones); each
 *       tree's root children stay within that share. See {@link io.stripecast.controller.forest.Fanout}.</li>
 *   <li><b>Interior stripe</b> (invariant 3): each non-root relay is designated interior in at most one tree
 *       ({@link io.stripecast.controller.forest.Forest#interiorStripe}) and has children only there.</li>
 *   <li><b>Depth bound</b> (invariant 5): tree t's depth (hops from the root) is at most
 *       {@code ceil(log_f |R|) + 1}, f = the smallest usable fanout among relays designated interior in t
 *       (at least 2); with none designated, the tree is a star under the root and the bound is 1.</li>
 *   <li><b>Zones</b> (invariant 6): an edge is cross-zone when the child's zone is known and its parent's
 *       differs. It is <em>avoidable</em> when a relay of the child's zone that may have children in that
 *       tree (the root within its share, or a relay designated there, not draining) has room and sits no
 *       deeper than the chosen parent. A plan never creates an avoidable edge (checked on its moves); on a
 *       bare forest avoidable edges are only counted, since a death frees room that a repair must not use
 *       to move others; a Rebalance leaves none.</li>
 * </ul>
 */
package io.stripecast.controller.forest;
