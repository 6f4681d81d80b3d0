package io.stripecast.relay.playback;

import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowEntry;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

/**
 * One watched stream's segment copies ({@link SegmentCopies}): which complete segments of its window have a file, and
 * the files whose segments have left the window, kept a grace period longer for responses that found them just before.
 * A new instance (and directory) per window: a stream carried again starts with nothing.
 *
 * <p>{@link #copy} is read from any thread; everything else changes on the copies' writer thread only.
 */
final class StreamCopies {
    /** A segment's file: sent only while {@code entry} is the window's entry of that sequence. */
    record Copy(WindowEntry entry, Path path, int length) {
    }

    /** A file whose segment left the window (or whose stream is no longer watched), deleted at {@code deleteAtMillis}. */
    record Leaving(Path path, int length, long deleteAtMillis) {
    }

    private final String stream;
    private final SegmentWindow window;
    private final Path dir;
    private final LongConsumer onCompleted;
    private final Map<Long, Copy> copies = new ConcurrentHashMap<>();
    private final ArrayDeque<Leaving> leaving = new ArrayDeque<>();
    private volatile long viewedMillis;
    private volatile boolean closed;
    private boolean dirMade;

    StreamCopies(String stream, SegmentWindow window, Path dir, LongConsumer onCompleted, long nowMillis) {
        this.stream = stream;
        this.window = window;
        this.dir = dir;
        this.onCompleted = onCompleted;
        this.viewedMillis = nowMillis;
    }

    String stream() {
        return stream;
    }

    SegmentWindow window() {
        return window;
    }

    Path dir() {
        return dir;
    }

    LongConsumer onCompleted() {
        return onCompleted;
    }

    /** The newest segment viewers asked for and how many times; how many asked for the one newest before it. */
    private long askedSequence = -1;
    private int askedCount;
    private int askedBefore;

    /** A viewer asked for the segment of transport sequence {@code sequence} (any event loop). */
    void viewed(long nowMillis, long sequence) {
        viewedMillis = nowMillis;
        synchronized (this) {
            if (sequence > askedSequence) {
                askedBefore = askedCount;
                askedSequence = sequence;
                askedCount = 1;
            } else if (sequence == askedSequence) {
                askedCount++;
            }
        }
    }

    /** How many viewers asked for the newest segments: the most requests either of the last two got. */
    synchronized int audience() {
        return Math.max(askedCount, askedBefore);
    }

    boolean watched(long nowMillis, long watchedMillis) {
        return !closed && nowMillis - viewedMillis <= watchedMillis;
    }

    /** The file of {@code entry} while it is still the window's entry of its sequence, or null. */
    Path copy(WindowEntry entry) {
        Copy c = copies.get(entry.sequence());
        return c != null && c.entry() == entry && !closed && window.entry(entry.sequence()) == entry ? c.path() : null;
    }

    void close() {
        closed = true;
    }

    boolean isClosed() {
        return closed;
    }

    /** Writer thread: true once, when the directory should be made before the first file. */
    boolean needsDir() {
        if (dirMade) {
            return false;
        }
        dirMade = true;
        return true;
    }

    boolean hasDir() {
        return dirMade;
    }

    void add(Copy c) {
        copies.put(c.entry().sequence(), c);
    }

    /**
     * Writer thread: copies whose segment is no longer the window's (or all of them, once closed) start their grace;
     * returns the files whose grace is over, forgotten here (the caller deletes them).
     */
    List<Leaving> due(long nowMillis, long graceMillis) {
        for (Copy c : List.copyOf(copies.values())) {
            if (closed || window.entry(c.entry().sequence()) != c.entry()) {
                copies.remove(c.entry().sequence());
                leaving.add(new Leaving(c.path(), c.length(), nowMillis + graceMillis));
            }
        }
        List<Leaving> due = new ArrayList<>();
        while (!leaving.isEmpty() && leaving.peek().deleteAtMillis() <= nowMillis) {
            due.add(leaving.poll());
        }
        return due;
    }

    /** Writer thread: files in their grace, forgotten here, to delete now (room is short). */
    List<Leaving> dropLeaving() {
        List<Leaving> all = new ArrayList<>(leaving);
        leaving.clear();
        return all;
    }

    /** Writer thread: forgets {@code c} when it is still a copy here (the caller deletes its file); false when gone. */
    boolean remove(Copy c) {
        return copies.remove(c.entry().sequence(), c);
    }

    /** Whether {@code c} is still a copy here (not yet let go). */
    boolean holds(Copy c) {
        return copies.get(c.entry().sequence()) == c;
    }

    /** Writer thread: closed and nothing left to delete: its directory may go. */
    boolean drained() {
        return closed && copies.isEmpty() && leaving.isEmpty();
    }
}
