package io.stripecast.relay.window;

import com.google.protobuf.UnsafeByteOperations;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;

/**
 * One segment in a relay's window: its metadata, the shards held so far, and the whole segment
 * once complete. Mutated only under its window's lock; {@link #segment()} never changes once set.
 */
public final class WindowEntry {
    private final SegmentMeta meta;
    private final Shard[] shards;
    /** Stripes whose shard is a view of {@link #segment} (its bytes are counted once, as the segment's). */
    private final boolean[] viewOfSegment;
    private int shardCount;
    private volatile byte[] segment;
    private boolean assembling;
    /** Shards held at the last failed rebuild: a retry needs more than that. */
    private int failedAt = -1;

    /** When its first shard arrived here (this relay's clock): an incomplete entry expires from then. */
    private final long firstSeenMillis;

    WindowEntry(SegmentMeta meta, int stripes, long firstSeenMillis) {
        this.meta = meta;
        this.shards = new Shard[stripes];
        this.viewOfSegment = new boolean[stripes];
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

    /** The whole segment, or null while incomplete. */
    public byte[] segment() {
        return segment;
    }

    int shardCount() {
        return shardCount;
    }

    Shard shard(int stripe) {
        return shards[stripe];
    }

    Shard[] shardsCopy() {
        return shards.clone();
    }

    boolean put(Shard shard) {
        int stripe = shard.getStripe();
        if (shards[stripe] != null) {
            return false;
        }
        shards[stripe] = shard;
        shardCount++;
        return true;
    }

    void complete(byte[] bytes) {
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
            if (held == null || held != used[i] || (long) (i + 1) * shardLength > segment.length || viewOfSegment[i]) {
                continue;
            }
            Shard view = held.toBuilder().setData(UnsafeByteOperations.unsafeWrap(segment, i * shardLength, shardLength)).build();
            shards[i] = view;
            viewOfSegment[i] = true;
            used[i] = view;
        }
    }

    /** Puts {@code shard} in its stripe's place; returns the change in {@link #bytes()}. */
    long replace(Shard shard) {
        int stripe = shard.getStripe();
        Shard old = shards[stripe];
        long freed = old == null || viewOfSegment[stripe] ? 0 : old.getData().size();
        shards[stripe] = shard;
        viewOfSegment[stripe] = false;
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
        byte[] seg = segment;
        return total + (seg == null ? 0 : seg.length);
    }
}
