package io.stripecast.relay.window;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.stream.StreamSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A complete entry holds the segment's bytes once: its data shards become views of the segment (issue 17's data path),
 * so the window counts segment + parity, and every shard it hands a child is still byte for byte the shard the codec
 * makes (CRC included).
 */
class SharedSegmentBytesTest {

    private static StreamSpec spec(int k, int m) {
        return new StreamSpec("live", k, m, Duration.ofSeconds(10), Optional.empty(), Optional.empty(), Duration.ofSeconds(1));
    }

    private static byte[] bytes(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static SegmentMeta meta(long seq, byte[] segment, int k, int m) {
        return SegmentWindowTest.meta(seq, SegmentKind.SEGMENT_KIND_MPEG_TS, System.currentTimeMillis(), 0, segment).toBuilder()
                .setK(k).setM(m).build();
    }

    @ParameterizedTest(name = "k={0} m={1} length={2}")
    @CsvSource({"2,1,100000", "2,1,100001", "3,2,65536", "3,2,65537", "6,3,1000003"})
    void aRebuiltEntryCountsTheSegmentOnceAndServesTheSameShards(int k, int m, int length) {
        StripeCodec codec = new StripeCodec(k, m);
        byte[] segment = bytes(length, length);
        Shard[] truth = Shards.encode(codec, meta(7, segment, k, m), segment);
        SegmentWindow w = new SegmentWindow(spec(k, m), 1 << 30);
        for (Shard s : truth) {
            // As received from a parent: each shard's bytes in a buffer of its own.
            w.offer(s.toBuilder().setData(ByteString.copyFrom(s.getData().toByteArray())).build());
        }
        long shardBytes = (long) (k + m) * truth[0].getData().size();
        assertThat(w.bytes()).isEqualTo(shardBytes);

        Shard[] used = w.shardsOf(7);
        Shard[] before = used.clone();
        assertThat(w.complete(7, HeldBytes.of(segment.clone()), used)).isTrue();

        int shardLength = truth[0].getData().size();
        int views = 0;
        for (int i = 0; i < k; i++) {
            if ((long) (i + 1) * shardLength <= length) {
                views++;
                assertThat(used[i]).as("stripe %d is a view now, and the caller is told", i).isNotSameAs(before[i]).isSameAs(w.shard(7, i));
            } else {
                assertThat(used[i]).as("the padded last data shard keeps its own bytes").isSameAs(before[i]);
            }
        }
        assertThat(w.bytes()).isEqualTo(length + shardBytes - (long) views * shardLength);
        for (int i = 0; i < k + m; i++) {
            assertThat(w.shard(7, i)).as("stripe %d", i).isEqualTo(truth[i]);
            assertThat(Shards.crcMatches(w.shard(7, i))).isTrue();
        }
    }

    @ParameterizedTest(name = "k={0} m={1} length={2}")
    @CsvSource({"2,1,100000", "3,2,65537"})
    void anIngestedEntryHoldsTheSegmentAndItsParityOnly(int k, int m, int length) {
        StripeCodec codec = new StripeCodec(k, m);
        byte[] segment = bytes(length, 3);
        Shard[] shards = Shards.encode(codec, meta(9, segment, k, m), segment);
        SegmentWindow w = new SegmentWindow(spec(k, m), 1 << 30);
        w.putComplete(shards, segment);
        int shardLength = shards[0].getData().size();
        long views = length / shardLength;
        assertThat(w.bytes()).isEqualTo(length + (long) (k + m - views) * shardLength);
        for (int i = 0; i < k + m; i++) {
            assertThat(w.shard(9, i)).isEqualTo(shards[i]);
        }
    }

    @ParameterizedTest(name = "k={0} m={1}")
    @CsvSource({"2,1", "3,2"})
    void replacingAViewCountsOnlyTheNewShard(int k, int m) {
        StripeCodec codec = new StripeCodec(k, m);
        byte[] segment = bytes(30_000, 5);
        Shard[] shards = Shards.encode(codec, meta(4, segment, k, m), segment);
        SegmentWindow w = new SegmentWindow(spec(k, m), 1 << 30);
        w.putComplete(shards, segment);
        long before = w.bytes();
        w.replaceShard(4, shards[0].toBuilder().setData(ByteString.copyFrom(shards[0].getData().toByteArray())).build());
        assertThat(w.bytes()).isEqualTo(before + shards[0].getData().size());
        w.close();
    }
}
