package io.stripecast.protocol.codec;

/**
 * Cuts a whole segment into k data shards plus m parity shards and joins them back.
 *
 * <p>Layout: shard length is {@code ceil(segmentLength / k)}; data shard i holds segment bytes
 * {@code [i * shardLength, (i + 1) * shardLength)}, and the tail of the last data shard(s) is
 * zero-padded. The segment length travels beside the shards (it is not encoded in them).
 *
 * <p>Thread-safe and immutable.
 */
public final class StripeCodec {

    public static final int MAX_SEGMENT_BYTES = 32 * 1024 * 1024;
    public static final int MAX_TOTAL_SHARDS = ReedSolomon.MAX_TOTAL_SHARDS;

    private final ReedSolomon rs;

    public StripeCodec(int k, int m) {
        this.rs = new ReedSolomon(k, m);
    }

    public int k() {
        return rs.dataShards();
    }

    public int m() {
        return rs.parityShards();
    }

    /** {@code ceil(segmentLength / k)}. */
    public static int shardLength(int segmentLength, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, was " + k);
        }
        if (segmentLength < 0) {
            throw new IllegalArgumentException("segmentLength must be >= 0, was " + segmentLength);
        }
        return (int) (((long) segmentLength + k - 1) / k);
    }

    /** Returns k + m new shards: the k data shards (last one zero-padded), then the m parity shards. */
    public byte[][] encode(byte[] segment) {
        if (segment == null) {
            throw new IllegalArgumentException("segment is null");
        }
        checkSegmentLength(segment.length);
        int k = k();
        int len = shardLength(segment.length, k);
        byte[][] data = new byte[k][];
        for (int i = 0; i < k; i++) {
            data[i] = new byte[len];
            int from = i * len;
            int count = Math.max(0, Math.min(len, segment.length - from));
            System.arraycopy(segment, Math.min(from, segment.length), data[i], 0, count);
        }
        byte[][] parity = new byte[m()][len];
        rs.encodeParity(data, parity, 0, len);
        byte[][] shards = new byte[k + m()][];
        System.arraycopy(data, 0, shards, 0, k);
        System.arraycopy(parity, 0, shards, k, parity.length);
        return shards;
    }

    /**
     * Returns shard {@code stripe} of a whole segment, equal to {@code encode(segment)[stripe]}, computing that
     * shard only: a data shard is a slice, a parity shard one row of the code.
     */
    public byte[] shard(byte[] segment, int stripe) {
        if (segment == null) {
            throw new IllegalArgumentException("segment is null");
        }
        return shard(segment, segment.length, stripe);
    }

    /** As {@link #shard(byte[], int)} for a segment that is the first {@code length} bytes of {@code segment}. */
    public byte[] shard(byte[] segment, int length, int stripe) {
        if (segment == null) {
            throw new IllegalArgumentException("segment is null");
        }
        checkSegmentLength(length);
        byte[] out = new byte[shardLength(length, k())];
        shardInto(segment, length, stripe, out);
        return out;
    }

    /**
     * Writes shard {@code stripe} of the segment {@code segment[0, length)} into {@code out[0, shardLength(length, k))}
     * (an array of the caller's, a pool's, which may be longer): a data shard is its slice (zero-padded), a parity shard
     * its row of the code built from the slices in place. Equal to {@code shard(segment, length, stripe)}, with nothing
     * allocated.
     */
    public void shardInto(byte[] segment, int length, int stripe, byte[] out) {
        if (segment == null || out == null) {
            throw new IllegalArgumentException("segment and out must not be null");
        }
        checkSegmentLength(length);
        if (length > segment.length) {
            throw new IllegalArgumentException("segment of " + length + " bytes in an array of " + segment.length);
        }
        int k = k();
        if (stripe < 0 || stripe >= k + m()) {
            throw new IllegalArgumentException("stripe must be in [0, " + (k + m()) + "), was " + stripe);
        }
        int len = shardLength(length, k);
        if (out.length < len) {
            throw new IllegalArgumentException("out of " + out.length + " bytes for a shard of " + len);
        }
        if (stripe >= k) {
            rs.parityShardInto(segment, length, len, stripe - k, out);
            return;
        }
        int from = stripe * len;
        int count = Math.max(0, Math.min(len, length - from));
        System.arraycopy(segment, Math.min(from, length), out, 0, count);
        java.util.Arrays.fill(out, count, len, (byte) 0);
    }

    /**
     * Whether {@code got} holds exactly shard {@code stripe} (a parity stripe, in [k, k + m)) of a whole segment, as
     * {@code ByteBuffer.wrap(shard(segment, stripe)).equals(got)} would say, computed in place with no allocation.
     */
    public boolean parityMatches(byte[] segment, int stripe, java.nio.ByteBuffer got) {
        if (segment == null) {
            throw new IllegalArgumentException("segment is null");
        }
        return parityMatches(segment, segment.length, stripe, got);
    }

    /** As {@link #parityMatches(byte[], int, java.nio.ByteBuffer)} for the first {@code length} bytes of {@code segment}. */
    public boolean parityMatches(byte[] segment, int length, int stripe, java.nio.ByteBuffer got) {
        if (segment == null) {
            throw new IllegalArgumentException("segment is null");
        }
        checkSegmentLength(length);
        if (stripe < k() || stripe >= k() + m()) {
            throw new IllegalArgumentException("parity stripe must be in [" + k() + ", " + (k() + m()) + "), was " + stripe);
        }
        return rs.parityShardMatches(segment, length, shardLength(length, k()), stripe - k(), got);
    }

    /**
     * Returns a new array with the segment's bytes.
     *
     * @param shards k + m slots, null where missing, at least k present, each exactly
     *     {@code shardLength(segmentLength, k)} long; not modified
     */
    public byte[] decode(byte[][] shards, int segmentLength) {
        int len = checkShards(shards, segmentLength);
        byte[][] work = shards.clone();
        // Only data shards are needed; missing parity stays missing.
        rs.reconstruct(work, len, true);
        byte[] segment = new byte[segmentLength];
        join(work, len, segmentLength, segment);
        return segment;
    }

    /** The segment from its k data shards of {@code len} bytes: their bytes in order, the padding left out. */
    private void join(byte[][] data, int len, int segmentLength, byte[] out) {
        for (int i = 0; i < k(); i++) {
            int from = i * len;
            int count = Math.min(len, segmentLength - from);
            if (count <= 0) {
                break;
            }
            System.arraycopy(data[i], 0, out, from, count);
        }
    }

    /**
     * As {@link #decode}, writing the segment into {@code out} and each missing data shard into {@code into}: arrays of
     * the caller's (a pool's, so they may be longer than asked: only the first {@code shardLength(segmentLength, k)}
     * bytes of a shard and the first {@code segmentLength} of {@code out} are used). Nothing is allocated for bytes.
     *
     * @param shards k + m slots, null where missing, at least k present, each at least a shard long; not modified
     * @param into k + m slots; for every missing data shard an array at least a shard long, not one of the present ones
     */
    public void decodeInto(byte[][] shards, int segmentLength, byte[][] into, byte[] out) {
        checkSegmentLength(segmentLength);
        int n = k() + m();
        if (shards == null || shards.length != n || into == null || into.length != n) {
            throw new IllegalArgumentException("need " + n + " shard and output slots");
        }
        if (out == null || out.length < segmentLength) {
            throw new IllegalArgumentException("output of " + (out == null ? "null" : out.length) + " bytes for a segment of " + segmentLength);
        }
        int len = shardLength(segmentLength, k());
        byte[][] work = shards.clone();
        rs.reconstructDataInto(work, len, into);
        join(work, len, segmentLength, out);
    }

    /**
     * Returns a new k + m array holding every shard: the present ones (the same arrays, not copies)
     * and the missing ones rebuilt. The input array is not modified.
     */
    public byte[][] regenerate(byte[][] shards, int segmentLength) {
        int len = checkShards(shards, segmentLength);
        byte[][] work = shards.clone();
        rs.reconstruct(work, len);
        return work;
    }

    private int checkShards(byte[][] shards, int segmentLength) {
        checkSegmentLength(segmentLength);
        int n = k() + m();
        if (shards == null || shards.length != n) {
            throw new IllegalArgumentException("need " + n + " shard slots, got " + (shards == null ? "null" : shards.length));
        }
        int len = shardLength(segmentLength, k());
        int present = 0;
        for (int i = 0; i < n; i++) {
            if (shards[i] != null) {
                if (shards[i].length != len) {
                    throw new IllegalArgumentException("shard " + i + " has " + shards[i].length
                            + " bytes, a segment of " + segmentLength + " bytes has shards of " + len);
                }
                present++;
            }
        }
        if (present < k()) {
            throw new IllegalArgumentException("need at least " + k() + " of " + n + " shards, only " + present + " present");
        }
        return len;
    }

    private static void checkSegmentLength(int length) {
        if (length < 1 || length > MAX_SEGMENT_BYTES) {
            throw new IllegalArgumentException("segment must be 1.." + MAX_SEGMENT_BYTES + " bytes, was " + length);
        }
    }
}
