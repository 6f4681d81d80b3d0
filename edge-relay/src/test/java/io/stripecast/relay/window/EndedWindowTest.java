package io.stripecast.relay.window;

import io.stripecast.protocol.shard.EndOfStream;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.relay.EndMarkers;
import io.stripecast.relay.stream.StreamSpec;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** An ended stream keeps its whole window for one window length after its end, then releases it; numbering goes on. */
class EndedWindowTest {
    private static final StreamSpec SPEC = new StreamSpec("live", 2, 1, Duration.ofSeconds(10), Optional.empty(), Optional.empty(),
            Duration.ofSeconds(1));

    private static void media(SegmentWindow w, long seq, long ingestMillis) {
        byte[] bytes = ("segment-" + seq).repeat(100).getBytes();
        w.putComplete(io.stripecast.protocol.shard.Shards.encode(new io.stripecast.protocol.codec.StripeCodec(2, 1),
                SegmentWindowTest.meta(seq, SegmentKind.SEGMENT_KIND_MPEG_TS, ingestMillis, 0, bytes), bytes), bytes);
    }

    @Test
    void anEndedWindowIsKeptWholeForOneWindowThenReleased() {
        SegmentWindow w = new SegmentWindow(SPEC, 1 << 30);
        media(w, 1, 1_000);
        media(w, 2, 2_000);
        w.putComplete(EndMarkers.shards(2, 1, 3, 3, 2_100), EndOfStream.body());
        assertThat(w.expireEnded(11_000)).isFalse();
        assertThat(w.size()).isEqualTo(3);
        assertThat(w.expireEnded(12_100)).isTrue();
        assertThat(w.size()).isZero();
        assertThat(w.bytes()).isZero();
        // A later run never reuses a number: a relay resubscribes after the marker.
        assertThat(w.evictedBelow()).isEqualTo(4);
        assertThat(w.firstLacking(0)).isEqualTo(4);
    }

    @Test
    void aLiveWindowIsNeverExpiredByTheClock() {
        SegmentWindow w = new SegmentWindow(SPEC, 1 << 30);
        media(w, 1, 1_000);
        assertThat(w.expireEnded(1_000_000)).isFalse();
        assertThat(w.size()).isEqualTo(1);
    }
}
