package io.stripecast.lab.scenario.fault;

import java.util.Set;

/**
 * What goes wrong in a scenario, and its knobs ({@code load-tests/LAB.md} describes each).
 *
 * @param kind            none | kill-interior | drain-interior | controller-failover | kill-chain | churn |
 *                        slow-child | partition | kill-ingest (the primary ingest, with a standby) | kill-two-interior
 *                        (ingest children of two different stripe trees, chainGapMillis apart)
 * @param atSegment       the fault starts once the ingest committed this many segments
 * @param chainLength     kill-chain: relays killed in turn down one stripe tree, from a child of the ingest
 * @param chainGapMillis  kill-chain: pause after each repair before the next kill
 * @param churnPercentPerMinute churn: share of the non-ingest relays that leave per minute (each replaced by
 *                        a new one)
 * @param churnLeave      churn: kill (SIGKILL) | term (SIGTERM, drained) | mixed (alternating)
 * @param churnSeed       churn: seed of the schedule (who leaves)
 * @param slowSeconds     slow-child: how long the relay is slow
 * @param slowMode        slow-child: sigstop (frozen: SIGSTOP then SIGCONT) | rate (its link limited to
 *                        slowRateMbit; needs network=netns)
 * @param partitionSeconds partition: how long the relay's link stays cut before it is healed
 */
public record FaultSpec(String kind, int atSegment, int chainLength, int chainGapMillis, double churnPercentPerMinute,
                        String churnLeave, long churnSeed, int slowSeconds, String slowMode, double slowRateMbit,
                        int partitionSeconds) {
    static final Set<String> KINDS = Set.of("none", "kill-interior", "drain-interior", "controller-failover", "kill-chain",
            "churn", "slow-child", "partition", "kill-ingest", "kill-two-interior");

    public FaultSpec {
        if (!KINDS.contains(kind)) {
            throw new IllegalArgumentException("unknown fault " + kind);
        }
        if (chainLength < 1 || chainGapMillis < 0 || churnPercentPerMinute < 0 || slowSeconds < 1 || partitionSeconds < 1
                || !Set.of("kill", "term", "mixed").contains(churnLeave) || !Set.of("sigstop", "rate").contains(slowMode)) {
            throw new IllegalArgumentException("fault settings out of range");
        }
    }
}

