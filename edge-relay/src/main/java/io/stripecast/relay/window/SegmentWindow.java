package io.stripecast.relay.window;

import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.stream.StreamSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * The sliding window of one stream on one relay: the shards (and rebuilt segments) of the last
 * {@code window} seconds, keyed by transport sequence. Memory is bounded by the window's duration,
 * by a byte cap of its own, and by the relay's {@link WindowMemory} shared with every other window
 * (which may take this window's oldest segments for another's newest), whatever peers send.
 *
 * <p>Listeners are called after the lock is released, so a listener may read the window freely.
 */
public final class SegmentWindow {

    /** What became of an offered shard. */
    public enum Offer { ADDED, DUPLICATE, TOO_OLD, CONFLICTING_META, NO_ROOM }

    private final StreamSpec spec;
    private final long maxBytes;
    private final WindowMemory memory;
    private final NavigableMap<Long, WindowEntry> entries = new TreeMap<>();
    private final List<List<ShardListener>> listeners;
    private final List<LongConsumer> completionListeners = new CopyOnWriteArrayList<>();
    private long totalBytes;
    /** Sequences below this were evicted; shards for them are refused, never re-added. */
    private long evictedBelow;
    /**
     * Per rendition (a stream has at most 8, ShardValidator.MAX_RENDITIONS): the discontinuities of its segments that
     * left the window, each rendition's EXT-X-DISCONTINUITY-SEQUENCE. A segment sent as parts counts once, by part 0.
     */
    private final long[] evictedDiscontinuities = new long[8];
    /**
     * Sequences below this had an entry that was removed (evicted, expired): a shard for one that is not held is
     * refused, so an expired incomplete segment is not re-created by a parent replaying its window.
     */
    private long droppedBelow;
    /** Counts the changes to which entries are held and complete (not shards within an entry): what a playlist is rendered from. */
    private long version;
    private boolean closed;

    /** A window on its own, bound only by its duration and {@code maxBytes}. */
    public SegmentWindow(StreamSpec spec, long maxBytes) {
        this(spec, maxBytes, WindowMemory.unbounded());
    }

    /** A window that shares the relay's {@code memory} budget with every other window. */
    public SegmentWindow(StreamSpec spec, long maxBytes, WindowMemory memory) {
        this.spec = spec;
        this.maxBytes = maxBytes;
        this.memory = memory;
        memory.register(this);
        this.listeners = new ArrayList<>();
        for (int i = 0; i < spec.stripes(); i++) {
            listeners.add(new CopyOnWriteArrayList<>());
        }
    }

    public StreamSpec spec() {
        return spec;
    }

    public void addListener(int stripe, ShardListener l) {
        listeners.get(stripe).add(l);
    }

    public void removeListener(int stripe, ShardListener l) {
        listeners.get(stripe).remove(l);
    }

    /** Told the transport sequence of every segment that becomes complete here (ingested or rebuilt), outside the lock. */
    public void addCompletionListener(LongConsumer l) {
        completionListeners.add(l);
    }

    public void removeCompletionListener(LongConsumer l) {
        completionListeners.remove(l);
    }

    /** Offers one shard (already validated by the caller) whose bytes are its own (nothing to give back). */
    public Offer offer(Shard shard) {
        return offer(shard, null);
    }

    /**
     * Offers one shard (already validated by the caller) whose bytes are a view of {@code bytes} (null: nothing to give
     * back). The window takes {@code bytes} whatever the answer: held with the shard when ADDED, else given back at once.
     */
    public Offer offer(Shard shard, HeldBytes bytes) {
        Offer result = place(shard, bytes);
        if (result != Offer.ADDED && bytes != null) {
            bytes.release();
        }
        return result;
    }

    private Offer place(Shard shard, HeldBytes bytes) {
        long seq = shard.getSegment().getSequence();
        long size = shard.getData().size();
        if (!memory.fits(size)) {
            // Over the relay's budget: make room first (outside this lock: eviction may take from any window),
            // but not for a shard that would be refused anyway.
            synchronized (this) {
                Offer refusal = refusal(shard);
                if (refusal != null) {
                    return refusal;
                }
            }
            if (!memory.makeRoom(this, size)) {
                return Offer.NO_ROOM;
            }
        }
        Offer result;
        synchronized (this) {
            Offer refusal = refusal(shard);
            if (refusal != null) {
                return refusal;
            }
            WindowEntry e = entries.get(seq);
            if (e == null) {
                e = new WindowEntry(shard.getSegment(), spec.stripes(), System.currentTimeMillis());
                entries.put(seq, e);
                // A playlist shows which entries are held and complete, not how many shards each has: a shard of an
                // entry already held leaves every render as it was, so it does not invalidate the cached one.
                version++;
            }
            e.put(shard, bytes);
            account(size);
            result = Offer.ADDED;
            // Entries that never complete leave with the window's horizon too, not only complete ones.
            evict();
        }
        notifyStripe(shard.getStripe(), seq);
        return result;
    }

