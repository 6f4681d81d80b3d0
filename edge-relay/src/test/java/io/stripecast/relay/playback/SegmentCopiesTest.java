package io.stripecast.relay.playback;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.stream.StreamSpec;
import io.stripecast.relay.window.BufferPool;
import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Copies of a watched stream's segments: byte for byte what the window holds, only while someone watches, bounded,
 * kept a grace period after their segment leaves the window and then deleted; a dead relay's directory goes at start.
 */
class SegmentCopiesTest {
    private static final int LENGTH = 300_007;
    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private final BufferPool pool = new BufferPool(64L << 20, true);
    private final SegmentWindow window = new SegmentWindow(
            new StreamSpec("copied", 2, 1, Duration.ofSeconds(10), Optional.empty(), Optional.empty(), Duration.ofSeconds(1)),
            1L << 30, new WindowMemory(Long.MAX_VALUE, 10_000, WindowMemory.Events.NONE, pool));
    private final long start = System.currentTimeMillis();
    private final AtomicLong clock = new AtomicLong(start);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final RelayMetrics metrics = new RelayMetrics(registry);

    @TempDir
    Path parent;
    private SegmentCopies copies;

    @AfterEach
    void close() {
        if (copies != null) {
            copies.close();
        }
    }

    private SegmentCopies copies(long budget) throws IOException {
        return copies(budget, 1);
    }

    private SegmentCopies copies(long budget, int minViewers) throws IOException {
        copies = new SegmentCopies(parent, budget, minViewers, metrics, clock::get);
        return copies;
    }

    private byte[] rebuilt(long seq, long ingestMillis) {
        return RebuiltSegments.rebuild(window, pool, seq, ingestMillis, LENGTH, seq);
    }

    /**
     * Once-a-second housekeeping, a grace period apart on the test's clock, until {@code done}: the writer thread reads
     * the clock when it gets to each tick's work, so one tick may start a grace that the next one ends.
     */
    private void ticksUntil(java.util.concurrent.Callable<Boolean> done) {
        await().atMost(DEADLINE).until(() -> {
            clock.addAndGet(SegmentCopies.GRACE_MILLIS + 1);
            copies.tick(name -> window);
            return done.call();
        });
    }

    private Path find(long seq) {
        return copies.find("copied", window, window.entry(seq));
    }

