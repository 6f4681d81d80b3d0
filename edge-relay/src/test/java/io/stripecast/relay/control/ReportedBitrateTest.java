package io.stripecast.relay.control;

import io.stripecast.relay.playback.PartFeed;
import io.stripecast.relay.stream.StreamSpec;
import io.stripecast.relay.window.SegmentWindow;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The bit rate a relay reports per stream (the controller plans shard rates with it): a ladder's renditions add up, a
 * segment sent as parts counts once (by its parts, not its parts end).
 */
class ReportedBitrateTest {
    private static final StreamSpec SPEC = new StreamSpec("live", 2, 1, Duration.ofSeconds(60), Optional.empty(), Optional.empty(),
            Duration.ofSeconds(1));

    @Test
    void twoRenditionsSentAsPartsReportTheirBytesOverTheTimeOneCovers() {
        SegmentWindow window = new SegmentWindow(SPEC, 1 << 30);
        PartFeed feed = new PartFeed(window, 1);
        long[] inits = {feed.init(0, 1_000), feed.init(1, 1_000)};
        feed.segment(10, 4, 500_000, inits, 1_000);
        feed.segment(11, 4, 500_000, inits, 3_000);
        long bytes = 0;
        for (int r = 0; r < 2; r++) {
            for (long msn = 10; msn <= 11; msn++) {
                for (int p = 0; p < 4; p++) {
                    bytes += PartFeed.partBytes(r, msn, p).length;
                }
            }
        }
        // Both renditions' bytes, over 4 s (each rendition covers 4 s; together they do not cover 8).
        assertThat(ControllerClient.bitrate(window.snapshot())).isCloseTo(bytes * 8 / 4.0, within(0.001));
    }
}