    /**
     * Ingest path: a segment with all its shards, complete from the start. Skipped (and counted by the budget)
     * only when the relay's memory cannot take it even after evicting everything but each window's newest segment.
     */
    public void putComplete(Shard[] shards, byte[] segment) {
        long seq = shards[0].getSegment().getSequence();
        // Built before it is visible: its size is the segment and the shards that are not views of it.
        WindowEntry e = new WindowEntry(shards[0].getSegment(), spec.stripes(), System.currentTimeMillis());
        for (Shard s : shards) {
            e.put(s, null);
        }
        e.complete(HeldBytes.of(segment));
        e.shareDataShards(shards.clone());
        long size = e.bytes();
        if (!memory.fits(size) && !memory.makeRoom(this, size)) {
            return;
        }
        synchronized (this) {
            // A standby ingest made root publishes whole a segment the lost primary had only begun to send here.
            WindowEntry replaced = entries.put(seq, e);
            if (replaced != null) {
                account(-replaced.bytes());
                replaced.leave();
            }
            account(size);
            version++;
            evict();
        }
        for (int i = 0; i < shards.length; i++) {
            notifyStripe(i, seq);
        }
        notifyCompleted(seq);
    }

    /** Claims the right to rebuild an entry: true once, when it holds at least k shards. */
    public synchronized boolean startAssembling(long seq) {
        WindowEntry e = entries.get(seq);
        return e != null && e.startAssembling(spec.k());
    }

    /**
     * The entry, entered as a reader ({@link WindowEntry#enter()}): its shards' and segment's bytes stay valid until the
     * caller's {@link WindowEntry#exit()}. Null when not held (then there is nothing to exit).
     */
    public synchronized WindowEntry enter(long seq) {
        WindowEntry e = entries.get(seq);
        return e != null && e.enter() ? e : null;
    }

    /** The relay's arrays for received shards and rebuilt segments. */
    public BufferPool buffers() {
        return memory.buffers();
    }

    public synchronized Shard[] shardsOf(long seq) {
        WindowEntry e = entries.get(seq);
        return e == null ? null : e.shardsCopy();
    }

    /**
     * Records a rebuilt segment, taking {@code segment} (given back at once when refused); false when the entry has been
     * evicted meanwhile (or no memory is left for it).
     * Each data shard still held as it was in {@code used} (the shards the rebuild read) becomes a view of the
     * segment, so the entry holds the segment's bytes once and the parity beside them, not the segment and its data
     * shards both; {@code used} is updated to the shards now held, so what arrived during the rebuild can still be
     * told apart by identity.
     */
    public boolean complete(long seq, HeldBytes segment, Shard[] used) {
        if (!memory.fits(segment.length()) && !memory.makeRoom(this, segment.length())) {
            synchronized (this) {
                // Its shards alone serve no viewer: release them too.
                remove(seq);
            }
            segment.release();
            return false;
        }
        synchronized (this) {
            WindowEntry e = entries.get(seq);
            if (e == null) {
                segment.release();
                return false;
            }
            long before = e.bytes();
            e.complete(segment);
            e.shareDataShards(used);
            account(e.bytes() - before);
            version++;
            evict();
        }
        notifyCompleted(seq);
        return true;
    }

    /** As {@link #complete(long, HeldBytes, Shard[])} with a plain array and nothing to share (tests). */
    public boolean complete(long seq, byte[] segment) {
        return complete(seq, HeldBytes.of(segment), new Shard[spec.stripes()]);
    }

    /** Replaces a shard found to be a lie (it passed its CRC but broke the segment's SHA-256). */
    public synchronized void replaceShard(long seq, Shard shard) {
        WindowEntry e = entries.get(seq);
        if (e != null) {
            account(e.replace(shard));
        }
    }

