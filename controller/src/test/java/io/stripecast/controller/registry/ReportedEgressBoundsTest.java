package io.stripecast.controller.registry;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A relay's reported egress is input from outside: what it cannot mean counts as none, and it is capped. */
class ReportedEgressBoundsTest {

    @Test
    void nonsenseRatesCountAsNone() {
        assertThat(RelaySession.boundedMbps(Double.NaN)).isZero();
        assertThat(RelaySession.boundedMbps(Double.POSITIVE_INFINITY)).isZero();
        assertThat(RelaySession.boundedMbps(Double.NEGATIVE_INFINITY)).isZero();
        assertThat(RelaySession.boundedMbps(-5e6)).isZero();
    }

    @Test
    void ratesAreMegabitsAndCapped() {
        assertThat(RelaySession.boundedMbps(12.5e6)).isEqualTo(12.5);
        assertThat(RelaySession.boundedMbps(1e300)).isEqualTo(1_000_000);
    }
}
