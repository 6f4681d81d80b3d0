package io.stripecast.relay.ingest;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** How the ingest dates media time: by the fastest part seen, never flattered by a late one, anchored again on a jump. */
class MediaClockTest {
    private static final long T = 1_796_000_000_000L;

    @Test
    void theFastestPartSetsTheDateAndALateOneLeavesIt() {
        MediaClock clock = new MediaClock();
        assertThat(clock.learn(0, 200_000, T + 250)).as("first part: 50 ms after its end").isEqualTo(T + 50);
        assertThat(clock.learn(200_000, 200_000, T + 420)).as("a faster one: 20 ms after its end").isEqualTo(T + 20 + 200);
        assertThat(clock.learn(400_000, 200_000, T + 1_500)).as("a part 0.9 s late changes nothing").isEqualTo(T + 20 + 400);
    }

    @Test
    void aJumpOfTheTimelineOrANewRunAnchorsAgain() {
        MediaClock clock = new MediaClock();
        clock.learn(0, 200_000, T + 200);
        assertThat(clock.learn(3_600_000_000L, 200_000, T + 400)).as("an hour ahead on the media timeline: a new timeline")
                .isEqualTo(T + 400 - 200);
        clock.reset();
        assertThat(clock.learn(0, 200_000, T + 10_000)).as("after a reset the next part anchors").isEqualTo(T + 9_800);
    }
}