    /**
     * A rebuild from {@code attemptedWith} shards failed; another is tried once more shards arrive. Returns true when
     * more arrived during the attempt (they found it busy and did not try): the caller tries again at once, or the
     * segment would wait for a shard that may never come.
     */
    public synchronized boolean failAssembly(long seq, int attemptedWith) {
        WindowEntry e = entries.get(seq);
        if (e != null) {
            e.markFailed(attemptedWith);
            return e.shardCount() > attemptedWith;
        }
        return false;
    }

    /**
     * Whether a shard of {@code seq} in {@code stripe} arriving now is spare here: its segment is complete, the
     * stripe's shard is not held, and no child takes the stripe from this relay (it would only ever be read again as
     * part of the segment, which is already checked). A spare one is noted on the entry ({@link #spareCame}).
     */
    public synchronized boolean takeSpare(long seq, int stripe) {
        if (!listeners.get(stripe).isEmpty()) {
            return false;
        }
        WindowEntry e = entries.get(seq);
        if (e == null || !e.isComplete() || e.shard(stripe) != null) {
            return false;
        }
        e.markSpareCame(stripe);
        return true;
    }

    /** Whether {@code seq}'s shard in {@code stripe} came here and was let go as spare: no parent will send it again. */
    public synchronized boolean spareCame(long seq, int stripe) {
        WindowEntry e = entries.get(seq);
        return e != null && e.spareCame(stripe);
    }

    public synchronized Shard shard(long seq, int stripe) {
        WindowEntry e = entries.get(seq);
        return e == null ? null : e.shard(stripe);
    }

    public synchronized WindowEntry entry(long seq) {
        return entries.get(seq);
    }

    /** Oldest sequence held (0 when empty). */
    public synchronized long firstSequence() {
        return entries.isEmpty() ? 0 : entries.firstKey();
    }

    /** Newest sequence held (0 when empty). */
    public synchronized long lastSequence() {
        return entries.isEmpty() ? 0 : entries.lastKey();
    }

    /** Sequences below this have left the window. */
    public synchronized long evictedBelow() {
        return evictedBelow;
    }

    /**
     * The first sequence this relay lacks in a stripe: where a (re)subscription starts.
     * 0 when the window is empty, meaning "from the start of the parent's window".
     */
    public synchronized long firstLacking(int stripe) {
        if (entries.isEmpty()) {
            return Math.max(0, evictedBelow);
        }
        long expected = entries.firstKey();
        for (Map.Entry<Long, WindowEntry> me : entries.entrySet()) {
            if (me.getKey() != expected || me.getValue().shard(stripe) == null) {
                return expected;
            }
            expected++;
        }
        return expected;
    }

    /** Sequences at or after {@code from} for which this stripe's shard is held, ascending. */
    public synchronized List<Long> heldFrom(int stripe, long from) {
        List<Long> out = new ArrayList<>();
        for (WindowEntry e : entries.tailMap(from, true).values()) {
            if (e.shard(stripe) != null) {
                out.add(e.sequence());
            }
        }
        return out;
    }

    /** Complete entries that lack a stripe's shard (candidates for regeneration). */
    public synchronized List<Long> completeLacking(int stripe) {
        List<Long> out = new ArrayList<>();
        for (WindowEntry e : entries.values()) {
            if (e.isComplete() && e.shard(stripe) == null) {
                out.add(e.sequence());
            }
        }
        return out;
    }

    /**
     * An ended stream (its newest entry is the end-of-stream marker) gets no more segments, so nothing
     * would ever push its entries out: it is kept whole, VOD-like, for one window after its end (a viewer
     * who joined near the end can still play it through), then dropped at once, marker included, and its
     * memory returns. The relay's timer calls this; the numbering stays where it was ({@link #evictedBelow}),
     * so a later run of the stream never reuses a sequence. Returns true when it dropped the window.
     */
    public boolean expireEnded(long nowMillis) {
        synchronized (this) {
            if (entries.isEmpty()) {
                return false;
            }
            WindowEntry newest = entries.lastEntry().getValue();
            if (!newest.isEnd() || nowMillis - newest.meta().getIngestTimeMillis() < spec.window().toMillis()) {
                return false;
            }
            while (!entries.isEmpty()) {
                removeFirst();
            }
        }
        return true;
    }

    /** A consistent copy of the entries, ascending, for playlists and metrics. */
    public synchronized List<WindowEntry> snapshot() {
        return new ArrayList<>(entries.values());
    }

