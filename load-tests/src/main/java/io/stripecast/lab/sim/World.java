package io.stripecast.lab.sim;

/**
 * The nodes of one (nodes, churn, seed): their attributes, the churn they face and the latency between
 * them. Every overlay of that configuration runs in the same world, whatever its playout deadline.
 */
record World(Population peers, ChurnSchedule churn, Latency latency) {

    static World of(SimConfig config) {
        ChurnSchedule churn = ChurnSchedule.generate(config.seed(), "peers", config.nodes() + 1, config.churnPerMin(),
                config.durationMs());
        return of(config, churn);
    }

    /** A world with a given schedule (tests kill chosen nodes). */
    static World of(SimConfig config, ChurnSchedule churn) {
        return new World(Population.peers(config, churn.total), churn, new Latency(config.seed(), config.network()));
    }
}
