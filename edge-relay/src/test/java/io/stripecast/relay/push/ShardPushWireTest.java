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
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The child's one-copy parser gives the message gRPC's own marshaller gives, and refuses what that one refuses. */
class ShardPushWireTest {
    private final ShardPushWire.OneCopyParser parser = new ShardPushWire.OneCopyParser();

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
        ShardPushMessage parsed = parser.parse(known(wire));
        assertThat(parsed).isEqualTo(sent);
        assertThat(Shards.crcMatches(parsed.getShard())).isTrue();
        // The bytes are a view of the message's buffer, not of the caller's array: changing that array later
        // (gRPC reuses nothing it handed over, but a stream over frames could) does not change the shard.
        byte[] data = parsed.getShard().getData().toByteArray();
        Arrays.fill(wire, (byte) 0);
        assertThat(parsed.getShard().getData().toByteArray()).isEqualTo(data);
    }

    @Test
    void theShardsBytesAreCopiedOnceNotTwice() {
        ShardPushMessage sent = shardMessage();
        byte[] wire = sent.toByteArray();
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        for (int warm = 0; warm < 20; warm++) {
            parser.parse(known(wire));
        }
        long before = threads.getThreadAllocatedBytes(id);
        ShardPushMessage parsed = parser.parse(known(wire));
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        assertThat(parsed).isEqualTo(sent);
        // One buffer for the message, the shard's bytes a view of it; a second copy would double this.
        assertThat(allocated).as("bytes allocated to parse a %d-byte message", wire.length)
                .isGreaterThanOrEqualTo(wire.length).isLessThan(wire.length + wire.length / 4);
    }

    @Test
    void parsesFromAStreamOfUnknownLengthToo() {
        ShardPushMessage accepted = ShardPushMessage.newBuilder().setAccepted(SubscribeAccepted.newBuilder().setK(2).setM(1)
                .setWindowStart(3).setWindowEnd(9).setFirstSequence(4)).build();
        assertThat(parser.parse(new ByteArrayInputStream(accepted.toByteArray()))).isEqualTo(accepted);
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
