package io.stripecast.relay.playback;

import io.stripecast.relay.stream.StreamSpec;
import io.stripecast.relay.window.SegmentWindow;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The ladder a relay serves: the newest complete one, kept after its entry left the window. */
class LadderTest {
    private static final StreamSpec SPEC = new StreamSpec("live", 2, 1, Duration.ofSeconds(10), Optional.empty(), Optional.empty(),
            Duration.ofSeconds(1));
    private final SegmentWindow window = new SegmentWindow(SPEC, 1 << 30);
    private final Ladder ladder = new Ladder(window);
    private final PartFeed feed = new PartFeed(window, 1);

    @Test
    void theNewestLadderIsServedAndKeptAfterTheWindowForgetsIt() {
        assertThat(ladder.text()).isNull();
        feed.renditions("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nindex.m3u8\n", 1_000);
        feed.renditions("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=2\nindex.m3u8\n", 2_000);
        assertThat(ladder.text()).contains("BANDWIDTH=2");
        long init = feed.init(0, 2_000);
        // 20 s later the window (10 s) has evicted both ladders.
        feed.segment(5, 2, 500_000, new long[]{init}, 22_000);
        assertThat(window.snapshot()).noneMatch(e -> e.isRenditions());
        assertThat(ladder.text()).contains("BANDWIDTH=2");
    }
}
