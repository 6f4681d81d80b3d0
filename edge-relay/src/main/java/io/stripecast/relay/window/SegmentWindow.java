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

/**
 * The sliding window of one stream on one relay: the shards (and rebuilt segments) of the last
 * {@code window} seconds, keyed by transport sequence. Memory is bounded by the window's duration
 * and by a byte cap, whatever peers send.
 *
 * <p>Listeners are called after the lock is released, so a listener may read the window freely.
 */
public final class SegmentWindow {

    /** What became of an offered shard. */
    public enum Offer { ADDED, DUPLICATE, TOO_OLD, CONFLICTING_META }

    private final StreamSpec spec;
    private final long maxBytes;
    private final NavigableMap<Long, WindowEntry> entries = new TreeMap<>();
    private final List<List<ShardListener>> listeners;
    private final List<LongConsumer> completionListeners = new CopyOnWriteArrayList<>();
    private long totalBytes;
    /** Sequences below this were evicted; shards for them are refused, never re-added. */
    private long evictedBelow;
    private long evictedDiscontinuities;
    /** Counts the changes to which entries are held and complete: what a playlist is rendered from. */
    private long version;

    public SegmentWindow(StreamSpec spec, long maxBytes) {
        this.spec = spec;
        this.maxBytes = maxBytes;
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

    /** Offers one shard (already validated by the caller). Returns the entry when added. */
    public Offer offer(Shard shard) {
        long seq = shard.getSegment().getSequence();
        Offer result;
        synchronized (this) {
            if (seq < evictedBelow) {
                return Offer.TOO_OLD;
            }
            WindowEntry e = entries.get(seq);
            if (e == null) {
                e = new WindowEntry(shard.getSegment(), spec.stripes());
                entries.put(seq, e);
            } else if (!sameSegment(e.meta(), shard.getSegment())) {
                return Offer.CONFLICTING_META;
            }
            if (!e.put(shard)) {
                return Offer.DUPLICATE;
            }
            totalBytes += shard.getData().size();
            version++;
            result = Offer.ADDED;
        }
        notifyStripe(shard.getStripe(), seq);
        return result;
    }

    /** Ingest path: a segment with all its shards, complete from the start. */
    public void putComplete(Shard[] shards, byte[] segment) {
        long seq = shards[0].getSegment().getSequence();
        synchronized (this) {
            WindowEntry e = new WindowEntry(shards[0].getSegment(), spec.stripes());
            for (Shard s : shards) {
                e.put(s);
            }
            e.complete(segment);
            // A standby ingest made root publishes whole a segment the lost primary had only begun to send here.
            WindowEntry replaced = entries.put(seq, e);
            if (replaced != null) {
                totalBytes -= replaced.bytes();
            }
            totalBytes += e.bytes();
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

    public synchronized Shard[] shardsOf(long seq) {
        WindowEntry e = entries.get(seq);
        return e == null ? null : e.shardsCopy();
    }

    /** Records a rebuilt segment; false when the entry has been evicted meanwhile. */
    public boolean complete(long seq, byte[] segment) {
        synchronized (this) {
            WindowEntry e = entries.get(seq);
            if (e == null) {
                return false;
            }
            e.complete(segment);
            totalBytes += segment.length;
            version++;
            evict();
        }
        notifyCompleted(seq);
        return true;
    }

    /** Replaces a shard found to be a lie (it passed its CRC but broke the segment's SHA-256). */
    public synchronized void replaceShard(long seq, Shard shard) {
        WindowEntry e = entries.get(seq);
        if (e != null) {
            Shard old = e.replace(shard);
            totalBytes += shard.getData().size() - (old == null ? 0 : old.getData().size());
        }
    }

    /** A rebuild from {@code attemptedWith} shards failed; another is tried once more shards arrive. */
    public synchronized void failAssembly(long seq, int attemptedWith) {
        WindowEntry e = entries.get(seq);
        if (e != null) {
            e.markFailed(attemptedWith);
        }
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

    /** Changes with every shard added, segment completed or entry evicted; read it before a snapshot taken to match. */
    public synchronized long version() {
        return version;
    }

    public synchronized long evictedDiscontinuities() {
        return evictedDiscontinuities;
    }

    public synchronized int size() {
        return entries.size();
    }

    public synchronized long bytes() {
        return totalBytes;
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
            if (!oldest.isMedia() && isReferenced(oldest.sequence())) {
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
                if (!tooOld || !e.isMedia()) {
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
        totalBytes -= e.bytes();
        version++;
        if (e.isMedia() && e.meta().getDiscontinuity()) {
            evictedDiscontinuities++;
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
                && a.getMediaSequence() == b.getMediaSequence() && a.getK() == b.getK() && a.getM() == b.getM();
    }
}
