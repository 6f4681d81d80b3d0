package io.stripecast.lab.scenario.fault;

/** One kind of trouble a scenario injects while the stream runs; {@link #run} returns when it is over. */
public sealed interface Fault permits NoFault, KillInterior, ControllerFailover, KillChain, Churn, SlowChild, Partition, KillIngest,
        KillTwoInterior {

    void run(FaultContext ctx) throws Exception;

    /**
     * @param seconds   the run's length (churn spreads over it)
     * @param linkShape the scenario's normal link (a slowed link goes back to it)
     */
    static Fault of(FaultSpec spec, int seconds, io.stripecast.lab.cluster.LinkShape linkShape) {
        return switch (spec.kind()) {
            case "none" -> new NoFault();
            case "kill-interior" -> new KillInterior(spec.atSegment(), false);
            case "drain-interior" -> new KillInterior(spec.atSegment(), true);
            case "controller-failover" -> new ControllerFailover(spec.atSegment());
            case "kill-chain" -> new KillChain(spec.atSegment(), spec.chainLength(), spec.chainGapMillis());
            case "churn" -> new Churn(spec, seconds);
            case "slow-child" -> new SlowChild(spec, linkShape);
            case "partition" -> new Partition(spec.atSegment(), spec.partitionSeconds());
            case "kill-ingest" -> new KillIngest(spec.atSegment());
            case "kill-two-interior" -> new KillTwoInterior(spec.atSegment(), spec.chainGapMillis());
            default -> throw new IllegalArgumentException("unknown fault " + spec.kind());
        };
    }
}
