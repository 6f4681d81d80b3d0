package io.stripecast.lab.sim;

/** Small, fast configurations for the tests (hundreds of nodes, a minute of simulated time). */
final class SimFixtures {

    private SimFixtures() {
    }

    /** Uplinks well above what any overlay needs (median 10 Mbit/s, narrow spread) for a 2 Mbit/s stream. */
    static SimConfig generous(int nodes, int durationS, double churn, long seed) {
        SimConfig c = SimConfig.defaults(nodes, durationS, churn, seed);
        return new SimConfig(nodes, durationS, 20, churn, seed, c.stream(), c.network().withUplink(10, 0.3), c.control(),
                c.mesh(), c.hybrid(), false);
    }

    static SimConfig withDeadline(SimConfig c, int ms) {
        return c.withStream(c.stream().withPlayoutDelay(ms));
    }
}
