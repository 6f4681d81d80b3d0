package io.stripecast.relay.playback;

import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.EndMarkers;
import io.stripecast.relay.playback.PlaylistRenderer.Rendered;
import io.stripecast.relay.stream.StreamSpec;
import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowEntry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests held for parts (a preload hint fetched early) and blocking reloads on {@code _HLS_part}: released by the
 * completion that brings their part, once, by nothing else, and never after a timeout claimed them.
 */
class PartHoldsTest {
    private static final long PART = 200_000;
    private static final StreamSpec SPEC = new StreamSpec("live", 2, 1, Duration.ofSeconds(60), Optional.empty(), Optional.empty(),
            Duration.ofSeconds(1));
    private final SegmentWindow window = new SegmentWindow(SPEC, 1 << 30);
    private final PartFeed feed = new PartFeed(window, 1);
    private final long now = System.currentTimeMillis();
    private final long[] inits = {feed.init(0, now), feed.init(1, now)};
    private final PartHolds holds = new PartHolds(window);
    private final List<WindowEntry> arrived = new ArrayList<>();
    private final List<Integer> gone = new ArrayList<>();

    private PartHolds.Hold hold(int rendition, long msn, int part) {
        return holds.hold(rendition, msn, part, arrived::add, gone::add);
    }

    @Test
    void aHeldPartIsAnsweredByItsOwnCompletionOnly() {
        feed.segment(10, 3, PART, inits, now);
        hold(1, 11, 1);
        feed.part(0, 11, 1, PART, inits[0], now);
        feed.part(1, 11, 0, PART, inits[1], now);
        assertThat(arrived).isEmpty();
        Shard[] shards = feed.incompletePart(1, 11, 1, PART, inits[1], now);
        assertThat(arrived).as("one shard of it is not the part").isEmpty();
        window.offer(shards[1]);
        window.complete(shards[0].getSegment().getSequence(), PartFeed.partBytes(1, 11, 1));
        assertThat(arrived).singleElement().satisfies(e -> assertThat(e.segment().toByteArray()).isEqualTo(PartFeed.partBytes(1, 11, 1)));
        assertThat(holds.size()).isZero();
        feed.part(1, 11, 2, PART, inits[1], now);
        assertThat(arrived).hasSize(1);
    }

    @Test
    void aPartAlreadyHereIsAnsweredAtOnce() {
        feed.part(1, 11, 0, PART, inits[1], now);
        hold(1, 11, 0);
        assertThat(arrived).hasSize(1);
        assertThat(holds.size()).isZero();
    }

    @Test
    void aPartItsSegmentsEndRulesOutIsGone() {
        feed.part(1, 11, 0, PART, inits[1], now);
        hold(1, 11, 1);
        hold(1, 11, 2);
        feed.partsEnd(0, 11, 1, PART, inits[0], now);
        assertThat(gone).as("another rendition's end").isEmpty();
        feed.partsEnd(1, 11, 1, PART, inits[1], now);
        assertThat(gone).containsExactly(1, 1);
        assertThat(holds.size()).isZero();
    }

    @Test
    void theStreamsEndAnswersEveryHeldPart() {
        feed.segment(10, 2, PART, inits, now);
        hold(0, 11, 0);
        hold(1, 11, 0);
        window.putComplete(EndMarkers.shards(2, 1, feed.nextSequence(), 11, now), io.stripecast.protocol.shard.EndOfStream.body());
        assertThat(gone).containsExactly(-1, -1);
    }

    @Test
    void aHoldClaimedByItsTimeoutIsNeverAnswered() {
        PartHolds.Hold hold = hold(1, 11, 0);
        assertThat(hold.claim()).isTrue();
        holds.forget(hold);
        feed.part(1, 11, 0, PART, inits[1], now);
        assertThat(arrived).isEmpty();
        assertThat(hold.claim()).isFalse();
    }

    @Test
    void aBlockingReloadOnAPartIsReleasedWhenThePlaylistListsIt() {
        LivePlaylist playlist = new LivePlaylist(window, 1);
        feed.segment(10, 3, PART, inits, now);
        List<Rendered> answers = new ArrayList<>();
        playlist.hold(11, 1, true, answers::add);
        // RFC 8216bis 6.2.5.2: past segment 10's last part (2) is part 0 of segment 11.
        playlist.hold(10, 5, true, answers::add);
        feed.part(1, 11, 0, PART, inits[1], now);
        assertThat(answers).singleElement().satisfies(r -> assertThat(r.parts().newestPart()).isZero());
        feed.part(0, 11, 1, PART, inits[0], now);
        assertThat(answers).as("rendition 0's part is not rendition 1's").hasSize(1);
        feed.part(1, 11, 1, PART, inits[1], now);
        assertThat(answers).hasSize(2);
        assertThat(answers.get(1).text()).contains("URI=\"r1-11.1.m4s\"\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"r1-11.2.m4s\"\n");
    }
}
