package io.stripecast.relay.window;

import com.google.protobuf.UnsafeByteOperations;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.stream.StreamSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Who gives a pooled array back, and when (issue 17's buffers with owners): a window entry gives its arrays back only
 * once it has left its window and the last reader inside has exited; an array it stops holding while it stays goes back
 * when no reader is inside; an array the window refuses goes back at once. The pool is poisoned: an array given back
 * is overwritten at once, so bytes read after that would show it.
 */
class BufferLifetimeTest {
    private static final int LENGTH = 100_003;
    private final BufferPool pool = new BufferPool(64L << 20, true);
    private final SegmentWindow window = new SegmentWindow(
            new StreamSpec("life", 2, 1, Duration.ofSeconds(10), Optional.empty(), Optional.empty(), Duration.ofSeconds(1)),
            1L << 30, new WindowMemory(Long.MAX_VALUE, 10_000, WindowMemory.Events.NONE, pool));
    private final StripeCodec codec = new StripeCodec(2, 1);

    /** A shard as the wire parser makes it: its bytes a view, at an offset, of an array from the pool. */
    private record Received(Shard shard, HeldBytes bytes) {
    }

    private Received received(Shard truth) {
        byte[] data = truth.getData().toByteArray();
        HeldBytes held = pool.take(data.length + 17);
        System.arraycopy(data, 0, held.array(), 17, data.length);
        Shard shard = truth.toBuilder().setData(UnsafeByteOperations.unsafeWrap(held.array(), 17, data.length)).build();
        return new Received(shard, held);
    }

    private static byte[] bytes(long seed) {
        byte[] b = new byte[LENGTH];
        new Random(seed).nextBytes(b);
        return b;
    }

    private Shard[] shards(long seq, long ingestMillis, byte[] segment) {
        SegmentMeta meta = SegmentWindowTest.meta(seq, SegmentKind.SEGMENT_KIND_MPEG_TS, ingestMillis, 0, segment);
        return Shards.encode(codec, meta, segment);
    }

    /** As the assembler does with every data shard here: the segment joined into an array of the pool. */
    private HeldBytes joined(byte[] segment) {
        HeldBytes held = pool.take(segment.length);
        System.arraycopy(segment, 0, held.array(), 0, segment.length);
        return held;
    }

    private static boolean poisoned(byte[] array) {
        for (byte b : array) {
            if (b != 0x5A) {
                return false;
            }
        }
        return true;
    }

    /** Takes arrays of a class until the pool has none left, keeping them (so nothing taken goes back meanwhile). */
    private List<byte[]> drain(int length) {
        List<byte[]> taken = new ArrayList<>();
        long before = pool.misses();
        while (pool.misses() == before) {
            taken.add(pool.take(length).array());
        }
        return taken;
    }

    @Test
    void aSegmentThatLeftTheWindowKeepsItsBytesUntilItsLastReaderExits() {
        long now = System.currentTimeMillis();
        byte[] a = bytes(1);
        Shard[] truth = shards(1, now, a);
        Shard[] used = new Shard[3];
        for (int i = 0; i < 3; i++) {
            Received r = received(truth[i]);
            assertThat(window.offer(r.shard(), r.bytes())).isEqualTo(SegmentWindow.Offer.ADDED);
            used[i] = r.shard();
        }
        assertThat(window.complete(1, joined(a), used)).isTrue();

        WindowEntry reader = window.enter(1);
        WindowEntry second = window.enter(1);
        assertThat(reader).isNotNull().isSameAs(second);
        byte[] array = reader.segment().array();
        // A newer segment past the 10 s window pushes the first out.
        byte[] b = bytes(2);
        for (Shard s : shards(2, now + 11_000, b)) {
            Received r = received(s);
            window.offer(r.shard(), r.bytes());
        }
        assertThat(window.entry(1)).as("left the window").isNull();

        List<byte[]> taken = drain(LENGTH);
        assertThat(taken).as("the pool never hands out an array a reader is inside").noneMatch(t -> t == array);
        assertThat(reader.segment().toByteArray()).as("still the segment for the readers inside").isEqualTo(a);
        second.exit();
        assertThat(reader.segment().toByteArray()).as("one reader still inside").isEqualTo(a);
        reader.exit();
        assertThat(poisoned(array)).as("given back when the last reader left").isTrue();
        assertThat(drain(LENGTH)).as("and handed out again").anyMatch(t -> t == array);
        assertThat(reader.enter()).as("a reader holding it from an older snapshot may not come in").isFalse();
    }

    @Test
    void aDataShardsMessageGoesBackOnceItIsAViewOfTheSegmentAndNoReaderIsInside() {
        long now = System.currentTimeMillis();
        byte[] a = bytes(3);
        Shard[] truth = shards(7, now, a);
        Received data0 = received(truth[0]);
        Received data1 = received(truth[1]);
        window.offer(data0.shard(), data0.bytes());
        window.offer(data1.shard(), data1.bytes());

        // A child stream inside, sending the received shard 0 (not yet a view of the segment).
        WindowEntry child = window.enter(7);
        Shard sending = window.shard(7, 0);
        assertThat(sending).isSameAs(data0.shard());

        Shard[] used = {data0.shard(), data1.shard(), null};
        assertThat(window.complete(7, joined(a), used)).isTrue();
        assertThat(window.shard(7, 0)).as("now a view of the segment").isNotSameAs(data0.shard());
        assertThat(sending.getData().toByteArray()).as("the message's array stays while the child is inside")
                .isEqualTo(truth[0].getData().toByteArray());
        assertThat(poisoned(data0.bytes().array())).isFalse();

        child.exit();
        assertThat(poisoned(data0.bytes().array())).as("given back as the child left").isTrue();
        // Shard 1 is the zero-padded last data shard (100,003 bytes in two shards of 50,002): it is no view of the
        // segment, so its message stays held with the entry.
        assertThat(poisoned(data1.bytes().array())).as("the padded last data shard keeps its message").isFalse();
        WindowEntry later = window.enter(7);
        assertThat(later.segment().toByteArray()).as("the entry itself is whole").isEqualTo(a);
        assertThat(window.shard(7, 0).getData().toByteArray()).isEqualTo(truth[0].getData().toByteArray());
        assertThat(Shards.crcMatches(window.shard(7, 1))).isTrue();
        later.exit();
    }

    @Test
    void anArrayTheWindowRefusesGoesBackAtOnce() {
        long now = System.currentTimeMillis();
        Shard[] truth = shards(9, now, bytes(4));
        Received first = received(truth[2]);
        Received duplicate = received(truth[2]);
        assertThat(window.offer(first.shard(), first.bytes())).isEqualTo(SegmentWindow.Offer.ADDED);
        assertThat(window.offer(duplicate.shard(), duplicate.bytes())).isEqualTo(SegmentWindow.Offer.DUPLICATE);
        assertThat(poisoned(duplicate.bytes().array())).isTrue();
        assertThat(poisoned(first.bytes().array())).isFalse();
        duplicate.bytes().release();
        assertThat(pool.idleBytes()).as("a second release gives nothing back twice").isEqualTo(duplicate.bytes().array().length);
    }

    @Test
    void anEntryRemovedWithNoReaderGivesEverythingBackAtOnce() {
        long now = System.currentTimeMillis();
        byte[] a = bytes(5);
        Shard[] truth = shards(11, now, a);
        Received parity = received(truth[2]);
        window.offer(parity.shard(), parity.bytes());
        HeldBytes segment = joined(a);
        Received d0 = received(truth[0]);
        Received d1 = received(truth[1]);
        window.offer(d0.shard(), d0.bytes());
        window.offer(d1.shard(), d1.bytes());
        assertThat(window.complete(11, segment, new Shard[]{d0.shard(), d1.shard(), parity.shard()})).isTrue();
        for (Shard s : shards(12, now + 11_000, bytes(6))) {
            window.offer(s);
        }
        assertThat(window.entry(11)).isNull();
        assertThat(Arrays.asList(parity.bytes().array(), segment.array(), d0.bytes().array(), d1.bytes().array()))
                .allMatch(BufferLifetimeTest::poisoned);
    }

    /** Size classes: an array fits what was asked, is at most a quarter larger (past 4 KiB), and maps back to its class. */
    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void everyLengthGetsTheSmallestClassThatHoldsIt(long seed) {
        Random rnd = new Random(seed);
        for (int i = 0; i < 10_000; i++) {
            int length = rnd.nextInt(i % 2 == 0 ? 1 << 16 : StripeCodec.MAX_SEGMENT_BYTES * 2);
            int size = BufferPool.classSize(BufferPool.classOf(length));
            assertThat(size).as("seed %d length %d", seed, length).isGreaterThanOrEqualTo(length)
                    .isLessThanOrEqualTo(Math.max(BufferPool.MIN_CLASS_BYTES, length + length / 4 + 1));
            assertThat(BufferPool.classOf(size)).as("seed %d length %d", seed, length).isEqualTo(BufferPool.classOf(length));
        }
    }
}
