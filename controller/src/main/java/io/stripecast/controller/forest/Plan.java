package io.stripecast.controller.forest;

import java.util.List;

/**
 * The planner's answer to one event.
 *
 * @param forest   the new forest; it always satisfies invariants 1-5 over its members
 * @param moves    every parent change from the snapshot's forest to {@code forest}, sorted by stripe and child
 * @param status   whether the plan is the minimal one the event asks for
 * @param unplaced relays of the (post-event) relay set that are neither draining nor in the forest:
 *                 they wait for capacity; see {@code notes} for why
 * @param notes    human-readable reasons for any status other than {@link Status#OK}, or for no-ops
 */
public record Plan(Forest forest, List<Move> moves, Status status, List<String> unplaced, List<String> notes) {

    public enum Status {
        /** The plan does exactly what the event asks (a death or drain moves only the orphans). */
        OK,
        /**
         * Invariants held only by moving more than the event strictly needs: some stripe tree was rebuilt
         * because the orphans did not fit within its depth bound (see notes).
         */
        RESHAPED,
        /** Some relays could not be placed (total capacity or the ingest's share too small): see unplaced. */
        DEGRADED
    }

    public Plan {
        moves = List.copyOf(moves);
        unplaced = List.copyOf(unplaced);
        notes = List.copyOf(notes);
    }
}
