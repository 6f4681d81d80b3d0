package io.stripecast.relay.rebuild;

import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.window.HeldBytes;

import java.nio.ByteBuffer;

/**
 * Whether a shard holds the bytes the true segment gives its stripe. Every shard that arrives after its segment was
 * rebuilt is checked so (one in three for k+m = 2+1), so it must cost little: a data shard is compared with its slice
 * of the segment in place (no copy) with {@link ByteBuffer#equals}, which the JDK vectorises (not {@code ByteString.equals}'
 * byte-at-a-time loop); a parity shard with its row of the code, built block by block from the segment's slices and
 * compared as it goes ({@link StripeCodec#parityMatches}): no copy of the data shards, no array for the row.
 */
final class ShardTruth {
    private ShardTruth() {
    }

    /** {@code segment}: read inside its window entry ({@code WindowEntry.enter}). */
    static boolean matches(StripeCodec codec, HeldBytes segment, Shard shard) {
        int stripe = shard.getStripe();
        int length = segment.length();
        ByteBuffer got = shard.getData().asReadOnlyByteBuffer();
        int shardLength = StripeCodec.shardLength(length, codec.k());
        if (got.remaining() != shardLength) {
            return false;
        }
        if (stripe >= codec.k()) {
            return codec.parityMatches(segment.array(), length, stripe, got);
        }
        int from = stripe * shardLength;
        int inSegment = Math.max(0, Math.min(shardLength, length - from));
        ByteBuffer head = got.duplicate().limit(got.position() + inSegment);
        if (!head.equals(ByteBuffer.wrap(segment.array(), Math.min(from, length), inSegment))) {
            return false;
        }
        // The last data shard is zero-padded past the segment's end.
        for (int i = got.position() + inSegment; i < got.limit(); i++) {
            if (got.get(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