    /**
     * The newest entry {@code wanted} accepts, or null. Looks from the newest back and copies nothing: a viewer asks for
     * what is near the live edge, and a low-latency window holds thousands of parts. {@code wanted} runs under the
     * window's lock: it must only read the entry.
     */
    public synchronized WindowEntry newest(Predicate<WindowEntry> wanted) {
        for (WindowEntry e : entries.descendingMap().values()) {
            if (wanted.test(e)) {
                return e;
            }
        }
        return null;
    }

    /**
     * The entries {@code wanted} accepts, ascending: one pass under the lock that copies only those (a snapshot copies
     * them all). {@code wanted} runs under the window's lock: it must only read the entry.
     */
    public synchronized List<WindowEntry> matching(Predicate<WindowEntry> wanted) {
        List<WindowEntry> out = new ArrayList<>();
        for (WindowEntry e : entries.values()) {
            if (wanted.test(e)) {
                out.add(e);
            }
        }
        return out;
    }

    /** Changes with every entry added, segment completed or entry evicted; read it before a snapshot taken to match. */
    public synchronized long version() {
        return version;
    }

    /** Rendition 0's (a stream without renditions has only that one); see {@link #evictedDiscontinuities(int)}. */
    public synchronized long evictedDiscontinuities() {
        return evictedDiscontinuities[0];
    }

    /** Discontinuities of one rendition's segments that left the window (0 for a rendition out of range). */
    public synchronized long evictedDiscontinuities(int rendition) {
        return rendition >= 0 && rendition < evictedDiscontinuities.length ? evictedDiscontinuities[rendition] : 0;
    }

    public synchronized int size() {
        return entries.size();
    }

    public synchronized long bytes() {
        return totalBytes;
    }

    /**
     * The lowest sequence a child of this stripe still waits for (it was sent everything held from there on and
     * lacks only what is not held), or {@link Long#MAX_VALUE} when no child follows the stripe here: regeneration
     * is worth it only from there on.
     */
    public long demandFrom(int stripe) {
        long from = Long.MAX_VALUE;
        for (ShardListener l : listeners.get(stripe)) {
            from = Math.min(from, l.wantsFrom());
        }
        return from;
    }

    /**
     * Evicts this window's oldest segment for the relay's budget (see {@link WindowMemory}) and returns the bytes
     * freed, 0 when nothing may go: outside the live edge only, or with {@code liveEdgeToo} anything but the
     * newest complete media segment and the newest entry (the one arriving), and never an init segment a held
     * media segment needs.
     */
    synchronized long evictOldestForBudget(boolean liveEdgeToo) {
        if (closed || entries.size() <= 1) {
            return 0;
        }
        long protectFrom = liveEdgeToo ? entries.lastKey() : liveEdgeStart();
        long newestComplete = liveEdgeToo ? newestCompleteMedia() : -1;
        for (WindowEntry e : entries.values()) {
            if (e.sequence() >= protectFrom) {
                return 0;
            }
            if (e.sequence() == newestComplete || !e.carriesMedia() && isReferenced(e.sequence())) {
                continue;
            }
            long bytes = e.bytes();
            remove(e.sequence());
            return bytes;
        }
        return 0;
    }

    /**
     * Drops incomplete segments whose first shard arrived more than {@code maxAgeMillis} ago (and that are not
     * being rebuilt right now), releasing their bytes; returns how many went.
     */
    int expireIncomplete(long nowMillis, long maxAgeMillis) {
        List<Long> freed = new ArrayList<>();
        synchronized (this) {
            List<WindowEntry> stale = new ArrayList<>();
            for (WindowEntry e : entries.values()) {
                if (!e.isComplete() && !e.isAssembling() && nowMillis - e.firstSeenMillis() > maxAgeMillis) {
                    stale.add(e);
                }
            }
            for (WindowEntry e : stale) {
                freed.add(e.bytes());
                remove(e.sequence());
            }
        }
        for (long bytes : freed) {
            memory.expired(spec.name(), bytes);
        }
        return freed.size();
    }

    /** The stream is no longer carried here (or starts over): its bytes leave the relay's budget. */
    public synchronized void close() {
        if (!closed) {
            memory.add(-totalBytes);
            memory.unregister(this);
            closed = true;
        }
    }

    /** Why a shard would not be added now, or null. */
    private Offer refusal(Shard shard) {
        long seq = shard.getSegment().getSequence();
        if (seq < evictedBelow) {
            return Offer.TOO_OLD;
        }
        WindowEntry e = entries.get(seq);
        if (e == null) {
            return seq < droppedBelow ? Offer.TOO_OLD : null;
        }
        if (!sameSegment(e.meta(), shard.getSegment())) {
            return Offer.CONFLICTING_META;
        }
        return e.shard(shard.getStripe()) != null ? Offer.DUPLICATE : null;
    }

