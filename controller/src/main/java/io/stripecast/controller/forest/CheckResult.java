package io.stripecast.controller.forest;

import java.util.List;

/**
 * What {@link InvariantChecker} found: JSON-friendly (records of strings and numbers) for the lab and
 * the topology API.
 *
 * @param stream         the stream's name
 * @param relays         |R|: forest members, root included
 * @param stripes        k+m
 * @param ok             no violation
 * @param violationCount all violations found ({@code violations} lists at most {@link #MAX_LISTED})
 * @param violations     the violations, in invariant order
 * @param trees          per stripe figures
 * @param relaxations    bounds given up for relays the planner declared relaxed ({@link Forest#relaxed()}):
 *                       reported here, not as violations; a bound broken for any other relay is a violation
 */
public record CheckResult(String stream, int relays, int stripes, boolean ok, int violationCount,
                          List<Violation> violations, List<Tree> trees, Relaxations relaxations) {

    public static final int MAX_LISTED = 500;

    public CheckResult {
        violations = List.copyOf(violations);
        trees = List.copyOf(trees);
        relaxations = relaxations == null ? Relaxations.NONE : relaxations;
    }

    public CheckResult(String stream, int relays, int stripes, boolean ok, int violationCount,
                       List<Violation> violations, List<Tree> trees) {
        this(stream, relays, stripes, ok, violationCount, violations, trees, Relaxations.NONE);
    }

    /** Sound and nothing relaxed: every bound of DESIGN.md holds. */
    public boolean strict() {
        return ok && relaxations.isEmpty();
    }

    /** Violations of one invariant (1-6), among those listed. */
    public List<Violation> of(int invariant) {
        return violations.stream().filter(v -> v.invariant() == invariant).toList();
    }

    /**
     * One broken rule.
     *
     * @param invariant the number of the invariant in DESIGN.md, 1-6
     * @param stripe    the stripe, or -1 when it concerns the whole forest
     * @param relay     the relay concerned, or null
     * @param message   what is wrong, e.g. "stripe 2: relay r17 has no parent"
     */
    public record Violation(int invariant, int stripe, String relay, String message) {
    }

    /**
     * Figures of one stripe tree.
     *
     * @param stripe                  the stripe
     * @param depth                   the deepest reachable member's depth
     * @param depthBound              {@code ceil(log_f |R|) + 1} (see {@link Fanout})
     * @param fanout                  f, the smallest usable fanout among relays designated interior here
     *                                (-1 when none: then the bound is 1)
     * @param designated              relays designated interior in this stripe
     * @param interior                relays that have children in this stripe (root excluded)
     * @param rootChildren            the root's children here
     * @param rootShare               the root's share of its fanout for this stripe
     * @param crossZoneEdges          edges whose child has a known zone and whose parent is in another one
     * @param avoidableCrossZoneEdges those of them for which a same-zone parent with room sits no deeper:
     *                                zero after a plan for the edges it made, and after a Rebalance for all
     */
    public record Tree(int stripe, int depth, int depthBound, int fanout, int designated, int interior,
                       int rootChildren, int rootShare, int crossZoneEdges, int avoidableCrossZoneEdges) {
    }
}
