package io.stripecast.controller.forest;

import java.util.List;

/**
 * The planner's answer to one event.
 *
 * @param forest      the new forest; invariants 1-5 hold over its members, except what {@code relaxations} lists
 *                    for the relays it declares relaxed ({@link Forest#relaxed()})
 * @param moves       every parent change from the snapshot's forest to {@code forest}, sorted by stripe and child
 * @param status      whether the plan is the minimal one the event asks for
 * @param unplaced    relays of the (post-event) relay set that are neither draining nor in the forest. Since
 *                    relays are placed by relaxing bounds rather than left out, this is empty whenever the
 *                    stream has a forest; it lists everyone when the ingest is gone (no source to feed them)
 * @param notes       human-readable reasons for any status other than {@link Status#OK}, or for no-ops
 * @param relaxations the bounds relaxed to place every relay (as {@link InvariantChecker} reports them);
 *                    empty when every bound holds
 */
public record Plan(Forest forest, List<Move> moves, Status status, List<String> unplaced, List<String> notes,
                   Relaxations relaxations) {

    public enum Status {
        /** The plan does exactly what the event asks (a death or drain moves only the orphans). */
        OK,
        /**
         * Invariants held only by moving more than the event strictly needs: some stripe tree was rebuilt
         * because the orphans did not fit within its depth bound (see notes).
         */
        RESHAPED,
        /**
         * Some relays are placed only by relaxing a bound ({@link #relaxations()}, DESIGN.md "Never go dark"),
         * or, with no ingest, nobody could be placed ({@link #unplaced()}). Moves beyond the orphans may
         * happen: relaxed relays are placed again on every plan, strictly once there is room.
         */
        DEGRADED
    }

    public Plan {
        moves = List.copyOf(moves);
        unplaced = List.copyOf(unplaced);
        notes = List.copyOf(notes);
        relaxations = relaxations == null ? Relaxations.NONE : relaxations;
    }

    public Plan(Forest forest, List<Move> moves, Status status, List<String> unplaced, List<String> notes) {
        this(forest, moves, status, unplaced, notes, Relaxations.NONE);
    }
}