    private void account(long delta) {
        totalBytes += delta;
        if (!closed) {
            memory.add(delta);
        }
    }

    /**
     * First sequence of the live edge: the newest media segments covering {@value WindowMemory#LIVE_EDGE_TARGET_DURATIONS}
     * target durations (the longest segment held, as a playlist's EXT-X-TARGETDURATION), and whatever is newer.
     */
    private long liveEdgeStart() {
        long target = 0;
        for (WindowEntry e : entries.values()) {
            if (e.carriesMedia()) {
                target = Math.max(target, e.meta().getDurationMicros());
            }
        }
        long needed = WindowMemory.LIVE_EDGE_TARGET_DURATIONS * target;
        long covered = 0;
        long start = entries.lastKey();
        for (WindowEntry e : entries.descendingMap().values()) {
            start = e.sequence();
            if (e.carriesMedia()) {
                covered += e.meta().getDurationMicros();
                if (covered >= needed) {
                    break;
                }
            }
        }
        return start;
    }

    private long newestCompleteMedia() {
        for (WindowEntry e : entries.descendingMap().values()) {
            if (e.carriesMedia() && e.isComplete()) {
                return e.sequence();
            }
        }
        return entries.lastKey();
    }

    private void evict() {
        if (entries.isEmpty()) {
            return;
        }
        long newest = entries.lastEntry().getValue().meta().getIngestTimeMillis();
        long horizon = newest - spec.window().toMillis();
        long neededInit = 0;
        // Oldest entries go first; an init segment stays while a media segment still refers to it.
        while (!entries.isEmpty()) {
            WindowEntry oldest = entries.firstEntry().getValue();
            boolean tooOld = oldest.meta().getIngestTimeMillis() < horizon;
            boolean tooBig = totalBytes > maxBytes && entries.size() > 1;
            if (!tooOld && !tooBig) {
                break;
            }
            if (!oldest.carriesMedia() && isReferenced(oldest.sequence())) {
                neededInit = oldest.sequence();
                break;
            }
            removeFirst();
        }
        if (neededInit != 0) {
            // Evict old media behind the pinned init without disturbing it.
            List<Long> drop = new ArrayList<>();
            for (WindowEntry e : entries.tailMap(neededInit, false).values()) {
                boolean tooOld = e.meta().getIngestTimeMillis() < horizon;
                if (!tooOld || !e.carriesMedia()) {
                    break;
                }
                drop.add(e.sequence());
            }
            for (Long seq : drop) {
                remove(seq);
            }
        }
    }

    private boolean isReferenced(long initSeq) {
        for (WindowEntry e : entries.tailMap(initSeq, false).values()) {
            if (e.meta().getInitSequence() == initSeq) {
                return true;
            }
        }
        return false;
    }

    private void removeFirst() {
        remove(entries.firstKey());
    }

    private void remove(long seq) {
        WindowEntry e = entries.remove(seq);
        if (e == null) {
            return;
        }
        account(-e.bytes());
        e.leave();
        droppedBelow = Math.max(droppedBelow, seq + 1);
        version++;
        boolean startsSegment = e.isMedia() || e.isPart() && e.meta().getPartIndex() == 0;
        if (startsSegment && e.meta().getDiscontinuity() && e.rendition() < evictedDiscontinuities.length) {
            evictedDiscontinuities[e.rendition()]++;
        }
        if (entries.isEmpty() || seq < entries.firstKey()) {
            evictedBelow = Math.max(evictedBelow, entries.isEmpty() ? seq + 1 : Math.min(seq + 1, entries.firstKey()));
        }
    }

    private void notifyStripe(int stripe, long seq) {
        for (ShardListener l : listeners.get(stripe)) {
            l.onShard(seq);
        }
    }

    private void notifyCompleted(long seq) {
        for (LongConsumer l : completionListeners) {
            l.accept(seq);
        }
    }

    private static boolean sameSegment(SegmentMeta a, SegmentMeta b) {
        return a.getLength() == b.getLength() && a.getSha256().equals(b.getSha256()) && a.getKind() == b.getKind()
                && a.getMediaSequence() == b.getMediaSequence() && a.getK() == b.getK() && a.getM() == b.getM()
                && a.getRendition() == b.getRendition() && a.getPartIndex() == b.getPartIndex();
    }
}
