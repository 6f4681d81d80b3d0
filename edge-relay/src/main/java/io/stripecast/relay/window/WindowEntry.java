package io.stripecast.relay.window;

import com.google.protobuf.UnsafeByteOperations;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;

import java.util.ArrayList;
import java.util.List;

/**
 * One segment in a relay's window: its metadata, the shards held so far, and the whole segment
 * once complete. Mutated only under its window's lock; {@link #segment()} never changes once set.
 *
 * <p>Its bytes may be arrays of the relay's {@link BufferPool}, which go back to the pool and are reused: whoever reads
 * them (a shard's data, the segment) does so between {@link #enter()} and {@link #exit()}. The entry gives its arrays
 * back only when it has left its window and no reader is inside; an array it stops holding while it stays (a data
 * shard's message once the shard is a view of the segment) goes back once no reader is inside. Metadata never
 * aliases a pooled array (the parser copies it), so it may be kept and read freely.
 */
public final class WindowEntry {
    private final SegmentMeta meta;
    private final Shard[] shards;
    /** Per stripe, the array the held shard's bytes are a view of when the entry must give it back (else null). */
    private final HeldBytes[] shardBytes;
    /** Stripes whose shard is a view of {@link #segment} (its bytes are counted once, as the segment's). */
    private final boolean[] viewOfSegment;
    /** Stripes whose shard came after the segment was complete and was let go as spare: it will not come again. */
    private final boolean[] spareCame;
    private int shardCount;
    private volatile HeldBytes segment;
    /** Readers inside (guarded by this entry's monitor, not the window's: a reader may leave from any thread). */
    private int readers;
    private boolean left;
    private final List<HeldBytes> retired = new ArrayList<>(0);
    private boolean assembling;
    /** Shards held at the last failed rebuild: a retry needs more than that. */
    private int failedAt = -1;

    /** When its first shard arrived here (this relay's clock): an incomplete entry expires from then. */
    private final long firstSeenMillis;

    WindowEntry(SegmentMeta meta, int stripes, long firstSeenMillis) {
        this.meta = meta;
        this.shards = new Shard[stripes];
        this.shardBytes = new HeldBytes[stripes];
        this.viewOfSegment = new boolean[stripes];
        this.spareCame = new boolean[stripes];
        this.firstSeenMillis = firstSeenMillis;
    }

    long firstSeenMillis() {
        return firstSeenMillis;
    }

    boolean isAssembling() {
        return assembling;
    }

    public SegmentMeta meta() {
        return meta;
    }

    public long sequence() {
        return meta.getSequence();
    }

    /** A media segment a playlist lists (not an init segment, not an end-of-stream marker). */
    public boolean isMedia() {
        return meta.getKind() == SegmentKind.SEGMENT_KIND_MPEG_TS || meta.getKind() == SegmentKind.SEGMENT_KIND_FMP4_MEDIA;
    }

    /** A part of a CMAF segment (LL-HLS): windowed by time like media, listed as a part, joined into its segment. */
    public boolean isPart() {
        return meta.getKind() == SegmentKind.SEGMENT_KIND_FMP4_PART;
    }

    /** Media bytes of either unit (a whole segment or a part): what the window's horizon and live edge count. */
    public boolean carriesMedia() {
        return isMedia() || isPart();
    }

    /** The end of a segment sent as parts: says how many parts it has. */
    public boolean isPartsEnd() {
        return meta.getKind() == SegmentKind.SEGMENT_KIND_PARTS_END;
    }

    /** The stream's rendition ladder (its master playlist as the ingest learned it). */
    public boolean isRenditions() {
        return meta.getKind() == SegmentKind.SEGMENT_KIND_RENDITIONS;
    }

    public int rendition() {
        return meta.getRendition();
    }

    /** The publisher's end of the stream: the media before it form an ended run. */
    public boolean isEnd() {
        return meta.getKind() == SegmentKind.SEGMENT_KIND_END_OF_STREAM;
    }

    public boolean isComplete() {
        return segment != null;
    }

    /** The whole segment, or null while incomplete; read it only between {@link #enter()} and {@link #exit()}. */
    public HeldBytes segment() {
        return segment;
    }

    /**
     * Enters as a reader: until {@link #exit()}, the arrays behind this entry's shards and segment are not given back.
     * False (do not read, do not exit) when the entry has already left its window: a reader that found it in an older
     * snapshot treats it as gone.
     */
    public synchronized boolean enter() {
        if (left) {
            return false;
        }
        readers++;
        return true;
    }

