package io.stripecast.lab.scenario;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AvailabilitySeriesTest {
    @Test
    void medianPerSegmentAndDepthAndShareOnTimePerSegment() {
        long origin = 1_000;
        AvailabilitySeries s = AvailabilitySeries.of(List.of(
                new AvailabilitySeries.Sample(3, 10, 2_000, 100, true),
                new AvailabilitySeries.Sample(3, 10, 2_000, 300, true),
                new AvailabilitySeries.Sample(4, 10, 2_000, 500, false),
                new AvailabilitySeries.Sample(3, 11, 3_000, 120, true),
                new AvailabilitySeries.Sample(3, 11, 3_000, 130, true),
                new AvailabilitySeries.Sample(3, 11, 3_000, 900, false)), origin);

        assertThat(s.latencyByDepth().keySet()).containsExactly(3, 4);
        assertThat(s.latencyByDepth().get(3)).containsExactly(new AvailabilitySeries.Point(1_000, 200), new AvailabilitySeries.Point(2_000, 130));
        assertThat(s.latencyByDepth().get(4)).containsExactly(new AvailabilitySeries.Point(1_000, 500));
        assertThat(s.continuity()).containsExactly(new AvailabilitySeries.Point(1_000, 2.0 / 3), new AvailabilitySeries.Point(2_000, 2.0 / 3));
        assertThat(s.asJson().get("3")).hasSize(2);
        assertThat(s.asJson().get("3").get(0)).containsExactly(1_000, 200);
    }

    @Test
    void noSamplesNoCurves() {
        AvailabilitySeries s = AvailabilitySeries.of(List.of(), 0);
        assertThat(s.latencyByDepth()).isEmpty();
        assertThat(s.continuity()).isEmpty();
    }
}
