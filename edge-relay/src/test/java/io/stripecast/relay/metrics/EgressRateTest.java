package io.stripecast.relay.metrics;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The egress gauge reports Mbit/s over the last ~10 s, whoever reads it and how often. */
class EgressRateTest {
    @Test
    void steadyEgressReadsAsItsRate() {
        EgressRate rate = new EgressRate();
        long t = 1_000_000;
        assertThat(rate.mbps(t)).isZero();
        for (int second = 1; second <= 30; second++) {
            rate.add(1_250_000); // 10 Mbit in each second
            assertThat(rate.mbps(t + second * 1000L)).as("after %d s", second).isCloseTo(10.0, within(1e-9));
        }
    }

    @Test
    void aBurstLeavesTheWindowAfterTenSeconds() {
        EgressRate rate = new EgressRate();
        long t = 0;
        rate.mbps(t);
        rate.add(125_000_000); // 1,000 Mbit at once
        assertThat(rate.mbps(t + 1000)).isCloseTo(1000.0, within(1e-9));
        for (int second = 2; second <= 12; second++) {
            rate.mbps(t + second * 1000L);
        }
        assertThat(rate.mbps(t + 13_000)).as("the burst has left the 10 s window").isZero();
    }
}
