package io.stripecast.relay.push;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.grpc.KnownLength;
import io.stripecast.protocol.codec.Crc32c;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.protocol.v1.ShardPushMessage;
import io.stripecast.relay.window.BufferPool;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The receive takes a shard's CRC32C while it copies the bytes: the sum is of exactly the bytes the parser makes the
 * shard's data, however the stream splits its reads, and a message whose layout could make them differ (a data field
 * twice, a second shard field, a header longer than the head read first) gets no sum, so the validator takes it.
 */
class CrcWhileCopyingTest {
    private final ShardPushWire.OneCopyParser parser = new ShardPushWire.OneCopyParser(new BufferPool(64L << 20, true));

    /** A stream that knows its length and returns reads of random sizes, as one over gRPC's frames does. */
    private static InputStream known(byte[] bytes, Random random) {
        final class Known extends FilterInputStream implements KnownLength {
            Known() {
                super(new ByteArrayInputStream(bytes));
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 1 + random.nextInt(random.nextBoolean() ? 64 : 20_000)));
            }
        }
        return new Known();
    }

    private static SegmentMeta meta(Random random, int shaBytes) {
        byte[] sha = new byte[shaBytes];
        random.nextBytes(sha);
        return SegmentMeta.newBuilder().setSequence(1 + random.nextInt(1000)).setKind(SegmentKind.SEGMENT_KIND_MPEG_TS)
                .setMediaSequence(random.nextInt(1000)).setDurationMicros(1_000_000).setLength(1 + random.nextInt(1 << 20))
                .setSha256(ByteString.copyFrom(sha)).setK(2).setM(1).build();
    }

    private static byte[] bytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    @Test
    void theSumIsOfTheParsedShardsBytesWhateverTheReadsSizes() {
        Random random = new Random(20261207);
        for (int i = 0; i < 300; i++) {
            int size = switch (i % 4) {
                case 0 -> 1 + random.nextInt(100);
                case 1 -> 1 + random.nextInt(ShardPushWire.HEAD_BYTES);
                default -> 1 + random.nextInt(5 * ShardPushWire.CHUNK_BYTES);
            };
            Shard shard = Shard.newBuilder().setSegment(meta(random, 32)).setStripe(random.nextInt(3))
                    .setData(ByteString.copyFrom(bytes(random, size))).setCrc32C(random.nextInt()).build();
            ShardPushWire.Received received = parser.parse(known(ShardPushMessage.newBuilder().setShard(shard).build().toByteArray(), random));
            ByteString data = received.message().getShard().getData();
            assertThat(data).isEqualTo(shard.getData());
            assertThat(received.dataCrc()).as("message %d, %d shard bytes", i, size)
                    .isEqualTo(Integer.toUnsignedLong(Crc32c.of(data.toByteArray())));
            received.bytes().release();
        }
    }

    /** A shard's fields written by hand, in the order and number given: what a hostile parent could send. */
    private static byte[] shardFields(SegmentMeta meta, byte[]... datas) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CodedOutputStream o = CodedOutputStream.newInstance(out);
        o.writeMessage(1, meta);
        for (byte[] d : datas) {
            o.writeByteArray(3, d);
        }
        o.writeUInt32(4, Crc32c.of(datas[0]));
        o.flush();
        return out.toByteArray();
    }

    private static byte[] message(byte[]... shardFieldSets) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CodedOutputStream o = CodedOutputStream.newInstance(out);
        for (byte[] fields : shardFieldSets) {
            o.writeByteArray(2, fields);
        }
        o.flush();
        return out.toByteArray();
    }

    @Test
    void aDataFieldTwiceGetsNoSumFromTheCopy() throws IOException {
        Random random = new Random(7);
        byte[] first = bytes(random, 50_000);
        byte[] last = bytes(random, 50_000);
        ShardPushWire.Received received = parser.parse(known(message(shardFields(meta(random, 32), first, last)), random));
        // Protobuf keeps the last; a sum of the first would vouch for bytes the shard does not carry.
        assertThat(received.message().getShard().getData().toByteArray()).isEqualTo(last);
        assertThat(received.dataCrc()).isEqualTo(ShardPushWire.UNKNOWN_CRC);
    }

    @Test
    void aSecondShardFieldGetsNoSumFromTheCopy() throws IOException {
        Random random = new Random(8);
        SegmentMeta meta = meta(random, 32);
        byte[] first = bytes(random, 40_000);
        byte[] second = bytes(random, 40_000);
        ShardPushWire.Received received = parser.parse(known(message(shardFields(meta, first), shardFields(meta, second)), random));
        // Protobuf merges the two: the second's data wins.
        assertThat(received.message().getShard().getData().toByteArray()).isEqualTo(second);
        assertThat(received.dataCrc()).isEqualTo(ShardPushWire.UNKNOWN_CRC);
    }

    @Test
    void aHeaderLongerThanTheHeadGetsNoSumFromTheCopyAndParsesAsEver() throws IOException {
        Random random = new Random(9);
        byte[] data = bytes(random, 70_000);
        ShardPushWire.Received received = parser.parse(known(message(shardFields(meta(random, 2 * ShardPushWire.HEAD_BYTES), data)), random));
        assertThat(received.message().getShard().getData().toByteArray()).isEqualTo(data);
        assertThat(received.dataCrc()).isEqualTo(ShardPushWire.UNKNOWN_CRC);
    }
}
