package io.stripecast.controller.registry;

import io.stripecast.protocol.v1.Report;
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

    @Test
    void aReportWithAnImpossibleFigureIsFlaggedAndKeptBounded() {
        RelaySession session = new RelaySession("r1", "127.0.0.1", "127.0.0.1:1", "", "", 100, "", false, false, null, m -> { }, 0);
        assertThat(session.record(Report.newBuilder().setEgressBps(40e6).setPlaybackEgressBps(10e6).build())).isTrue();
        assertThat(session.egressMbps()).isEqualTo(40);
        assertThat(session.record(Report.newBuilder().setEgressBps(Double.NaN).build())).isFalse();
        assertThat(session.egressMbps()).isZero();
        assertThat(session.record(Report.newBuilder().setEgressBps(1e15).build())).isFalse();
        assertThat(session.egressMbps()).isEqualTo(1_000_000);
        // Two rates sampled a moment apart: playback above the whole is clamped, not held against the relay.
        assertThat(session.record(Report.newBuilder().setEgressBps(10e6).setPlaybackEgressBps(10.2e6).build())).isTrue();
        assertThat(session.playbackEgressMbps()).isEqualTo(10);
    }
}
