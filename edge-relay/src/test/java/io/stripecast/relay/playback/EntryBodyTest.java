package io.stripecast.relay.playback;

import io.netty.buffer.ByteBufUtil;
import io.stripecast.relay.stream.StreamSpec;
import io.stripecast.relay.window.BufferPool;
import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowEntry;
import io.stripecast.relay.window.WindowMemory;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;

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

    private byte[] rebuilt(long seq, long ingestMillis) {
        return RebuiltSegments.rebuild(window, pool, seq, ingestMillis, LENGTH, seq);
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
