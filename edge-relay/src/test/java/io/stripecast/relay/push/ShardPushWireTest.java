package io.stripecast.relay.push;

import com.google.protobuf.ByteString;
import io.grpc.KnownLength;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.ShardPushMessage;
import io.stripecast.protocol.v1.SubscribeAccepted;
import io.stripecast.relay.window.BufferPool;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The child's one-copy parser gives the message gRPC's own marshaller gives, its shard's bytes a view of one pooled
 * array, and refuses what that one refuses.
 */
class ShardPushWireTest {
    /** Poisoned: an array given back is overwritten at once, so a view that outlived it would show. */
    private final BufferPool pool = new BufferPool(64L << 20, true);
    private final ShardPushWire.OneCopyParser parser = new ShardPushWire.OneCopyParser(pool);

    /** gRPC hands a marshaller a stream that knows its length (and reads in pieces, as a stream over frames does). */
    private static InputStream known(byte[] bytes) {
        final class Known extends FilterInputStream implements KnownLength {
            Known() {
                super(new ByteArrayInputStream(bytes));
            }

            @Override
            public int read(byte[] b, int off, int len) throws java.io.IOException {
                return super.read(b, off, Math.min(len, 4096));
            }
        }
        return new Known();
    }

    private static ShardPushMessage shardMessage() {
        byte[] segment = new byte[200_001];
        new Random(1).nextBytes(segment);
        SegmentMeta meta = SegmentMeta.newBuilder().setSequence(5).setKind(SegmentKind.SEGMENT_KIND_MPEG_TS).setMediaSequence(5)
                .setDurationMicros(1_000_000).setLength(segment.length).setSha256(ByteString.copyFrom(Shards.sha256(segment)))
                .setK(2).setM(1).build();
        return ShardPushMessage.newBuilder().setShard(Shards.encode(new StripeCodec(2, 1), meta, segment)[2]).build();
    }

    @Test
    void parsesAShardAsTheStandardMarshallerDoes() {
        ShardPushMessage sent = shardMessage();
        byte[] wire = sent.toByteArray();
        ShardPushWire.Received received = parser.parse(known(wire));
        ShardPushMessage parsed = received.message();
        assertThat(parsed).isEqualTo(sent);
        assertThat(Shards.crcMatches(parsed.getShard())).isTrue();
        assertThat(received.bytes().pooled()).isTrue();
        // The bytes are a view of the message's buffer, not of the caller's array: changing that array later
        // (gRPC reuses nothing it handed over, but a stream over frames could) does not change the shard.
        byte[] data = parsed.getShard().getData().toByteArray();
        Arrays.fill(wire, (byte) 0);
        assertThat(parsed.getShard().getData().toByteArray()).isEqualTo(data);
    }

    @Test
    void theShardsBytesAreCopiedOnceIntoAPooledArrayAndNothingMessageSizedIsAllocated() {
        ShardPushMessage sent = shardMessage();
        byte[] wire = sent.toByteArray();
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        for (int warm = 0; warm < 20; warm++) {
            parser.parse(known(wire)).bytes().release();
        }
        long before = threads.getThreadAllocatedBytes(id);
        ShardPushWire.Received received = parser.parse(known(wire));
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        assertThat(received.message()).isEqualTo(sent);
        // The message went into an array the pool had (the one copy); a copy of the shard's bytes anywhere else would
        // allocate at least the shard.
        assertThat(allocated).as("bytes allocated to parse a %d-byte message", wire.length).isLessThan(wire.length / 10);
        // The shard's bytes are a view of that array: given back (and poisoned), the view shows it.
        byte[] data = received.message().getShard().getData().toByteArray();
        received.bytes().release();
        assertThat(received.message().getShard().getData().toByteArray()).isNotEqualTo(data);
    }

    @Test
    void theMetadataIsTheShardsOwnAndOutlivesThePooledArray() {
        ShardPushMessage sent = shardMessage();
        ShardPushWire.Received received = parser.parse(known(sent.toByteArray()));
        received.bytes().release();
        // Kept by the trust cache and the playlists long after the entry gave its arrays back: never a view of one.
        assertThat(received.message().getShard().getSegment()).isEqualTo(sent.getShard().getSegment());
        assertThat(received.message().getShard().getSegment().getSha256().toByteArray())
                .isEqualTo(sent.getShard().getSegment().getSha256().toByteArray());
    }

    @Test
    void parsesFromAStreamOfUnknownLengthToo() {
        ShardPushMessage accepted = ShardPushMessage.newBuilder().setAccepted(SubscribeAccepted.newBuilder().setK(2).setM(1)
                .setWindowStart(3).setWindowEnd(9).setFirstSequence(4)).build();
        assertThat(parser.parse(new ByteArrayInputStream(accepted.toByteArray())).message()).isEqualTo(accepted);
    }

    @Test
    void aTruncatedMessageIsAnInternalError() {
        byte[] wire = shardMessage().toByteArray();
        byte[] cut = Arrays.copyOf(wire, wire.length - 1000);
        assertThatThrownBy(() -> parser.parse(known(cut)))
                .isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode()).isEqualTo(Status.Code.INTERNAL));
    }

    @Test
    void aStreamShorterThanItsDeclaredLengthIsAnInternalError() {
        byte[] wire = shardMessage().toByteArray();
        InputStream lying = new FilterInputStream(new ByteArrayInputStream(wire, 0, 100)) {
            @Override
            public int available() {
                return wire.length;
            }
        };
        final class LyingKnown extends FilterInputStream implements KnownLength {
            LyingKnown() {
                super(lying);
            }
        }
        assertThatThrownBy(() -> parser.parse(new LyingKnown()))
                .isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode()).isEqualTo(Status.Code.INTERNAL));
    }
}
