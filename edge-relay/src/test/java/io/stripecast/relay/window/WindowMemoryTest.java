package io.stripecast.relay.window;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.TestStreams;
import io.stripecast.relay.stream.StreamSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WindowMemoryTest {
    private static final StripeCodec CODEC = new StripeCodec(2, 1);

    private static StreamSpec spec(String name) {
        // A long window: only the budget evicts here, never the window's duration.
        return new StreamSpec(name, 2, 1, Duration.ofMinutes(10), Optional.empty(), Optional.empty(), Duration.ofSeconds(1));
    }

    private static Shard[] shards(long seq, int bytes, long ingestMillis) {
        byte[] segment = new byte[bytes];
        new Random(seq).nextBytes(segment);
        SegmentMeta meta = SegmentMeta.newBuilder().setSequence(seq).setKind(SegmentKind.SEGMENT_KIND_MPEG_TS).setMediaSequence(seq)
                .setDurationMicros(1_000_000).setLength(bytes).setIngestTimeMillis(ingestMillis)
                .setSha256(ByteString.copyFrom(Shards.sha256(segment))).setK(2).setM(1).build();
        return Shards.encode(CODEC, meta, segment);
    }

    /**
     * The ingest's way in: a whole segment (bytes) plus its parity shard (0.5 x bytes); its data shards are views of the
     * segment, not counted twice: 1.5 x bytes (sizes here are even, so no data shard is padded).
     */
    private static void ingest(SegmentWindow w, long seq, int bytes) {
        Shard[] s = shards(seq, bytes, 1_000 + seq);
        byte[] segment = new byte[bytes];
        new Random(seq).nextBytes(segment);
        w.putComplete(s, segment);
    }

    @Test
    void theBudgetHoldsAcrossStreamsAndTheLargestWindowsOldestSegmentsGoFirst() {
        TestStreams t = new TestStreams(600_000, 10_000);
        SegmentWindow big = new SegmentWindow(spec("big"), 1L << 30, t.memory);
        SegmentWindow small = new SegmentWindow(spec("small"), 1L << 30, t.memory);
        // 10 kB segments hold 15 kB each, 40 kB ones 60 kB: the budget fits 40 segments of the small stream.
        long seq = 1;
        for (int round = 0; round < 8; round++) {
            ingest(big, seq++, 40_000);
            ingest(small, seq++, 10_000);
            assertThat(t.memory.held()).isLessThanOrEqualTo(600_000);
        }
        // 8 x 60 kB + 8 x 15 kB = exactly the budget: nothing evicted yet.
        assertThat(t.count("stripecast.relay.window.budget.evictions")).isZero();
        ingest(small, seq++, 10_000);
        assertThat(t.count("stripecast.relay.window.budget.evictions", "stream", "big"))
                .as("the largest window gives its oldest segment").isEqualTo(1);
        assertThat(t.count("stripecast.relay.window.budget.evictions", "stream", "small")).isZero();
        assertThat(big.firstSequence()).isEqualTo(3);
        assertThat(small.firstSequence()).isEqualTo(2);
        assertThat(t.memory.held()).isEqualTo(big.bytes() + small.bytes()).isLessThanOrEqualTo(600_000);

        for (int round = 0; round < 60; round++) {
            ingest(big, seq++, 40_000);
            ingest(small, seq++, 10_000);
            assertThat(t.memory.held()).as("round %d", round).isLessThanOrEqualTo(600_000);
        }
        // Both windows still hold their live edge (three target durations of 1 s segments): nobody evicts it
        // while the big window has anything older.
        assertThat(big.size()).isGreaterThanOrEqualTo(WindowMemory.LIVE_EDGE_TARGET_DURATIONS);
        assertThat(small.size()).isGreaterThanOrEqualTo(WindowMemory.LIVE_EDGE_TARGET_DURATIONS);
        assertThat(big.lastSequence()).isEqualTo(seq - 2);
        assertThat(small.lastSequence()).isEqualTo(seq - 1);
        assertThat(t.memory.held()).isEqualTo(big.bytes() + small.bytes());
        assertThat(t.count("stripecast.relay.window.refused")).isZero();
    }

    @Test
    void theLiveEdgeGoesOnlyWhenNothingOlderIsLeftAndTheNewestSegmentNever() {
        // 150 kB: one stream's 60 kB segments, its live edge (3) alone does not fit.
        TestStreams t = new TestStreams(150_000, 10_000);
        SegmentWindow a = new SegmentWindow(spec("a"), 1L << 30, t.memory);
        SegmentWindow b = new SegmentWindow(spec("b"), 1L << 30, t.memory);
        for (long seq = 1; seq <= 20; seq += 2) {
            ingest(a, seq, 40_000);
            ingest(b, seq + 1, 10_000);
            assertThat(t.memory.held()).isLessThanOrEqualTo(150_000);
            assertThat(a.lastSequence()).as("a's newest segment is held").isEqualTo(seq);
            assertThat(a.entry(seq).isComplete()).isTrue();
            assertThat(b.lastSequence()).isEqualTo(seq + 1);
        }
        assertThat(b.size()).as("the small window kept its live edge; the big one paid").isGreaterThanOrEqualTo(3);
        assertThat(t.count("stripecast.relay.window.refused")).isZero();

        // A segment larger than the whole budget cannot be taken without losing every stream's newest: refused.
        ingest(a, 101, 120_000);
        assertThat(a.entry(101)).isNull();
        assertThat(t.count("stripecast.relay.window.refused", "stream", "a")).isEqualTo(1);
        assertThat(a.lastSequence()).isEqualTo(19);
        assertThat(b.lastSequence()).isEqualTo(20);
    }

    @Test
    void incompleteSegmentsCountAgainstTheBudgetAndExpire() {
        TestStreams t = new TestStreams(Long.MAX_VALUE, 5_000);
        SegmentWindow w = new SegmentWindow(spec("live"), 1L << 30, t.memory);
        Shard[] s = shards(7, 30_000, 1_000);
        assertThat(w.offer(s[0])).isEqualTo(SegmentWindow.Offer.ADDED);
        ingest(w, 8, 1_000);
        long shardBytes = s[0].getData().size();
        assertThat(t.memory.held()).isEqualTo(w.bytes()).isEqualTo(shardBytes + 1_500);

        long now = System.currentTimeMillis();
        assertThat(t.memory.expireIncomplete(now)).as("not yet: 5 s bound").isZero();
        assertThat(t.memory.expireIncomplete(now + 5_100)).isEqualTo(1);
        assertThat(w.entry(7)).isNull();
        assertThat(w.entry(8)).as("complete segments never expire this way").isNotNull();
        assertThat(t.memory.held()).isEqualTo(1_500);
        assertThat(t.count("stripecast.relay.window.incomplete.expired", "stream", "live")).isEqualTo(1);
        assertThat(t.count("stripecast.relay.window.incomplete.expired.bytes", "stream", "live")).isEqualTo(shardBytes);
        // A parent replaying its window does not bring the expired segment back.
        assertThat(w.offer(s[1])).isEqualTo(SegmentWindow.Offer.TOO_OLD);
        assertThat(t.memory.held()).isEqualTo(1_500);
    }

    @Test
    void incompleteSegmentsAreEvictedForTheBudgetLikeAnyOther() {
        TestStreams t = new TestStreams(100_000, 60_000);
        SegmentWindow w = new SegmentWindow(spec("live"), 1L << 30, t.memory);
        // Shards that never complete (one of k = 2), newest first in line to stay.
        for (long seq = 1; seq <= 40; seq++) {
            w.offer(shards(seq, 20_000, 1_000 + seq)[0]);
            assertThat(t.memory.held()).isLessThanOrEqualTo(100_000);
        }
        assertThat(w.lastSequence()).isEqualTo(40);
        assertThat(w.size()).isEqualTo(10);
        assertThat(t.count("stripecast.relay.window.budget.evictions", "stream", "live")).isEqualTo(30);
    }

    @Test
    void aStreamLeavingReleasesItsShareOfTheBudget() {
        TestStreams t = new TestStreams(1_000_000, 10_000);
        SegmentWindow a = new SegmentWindow(spec("a"), 1L << 30, t.memory);
        SegmentWindow b = new SegmentWindow(spec("b"), 1L << 30, t.memory);
        ingest(a, 1, 10_000);
        ingest(b, 2, 10_000);
        a.close();
        assertThat(t.memory.held()).isEqualTo(15_000);
        a.close();
        assertThat(t.memory.held()).isEqualTo(15_000);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void underAnyMixOfStreamsTheBudgetHoldsAndEveryStreamKeepsItsNewestSegment(long seed) {
        Random rnd = new Random(seed);
        long budget = 200_000 + rnd.nextInt(800_000);
        TestStreams t = new TestStreams(budget, 10_000);
        int n = 2 + rnd.nextInt(4);
        List<SegmentWindow> windows = new ArrayList<>();
        int[] sizes = new int[n];
        for (int i = 0; i < n; i++) {
            windows.add(new SegmentWindow(spec("s" + i), 1L << 30, t.memory));
            // What eviction never takes (each stream's newest complete segment and newest entry, at most 2.5 x its
            // size each: an incomplete entry may hold all k + m shards) plus one more segment fits in the budget.
            sizes[i] = 1_000 + rnd.nextInt((int) (budget / (6L * (n + 1))));
        }
        long[] newest = new long[n];
        for (long seq = 1; seq <= 400; seq++) {
            int i = rnd.nextInt(n);
            if (rnd.nextInt(4) == 0) {
                windows.get(i).offer(shards(seq, sizes[i], 1_000 + seq)[rnd.nextInt(3)]); // never completes
            } else {
                ingest(windows.get(i), seq, sizes[i]);
                newest[i] = seq;
            }
            assertThat(t.memory.held()).as("seed %d budget %d after %d", seed, budget, seq).isLessThanOrEqualTo(budget);
            long sum = windows.stream().mapToLong(SegmentWindow::bytes).sum();
            assertThat(t.memory.held()).as("seed %d: the budget counts every window's bytes", seed).isEqualTo(sum);
            for (int j = 0; j < n; j++) {
                if (newest[j] != 0) {
                    WindowEntry e = windows.get(j).entry(newest[j]);
                    assertThat(e).as("seed %d: stream %d keeps its newest complete segment %d", seed, j, newest[j]).isNotNull();
                    assertThat(e.isComplete()).isTrue();
                }
            }
        }
        assertThat(t.count("stripecast.relay.window.refused")).as("seed %d", seed).isZero();
    }

    @Test
    void theBudgetSettingIsAShareOfTheHeapOrBytes() {
        assertThat(WindowMemory.parseBudget("50%", 256L << 20)).isEqualTo(128L << 20);
        assertThat(WindowMemory.parseBudget("12.5%", 800)).isEqualTo(100);
        assertThat(WindowMemory.parseBudget("1048576", 1)).isEqualTo(1L << 20);
        assertThat(WindowMemory.parseBudget("64m", 1)).isEqualTo(64L << 20);
        assertThat(WindowMemory.parseBudget("2G", 1)).isEqualTo(2L << 30);
        assertThat(WindowMemory.parseBudget("512k", 1)).isEqualTo(512L << 10);
        for (String bad : new String[]{"0%", "101%", "-1", "0", "lots", "", "9999999999g"}) {
            assertThatThrownBy(() -> WindowMemory.parseBudget(bad, 1L << 30)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
