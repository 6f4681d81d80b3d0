package io.stripecast.controller.forest;

/**
 * A bound the planner gave up for some relay so that the relay still gets the stream (DESIGN.md, "Never go
 * dark"). Declared in the order the planner relaxes them, which is also their severity, mildest first:
 * a relay fed with less resilience is better than a relay that serves nothing.
 *
 * <ul>
 *   <li>{@link #DEPTH}: the relay hangs deeper than its tree's depth bound (invariant 5). Costs latency
 *       (one more hop of cut-through push, milliseconds), nothing else.</li>
 *   <li>{@link #FANOUT}: its parent has more children than its fanout allows (invariant 4): first into the
 *       headroom that {@code targetUtilisation} keeps below the parent's whole uplink, and, only when every
 *       possible parent's uplink is full, beyond it. An over-committed uplink slows every child of that parent,
 *       so it is worse than depth.</li>
 *   <li>{@link #INTERIOR_SHARED}: its parent forwards in a tree other than its designated interior stripe
 *       (invariant 3): that parent's death now costs two stripes, and with {@code m = 1} a segment. The worst
 *       of the three: it spends the parity that makes single failures free.</li>
 * </ul>
 */
public enum Relaxation {
    DEPTH("DepthRelaxed", "deeper than the depth bound"),
    FANOUT("FanoutExceeded", "under a parent over its fanout"),
    INTERIOR_SHARED("InteriorShared", "under a parent interior in a second tree");

    private final String reason;
    private final String meaning;

    Relaxation(String reason, String meaning) {
        this.reason = reason;
        this.meaning = meaning;
    }

    /** The CamelCase reason a {@code Degraded} condition carries when this is the most severe relaxation. */
    public String reason() {
        return reason;
    }

    /** What it means for a relay, for messages: "r7 deeper than the depth bound". */
    public String meaning() {
        return meaning;
    }

    /** The metric label: {@code depth}, {@code fanout}, {@code interior_shared}. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
