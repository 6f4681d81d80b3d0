package io.stripecast.controller.forest;

/**
 * Knobs of the planner.
 *
 * @param targetUtilisation share of a relay's uplink the planner may fill, in {@code (0, 1]}
 * @param maxFanout         hard cap on a relay's children across all trees (connections, CPU), {@code >= 1}
 */
public record PlannerConfig(double targetUtilisation, int maxFanout) {

    public PlannerConfig {
        if (!(targetUtilisation > 0 && targetUtilisation <= 1)) {
            throw new IllegalArgumentException("targetUtilisation must be in (0, 1], got " + targetUtilisation);
        }
        if (maxFanout < 1 || maxFanout > 4096) {
            throw new IllegalArgumentException("maxFanout must be in [1, 4096], got " + maxFanout);
        }
    }

    public static PlannerConfig defaults() {
        return new PlannerConfig(0.8, 32);
    }
}