    private double counted(String name, String... tags) {
        var c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aWatchedStreamsNextSegmentsAreCopiedByteForByte() throws Exception {
        copies(64L << 20);
        rebuilt(1, start);
        assertThat(find(1)).as("not watched when it completed: served from memory").isNull();

        byte[] second = rebuilt(2, start);
        byte[] third = rebuilt(3, start);
        Path file = await().atMost(DEADLINE).until(() -> find(2), p -> p != null);
        assertThat(Files.readAllBytes(file)).isEqualTo(second);
        assertThat(Files.readAllBytes(await().atMost(DEADLINE).until(() -> find(3), p -> p != null))).isEqualTo(third);
        assertThat(copies.heldBytes()).isEqualTo(2L * LENGTH);
        assertThat(counted("stripecast.relay.segment.files.written")).isEqualTo(2);
        assertThat(find(1)).isNull();
    }

    @Test
    void copiesAreMadeOnlyWhileEnoughViewersAskForTheNewestSegments() throws Exception {
        copies(64L << 20, 3);
        rebuilt(1, start);
        find(1);
        find(1);
        rebuilt(2, start);
        assertThat(counted("stripecast.relay.segment.files.written")).as("two viewers: served from the window").isZero();
        find(2);
        find(2);
        find(2);
        rebuilt(3, start);
        Path file = await().atMost(DEADLINE).until(() -> find(3), p -> p != null);
        assertThat(file).exists();
        // The audience shrinks to one: the segment after the next is no longer copied.
        find(3);
        rebuilt(4, start);
        await().atMost(DEADLINE).until(() -> find(4), p -> p != null); // 2 still had three viewers
        find(4);
        rebuilt(5, start);
        assertThat(find(5)).isNull();
        assertThat(counted("stripecast.relay.segment.files.written")).isEqualTo(2);
    }

    @Test
    void aStreamNobodyWatchesGetsNoCopiesAndOneNoLongerWatchedLosesThem() throws Exception {
        copies(64L << 20);
        rebuilt(1, start);
        rebuilt(2, start);
        assertThat(copies.heldBytes()).isZero();
        assertThat(counted("stripecast.relay.segment.files.written")).isZero();

        assertThat(find(2)).isNull();
        rebuilt(3, start);
        Path file = await().atMost(DEADLINE).until(() -> find(3), p -> p != null);

        // Nobody asks for a segment any more: after the watch ends, new segments are not copied, and the stream's
        // files go once their grace is over.
        clock.addAndGet(SegmentCopies.WATCHED_MILLIS + 1);
        copies.tick(name -> window);
        rebuilt(4, start);
        assertThat(find(3)).as("stopped: nothing is sent from its files").isNull();
        assertThat(Files.exists(file)).as("still within its grace").isTrue();
        ticksUntil(() -> !Files.exists(file.getParent()));
        assertThat(copies.heldBytes()).isZero();
        assertThat(counted("stripecast.relay.segment.files.written")).isEqualTo(1);
    }

    @Test
    void aFileOutlivesItsSegmentByTheGraceAndNoLonger() throws Exception {
        copies(64L << 20);
        rebuilt(1, start);
        find(1);
        rebuilt(2, start);
        Path file = await().atMost(DEADLINE).until(() -> find(2), p -> p != null);
        var entry = window.entry(2);

        // Newer segments push it out of the 10 s window.
        for (int seq = 3; seq < 6; seq++) {
            rebuilt(seq, start + 11_000);
        }
        assertThat(window.entry(2)).isNull();
        assertThat(copies.find("copied", window, entry)).as("its entry left: not sent any more").isNull();
        copies.tick(name -> window);
        // 3, 4 and 5 were copied meanwhile; 2's file still takes its memory until it is deleted.
        await().atMost(DEADLINE).until(() -> counted("stripecast.relay.segment.files.written") == 4);
        assertThat(copies.heldBytes()).isEqualTo(4L * LENGTH);
        assertThat(Files.exists(file)).as("a response that found it just before still opens it").isTrue();

        ticksUntil(() -> !Files.exists(file));
        assertThat(copies.heldBytes()).isEqualTo(3L * LENGTH);
    }

    @Test
    void overTheBudgetTheOldestCopyMakesRoomForTheNewest() throws Exception {
        copies(LENGTH + LENGTH / 2);
        rebuilt(1, start);
        find(1);
        rebuilt(2, start);
        Path second = await().atMost(DEADLINE).until(() -> find(2), p -> p != null);
        byte[] third = rebuilt(3, start);
        Path file = await().atMost(DEADLINE).until(() -> find(3), p -> p != null);
        assertThat(Files.readAllBytes(file)).isEqualTo(third);
        assertThat(find(2)).as("made room: served from the window").isNull();
        assertThat(second).doesNotExist();
        assertThat(counted("stripecast.relay.segment.files.evicted")).isEqualTo(1);
        assertThat(copies.heldBytes()).isEqualTo(LENGTH);
    }

    @Test
    void anotherStreamsNewSegmentTakesTheRoomOfTheOldestCopy() throws Exception {
        copies(2L * LENGTH + LENGTH / 2);
        rebuilt(1, start);
        find(1);
        rebuilt(2, start);
        rebuilt(3, start);
        Path oldest = await().atMost(DEADLINE).until(() -> find(2), p -> p != null);
        await().atMost(DEADLINE).until(() -> find(3), p -> p != null);

        SegmentWindow other = new SegmentWindow(
                new StreamSpec("other", 2, 1, Duration.ofSeconds(10), Optional.empty(), Optional.empty(), Duration.ofSeconds(1)),
                1L << 30, new WindowMemory(Long.MAX_VALUE, 10_000, WindowMemory.Events.NONE, pool));
        RebuiltSegments.rebuild(other, pool, 1, start, LENGTH, 98);
        assertThat(copies.find("other", other, other.entry(1))).isNull(); // watched from now on
        byte[] segment = RebuiltSegments.rebuild(other, pool, 2, start, LENGTH, 99);

        Path file = await().atMost(DEADLINE).until(() -> copies.find("other", other, other.entry(2)), p -> p != null);
        assertThat(Files.readAllBytes(file)).isEqualTo(segment);
        assertThat(find(2)).as("the oldest copy, of another stream, made room").isNull();
        assertThat(oldest).doesNotExist();
        assertThat(find(3)).isNotNull();
        assertThat(copies.heldBytes()).isEqualTo(2L * LENGTH);
    }

    @Test
    void aSegmentLargerThanTheBudgetIsServedFromMemoryAndEvictsNothing() throws Exception {
        copies(LENGTH + LENGTH / 2);
        rebuilt(1, start);
        find(1);
        rebuilt(2, start);
        Path kept = await().atMost(DEADLINE).until(() -> find(2), p -> p != null);
        RebuiltSegments.rebuild(window, pool, 3, start, 2 * LENGTH, 3);
        await().atMost(DEADLINE).until(() -> counted("stripecast.relay.segment.files.skipped", "reason", "budget") == 1);
        assertThat(find(3)).isNull();
        assertThat(find(2)).as("a segment that could never fit made no room").isEqualTo(kept);
        assertThat(kept).exists();
        assertThat(counted("stripecast.relay.segment.files.evicted")).isZero();
        assertThat(copies.heldBytes()).isEqualTo(LENGTH);
    }

    @Test
    void aStreamCarriedAgainStartsWithNoCopies() throws Exception {
        copies(64L << 20);
        rebuilt(1, start);
        find(1);
        rebuilt(2, start);
        await().atMost(DEADLINE).until(() -> find(2), p -> p != null);

        SegmentWindow again = new SegmentWindow(
                new StreamSpec("copied", 2, 1, Duration.ofSeconds(10), Optional.empty(), Optional.empty(), Duration.ofSeconds(1)),
                1L << 30, new WindowMemory(Long.MAX_VALUE, 10_000, WindowMemory.Events.NONE, pool));
        assertThat(copies.find("copied", again, window.entry(2))).as("another window's entry").isNull();
        assertThat(find(2)).as("the old window is no longer the stream's").isNull();
    }

    @Test
    void aGoneRelaysDirectoryIsDeletedAtStartAndALiveOnesIsKept() throws Exception {
        Path dead = Files.createDirectories(parent.resolve("relay-dead/copied-1"));
        Files.write(dead.resolve("7.seg"), new byte[1000]);
        Files.createFile(parent.resolve("relay-dead.lock"));
        Path alive = Files.createDirectories(parent.resolve("relay-alive"));
        try (FileChannel lockChannel = FileChannel.open(parent.resolve("relay-alive.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock held = lockChannel.lock()) {
            copies(64L << 20);
            assertThat(parent.resolve("relay-dead")).doesNotExist();
            assertThat(parent.resolve("relay-dead.lock")).doesNotExist();
            assertThat(alive).exists();
            assertThat(copies.dir()).exists();
        }
        Path own = copies.dir();
        copies.close();
        copies = null;
        try (Stream<Path> left = Files.list(parent)) {
            assertThat(left).as("its own directory and lock go when it closes").doesNotContain(own, Path.of(own + ".lock"));
        }
    }
}
