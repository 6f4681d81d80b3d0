package io.stripecast.relay.rebuild;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.window.HeldBytes;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** A late shard is true exactly when it is the codec's shard of the rebuilt segment, padding included. */
class ShardTruthTest {

    @ParameterizedTest(name = "k={0} m={1} length={2}")
    @CsvSource({"2,1,100000", "2,1,99999", "3,2,65537", "3,2,1", "6,3,1000003"})
    void everyTrueShardMatchesAndEveryChangedByteIsFound(int k, int m, int length) {
        StripeCodec codec = new StripeCodec(k, m);
        byte[] segment = new byte[length];
        Random rnd = new Random(length);
        rnd.nextBytes(segment);
        SegmentMeta meta = SegmentMeta.newBuilder().setSequence(1).setLength(length).setK(k).setM(m).build();
        Shard[] shards = Shards.encode(codec, meta, segment);
        for (Shard s : shards) {
            assertThat(ShardTruth.matches(codec, HeldBytes.of(segment), s)).as("stripe %d", s.getStripe()).isTrue();
            byte[] data = s.getData().toByteArray();
            // The first byte, the last (padding, in a padded last data shard) and one at random.
            for (int at : new int[]{0, data.length - 1, rnd.nextInt(data.length)}) {
                byte[] lie = data.clone();
                lie[at] ^= 0x40;
                assertThat(ShardTruth.matches(codec, HeldBytes.of(segment), Shards.of(meta, s.getStripe(), lie)))
                        .as("stripe %d, byte %d changed", s.getStripe(), at).isFalse();
            }
            Shard shorter = s.toBuilder().setData(ByteString.copyFrom(data, 0, data.length - 1)).build();
            assertThat(ShardTruth.matches(codec, HeldBytes.of(segment), shorter)).as("stripe %d one byte short", s.getStripe()).isFalse();
        }
    }
}
