package io.stripecast.relay.playback;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.window.BufferPool;
import io.stripecast.relay.window.HeldBytes;
import io.stripecast.relay.window.SegmentWindow;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Segments as a relay rebuilds them: 2+1 shards in the window, the segment joined into a pooled array. */
final class RebuiltSegments {
    private RebuiltSegments() {
    }

    /** Puts segment {@code seq} (random bytes of {@code length}, seeded by {@code seed}) complete in the window. */
    static byte[] rebuild(SegmentWindow window, BufferPool pool, long seq, long ingestMillis, int length, long seed) {
        byte[] segment = new byte[length];
        new Random(seed).nextBytes(segment);
        SegmentMeta meta = SegmentMeta.newBuilder().setSequence(seq).setKind(SegmentKind.SEGMENT_KIND_MPEG_TS).setMediaSequence(seq)
                .setDurationMicros(1_000_000).setLength(length).setIngestTimeMillis(ingestMillis)
                .setSha256(ByteString.copyFrom(Shards.sha256(segment))).setK(2).setM(1).build();
        for (Shard s : Shards.encode(new StripeCodec(2, 1), meta, segment)) {
            window.offer(s);
        }
        HeldBytes joined = pool.take(length);
        System.arraycopy(segment, 0, joined.array(), 0, length);
        assertThat(window.complete(seq, joined, window.shardsOf(seq))).isTrue();
        return segment;
    }
}
