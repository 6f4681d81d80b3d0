package io.stripecast.relay.playback;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBufUtil;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.stream.StreamSpec;
import io.stripecast.relay.window.BufferPool;
import io.stripecast.relay.window.HeldBytes;
import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowEntry;
import io.stripecast.relay.window.WindowMemory;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A viewer's response is a view of the segment's pooled array: it keeps its bytes until the response is written,
 * however long a slow viewer takes and whatever the window and the pool do meanwhile, and not a moment longer.
 */
class EntryBodyTest {
    private static final int LENGTH = 300_007;
    private final BufferPool pool = new BufferPool(64L << 20, true);
    private final SegmentWindow window = new SegmentWindow(
            new StreamSpec("view", 2, 1, Duration.ofSeconds(10), Optional.empty(), Optional.empty(), Duration.ofSeconds(1)),
            1L << 30, new WindowMemory(Long.MAX_VALUE, 10_000, WindowMemory.Events.NONE, pool));
    private final long now = System.currentTimeMillis();

    /** A segment as a relay rebuilds it: shards in the window, the segment joined into a pooled array. */
    private byte[] rebuilt(long seq, long ingestMillis) {
        byte[] segment = new byte[LENGTH];
        new Random(seq).nextBytes(segment);
        SegmentMeta meta = SegmentMeta.newBuilder().setSequence(seq).setKind(SegmentKind.SEGMENT_KIND_MPEG_TS).setMediaSequence(seq)
                .setDurationMicros(1_000_000).setLength(LENGTH).setIngestTimeMillis(ingestMillis)
                .setSha256(ByteString.copyFrom(Shards.sha256(segment))).setK(2).setM(1).build();
        Shard[] shards = Shards.encode(new StripeCodec(2, 1), meta, segment);
        for (Shard s : shards) {
            window.offer(s);
        }
        HeldBytes joined = pool.take(LENGTH);
        System.arraycopy(segment, 0, joined.array(), 0, LENGTH);
        assertThat(window.complete(seq, joined, window.shardsOf(seq))).isTrue();
        return segment;
    }

    @Test
    void aSlowViewersBodyKeepsItsBytesUntilWrittenAndGivesThemBackThen() {
        byte[] first = rebuilt(1, now);
        WindowEntry entry = window.entry(1);
        byte[] array = entry.segment().array();
        EntryBody body = EntryBody.of(entry);

        // The viewer reads slowly: the segment leaves the window and newer ones are rebuilt into pooled arrays.
        for (int seq = 2; seq < 6; seq++) {
            rebuilt(seq, now + 11_000);
        }
        assertThat(window.entry(1)).isNull();
        assertThat(ByteBufUtil.getBytes(body.body())).as("what the slow viewer still gets").isEqualTo(first);
        assertThat(EntryBody.of(entry)).as("a request after it left finds nothing").isNull();

        body.written();
        body.written();
        assertThat(ByteBufUtil.getBytes(body.body())).as("given back (and poisoned) once written").isNotEqualTo(first);
        long misses = pool.misses();
        boolean handedOutAgain = false;
        while (pool.misses() == misses) {
            handedOutAgain |= pool.take(LENGTH).array() == array;
        }
        assertThat(handedOutAgain).isTrue();
    }
}