    /** Leaves after {@link #enter()} returned true; the last reader out gives back what is no longer held. */
    public void exit() {
        List<HeldBytes> back;
        synchronized (this) {
            if (readers <= 0) {
                throw new IllegalStateException("exit without enter on segment " + sequence());
            }
            if (--readers > 0) {
                return;
            }
            back = givenBack();
        }
        back.forEach(HeldBytes::release);
    }

    /** The window removed it: its arrays go back now, or when the last reader inside leaves. */
    void leave() {
        List<HeldBytes> back;
        synchronized (this) {
            left = true;
            if (readers > 0) {
                return;
            }
            back = givenBack();
        }
        back.forEach(HeldBytes::release);
    }

    /** An array this entry stopped holding: back now, or when the readers inside have left. */
    private void retire(HeldBytes bytes) {
        if (bytes == null) {
            return;
        }
        synchronized (this) {
            if (readers > 0) {
                retired.add(bytes);
                return;
            }
        }
        bytes.release();
    }

    /** Under the monitor, with no reader inside: what to give back (the retired, and everything once it left). */
    private List<HeldBytes> givenBack() {
        List<HeldBytes> back = new ArrayList<>(retired);
        retired.clear();
        if (left) {
            for (int i = 0; i < shardBytes.length; i++) {
                if (shardBytes[i] != null) {
                    back.add(shardBytes[i]);
                    shardBytes[i] = null;
                }
            }
            if (segment != null) {
                back.add(segment);
            }
        }
        return back;
    }

    int shardCount() {
        return shardCount;
    }

    /** Its shard in {@code stripe} came after the segment was complete and was let go as spare (under the window's lock). */
    void markSpareCame(int stripe) {
        spareCame[stripe] = true;
    }

    boolean spareCame(int stripe) {
        return spareCame[stripe];
    }

    Shard shard(int stripe) {
        return shards[stripe];
    }

    Shard[] shardsCopy() {
        return shards.clone();
    }

    /** Holds a shard whose bytes are a view of {@code bytes} (given back with the entry; null: nothing to give back). */
    boolean put(Shard shard, HeldBytes bytes) {
        int stripe = shard.getStripe();
        if (shards[stripe] != null) {
            return false;
        }
        shards[stripe] = shard;
        shardBytes[stripe] = bytes;
        shardCount++;
        return true;
    }

    void complete(HeldBytes bytes) {
        segment = bytes;
        assembling = false;
    }

    boolean startAssembling(int k) {
        if (segment != null || assembling || shardCount < k || shardCount <= failedAt) {
            return false;
        }
        assembling = true;
        return true;
    }

    void markFailed(int attemptedWith) {
        assembling = false;
        failedAt = attemptedWith;
    }

    /**
     * Makes each data shard that is still the one in {@code used} a view of the complete segment, and puts the view in
     * {@code used} too. The received shard's own buffer is then free to go; the bytes are the same (the segment was
     * joined from them and passed its SHA-256). A last data shard with zero padding keeps its own bytes: the segment
     * ends before the padding.
     */
    void shareDataShards(Shard[] used) {
        int k = meta.getK();
        int shardLength = StripeCodec.shardLength(meta.getLength(), k);
        for (int i = 0; i < k && i < shards.length; i++) {
            Shard held = shards[i];
            if (held == null || held != used[i] || (long) (i + 1) * shardLength > segment.length() || viewOfSegment[i]) {
                continue;
            }
            Shard view = held.toBuilder().setData(UnsafeByteOperations.unsafeWrap(segment.array(), i * shardLength, shardLength)).build();
            shards[i] = view;
            viewOfSegment[i] = true;
            used[i] = view;
            retire(shardBytes[i]);
            shardBytes[i] = null;
        }
    }

    /** Puts {@code shard} in its stripe's place; returns the change in {@link #bytes()}. */
    long replace(Shard shard) {
        int stripe = shard.getStripe();
        Shard old = shards[stripe];
        long freed = old == null || viewOfSegment[stripe] ? 0 : old.getData().size();
        shards[stripe] = shard;
        viewOfSegment[stripe] = false;
        retire(shardBytes[stripe]);
        shardBytes[stripe] = null;
        if (old == null) {
            shardCount++;
        }
        return shard.getData().size() - freed;
    }

    long bytes() {
        long total = 0;
        for (int i = 0; i < shards.length; i++) {
            if (shards[i] != null && !viewOfSegment[i]) {
                total += shards[i].getData().size();
            }
        }
        HeldBytes seg = segment;
        return total + (seg == null ? 0 : seg.length());
    }
}
