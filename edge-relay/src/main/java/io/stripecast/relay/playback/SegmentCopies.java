package io.stripecast.relay.playback;

import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowEntry;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Copies of watched streams' complete segments, one file each in a memory-backed directory, for viewers to be sent
 * with sendfile(2) as nginx sends a cache hit: from the page cache, with no copy per request in the relay. From the
 * window a response costs two copies per viewer (the heap array into Netty's direct buffers, those into the kernel);
 * a copy costs about one per segment, however many viewers ask (issue 17, docs/data-path.md).
 *
 * <p>Only a stream a viewer asked a segment of in the last {@link #WATCHED_MILLIS} gets copies, from its next
 * completed segment on, and only while at least {@code minViewers} asked for one of its two newest segments: a copy
 * costs about what serving the segment from the window costs a few viewers (a tmpfs file's pages are allocated,
 * charged, filled and freed again: 0.76 CPU s per GB copied in a profile here, against ~0.15 s per GB a copy saves
 * per viewer), so a stream one or two viewers watch is cheaper served from the window. A relay nobody watches
 * writes nothing. Every file op runs on one writer thread with a short
 * queue; the data path only hands an entered entry over. Whatever keeps a file from being there (the budget, a full
 * queue, a failed write) leaves that segment served from the window: a viewer never goes without it. When the budget
 * is short, the oldest copies (of any stream) make room for the newest: viewers ask for the live edge.
 *
 * <p>Files live in a directory of this process's own under the configured one, locked while the process lives; a
 * directory whose lock is free (a relay that died in the same pod) is deleted at start, so restarts do not fill the
 * memory the directory is made of.
 */
final class SegmentCopies implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SegmentCopies.class);
    /** A stream is watched this long after a viewer's last segment request. */
    static final long WATCHED_MILLIS = 10_000;
    /**
     * A file outlives its segment's place in the window by this, for a response that found it just before to open it.
     * Short: a response whose file is gone when it opens it is served from the window anyway.
     */
    static final long GRACE_MILLIS = 1_000;
    private static final String OWN_PREFIX = "relay-";
    private static final String LOCK = ".lock";
    /** Writes go through the JDK's per-thread direct buffer; in chunks, that buffer stays this small. */
    private static final int WRITE_CHUNK = 1 << 20;
    private static final int QUEUE = 16;

    private final Path dir;
    private final long budget;
    /** Copies are made only for a stream whose newest segments this many viewers asked for (see the class comment). */
    private final int minViewers;
    private final RelayMetrics metrics;
    private final LongSupplier clock;
    private final AtomicLong held = new AtomicLong();
    private final Map<String, StreamCopies> streams = new ConcurrentHashMap<>();
    /** Closed streams whose files wait out their grace: added by any thread, drained on the writer thread. */
    private final Queue<StreamCopies> closing = new ConcurrentLinkedQueue<>();
    /** A copy and its stream, in the order written (writer thread only): the oldest make room first. */
    private record Written(StreamCopies stream, StreamCopies.Copy copy) {
    }

    private final ArrayDeque<Written> written = new ArrayDeque<>();
    private final ThreadPoolExecutor writer;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private long instances;

    /** Makes this process's directory under {@code parent} (created if missing) and deletes dead relays' ones. */
    SegmentCopies(Path parent, long budget, int minViewers, RelayMetrics metrics, LongSupplier clock) throws IOException {
        this.budget = budget;
        this.minViewers = minViewers;
        this.metrics = metrics;
        this.clock = clock;
        Files.createDirectories(parent);
        deleteAbandoned(parent);
        String own = OWN_PREFIX + UUID.randomUUID();
        // Locked before the directory exists: a directory another relay sees always has its lock held while we live.
        this.lockChannel = FileChannel.open(parent.resolve(own + LOCK), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        this.lock = lockChannel.lock();
        this.dir = Files.createDirectory(parent.resolve(own));
        this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "segment-copies");
            t.setDaemon(true);
            return t;
        });
        metrics.watchSegmentFiles(held::get, budget);
    }

    Path dir() {
        return dir;
    }

    long heldBytes() {
        return held.get();
    }

    /**
     * The file to send for {@code entry}, a complete whole media segment found in {@code window} of {@code stream}, or
     * null (serve it from the window). Marks the stream watched: its next segments get copies.
     */
    Path find(String stream, SegmentWindow window, WindowEntry entry) {
        long now = clock.getAsLong();
        StreamCopies s = streams.get(stream);
        if (s == null || s.window() != window) {
            s = watch(stream, window, now);
        }
        s.viewed(now, entry.sequence());
        return s.copy(entry);
    }

    private synchronized StreamCopies watch(String stream, SegmentWindow window, long now) {
        StreamCopies s = streams.get(stream);
        if (s != null && s.window() == window) {
            return s;
        }
        if (s != null) {
            stop(s);
        }
        // The listener needs the instance it belongs to: it is made with a reference filled right after.
        StreamCopies[] made = new StreamCopies[1];
        made[0] = new StreamCopies(stream, window, dir.resolve(stream + "-" + (++instances)), seq -> completed(made[0], seq), now);
        StreamCopies fresh = made[0];
        window.addCompletionListener(fresh.onCompleted());
        streams.put(stream, fresh);
        return fresh;
    }

    private void stop(StreamCopies s) {
        s.close();
        s.window().removeCompletionListener(s.onCompleted());
        streams.remove(s.stream(), s);
        // Not a task: with the writer's queue full it would be refused, and the stream's files never deleted.
        closing.add(s);
    }

    /** The window's completion listener (the data path's thread): hands a watched stream's new segment to the writer. */
    private void completed(StreamCopies s, long seq) {
        if (!s.watched(clock.getAsLong(), WATCHED_MILLIS) || s.audience() < minViewers) {
            return;
        }
        WindowEntry e = s.window().entry(seq);
        if (e == null || !e.isMedia() || !e.isComplete() || !e.enter()) {
            return;
        }
        if (!submit(() -> {
            try {
                write(s, e);
            } finally {
                e.exit();
            }
        })) {
            e.exit();
            metrics.segmentFileSkipped("busy");
        }
    }

    private boolean submit(Runnable task) {
        try {
            writer.execute(task);
            return true;
        } catch (RejectedExecutionException full) {
            return false;
        }
    }

    /** Writer thread: the entry is entered, so its array is the segment's until the caller exits. */
    private void write(StreamCopies s, WindowEntry e) {
        prune(s);
        if (s.isClosed()) {
            return;
        }
        int length = e.segment().length();
        if (!makeRoom(length)) {
            metrics.segmentFileSkipped("budget");
            return;
        }
        held.addAndGet(length);
        Path path = s.dir().resolve(e.sequence() + ".seg");
        try {
            if (s.needsDir()) {
                Files.createDirectories(s.dir());
            }
            try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                ByteBuffer bytes = ByteBuffer.wrap(e.segment().array(), 0, length);
                for (int at = 0; at < length; at = bytes.position()) {
                    bytes.limit(Math.min(length, at + WRITE_CHUNK));
                    out.write(bytes);
                }
            }
        } catch (IOException | RuntimeException failed) {
            held.addAndGet(-length);
            deleteQuietly(path);
            metrics.segmentFileSkipped("failed");
            LOG.debugf(failed, "stream %s: segment %d not copied to %s", s.stream(), e.sequence(), path);
            return;
        }
        StreamCopies.Copy copy = new StreamCopies.Copy(e, path, length);
        s.add(copy);
        written.add(new Written(s, copy));
        metrics.segmentFileWritten();
    }

    /**
     * Writer thread: deletes files until {@code length} more bytes fit the budget: first those in their grace, then
     * the oldest copies of any stream (viewers ask for the live edge; an older segment is served from the window).
     * Only this thread changes what is held, so room made here stays made. False when {@code length} does not fit:
     * one larger than the whole budget deletes nothing, as it could never fit.
     */
    private boolean makeRoom(int length) {
        if (length > budget) {
            return false;
        }
        if (held.get() + length <= budget) {
            return true;
        }
        List<StreamCopies> all = new ArrayList<>(streams.values());
        all.addAll(closing);
        for (StreamCopies s : all) {
            for (StreamCopies.Leaving gone : s.dropLeaving()) {
                deleteQuietly(gone.path());
                held.addAndGet(-gone.length());
            }
        }
        for (Written oldest; held.get() + length > budget && (oldest = written.poll()) != null; ) {
            if (oldest.stream().remove(oldest.copy())) {
                deleteQuietly(oldest.copy().path());
                held.addAndGet(-oldest.copy().length());
                metrics.segmentFileEvicted();
            }
        }
        return held.get() + length <= budget;
    }

    /** Writer thread: deletes a stream's files whose grace is over. */
    private void prune(StreamCopies s) {
        for (StreamCopies.Leaving gone : s.due(clock.getAsLong(), GRACE_MILLIS)) {
            deleteQuietly(gone.path());
            held.addAndGet(-gone.length());
        }
    }

    /**
     * Once a second: streams no longer watched, or no longer carried with the same window ({@code current} gives the
     * window carried now, or null), stop getting copies; files past their grace are deleted.
     */
    void tick(Function<String, SegmentWindow> current) {
        long now = clock.getAsLong();
        for (StreamCopies s : List.copyOf(streams.values())) {
            if (!s.watched(now, WATCHED_MILLIS) || current.apply(s.stream()) != s.window()) {
                synchronized (this) {
                    if (streams.get(s.stream()) == s) {
                        stop(s);
                    }
                }
            }
        }
        submit(this::pruneAll);
    }

    private void pruneAll() {
        streams.values().forEach(this::prune);
        // Copies let go otherwise (their segment left the window, their stream closed) leave the write order too.
        written.removeIf(w -> !w.stream().holds(w.copy()));
        for (var it = closing.iterator(); it.hasNext(); ) {
            StreamCopies s = it.next();
            prune(s);
            if (s.drained()) {
                it.remove();
                if (s.hasDir()) {
                    deleteQuietly(s.dir());
                }
            }
        }
    }

    @Override
    public void close() {
        writer.shutdownNow();
        try {
            writer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteTree(dir);
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.debugf(e, "segment copies: releasing the lock of %s", dir);
        }
        deleteQuietly(dir.resolveSibling(dir.getFileName() + LOCK));
    }

    /** Deletes the directories of relays that are gone: their lock is free (a live relay holds its own). */
    private static void deleteAbandoned(Path parent) throws IOException {
        try (DirectoryStream<Path> locks = Files.newDirectoryStream(parent, OWN_PREFIX + "*" + LOCK)) {
            for (Path lockFile : locks) {
                boolean abandoned;
                try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
                    FileLock free = ch.tryLock();
                    abandoned = free != null;
                    if (free != null) {
                        free.release();
                    }
                } catch (OverlappingFileLockException | IOException held) {
                    abandoned = false; // held by this very process (several relays in one JVM, as tests run them)
                }
                if (abandoned) {
                    String name = lockFile.getFileName().toString();
                    Path other = parent.resolve(name.substring(0, name.length() - LOCK.length()));
                    LOG.infof("segment copies: deleting %s, left by a relay that is gone", other);
                    deleteTree(other);
                    deleteQuietly(lockFile);
                }
            }
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (var walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(SegmentCopies::deleteQuietly);
        } catch (IOException | RuntimeException e) {
            LOG.debugf(e, "segment copies: deleting %s", root);
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.debugf(e, "segment copies: deleting %s", path);
        }
    }
}
