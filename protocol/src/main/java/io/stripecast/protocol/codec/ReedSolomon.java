package io.stripecast.protocol.codec;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Systematic Reed-Solomon erasure code over GF(2^8): k data shards, m parity shards, and any k
 * of the k + m shards rebuild the rest.
 *
 * <p>The encoding matrix is the one of Intel ISA-L's {@code gf_gen_cauchy1_matrix}, which Hadoop's
 * pure-Java {@code RSRawEncoder} also uses: identity on top, and parity row {@code i} (i in
 * [k, k + m)) has coefficient {@code 1 / (i XOR j)} for data shard {@code j}. That is a Cauchy
 * matrix (x_i = i, y_j = j, all distinct), so every k x k sub-matrix of the stacked matrix is
 * invertible, and the parity bytes equal Hadoop's for the same k, m and data; relays and tools
 * built on either library can exchange shards.
 *
 * <p>Thread-safe: the coefficients are immutable, the decode-plan cache is synchronized and the coding
 * loop's scratch memory is per thread.
 */
public final class ReedSolomon {

    /** Our cap (the field would allow 255); masks of present shards then fit in an int. */
    static final int MAX_TOTAL_SHARDS = 32;

    private static final int PLAN_CACHE_SIZE = 256;

    private final int k;
    private final int m;
    /** The (k + m) x k encoding matrix; rows [0, k) are the identity. */
    private final byte[][] matrix;
    /** The parity coefficients, {@code [p * k + j]}. */
    private final int[] parityCoefficients;
    /** Erasure pattern -> decode plan; a relay sees few patterns at a time, so LRU of 256 is plenty. */
    private final Map<Long, DecodePlan> plans = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, DecodePlan> eldest) {
            return size() > PLAN_CACHE_SIZE;
        }
    };

    public ReedSolomon(int dataShards, int parityShards) {
        if (dataShards < 1) {
            throw new IllegalArgumentException("dataShards must be >= 1, was " + dataShards);
        }
        if (parityShards < 0) {
            throw new IllegalArgumentException("parityShards must be >= 0, was " + parityShards);
        }
        if (dataShards + parityShards > MAX_TOTAL_SHARDS) {
            throw new IllegalArgumentException("dataShards + parityShards must be <= " + MAX_TOTAL_SHARDS
                    + ", was " + dataShards + " + " + parityShards);
        }
        this.k = dataShards;
        this.m = parityShards;
        int n = k + m;
        matrix = new byte[n][k];
        for (int i = 0; i < k; i++) {
            matrix[i][i] = 1;
        }
        for (int i = k; i < n; i++) {
            for (int j = 0; j < k; j++) {
                matrix[i][j] = (byte) Gf256.inv(i ^ j);
            }
        }
        parityCoefficients = new int[m * k];
        for (int p = 0; p < m; p++) {
            for (int j = 0; j < k; j++) {
                parityCoefficients[p * k + j] = matrix[k + p][j] & 0xff;
            }
        }
    }

    public int dataShards() {
        return k;
    }

    public int parityShards() {
        return m;
    }

    public int totalShards() {
        return k + m;
    }

    /** The coefficient of data shard {@code col} in shard {@code row} (row in [0, k + m)). */
    int coefficient(int row, int col) {
        return matrix[row][col] & 0xff;
    }

    /**
     * Computes the parity of {@code data[.][offset, offset + length)} into
     * {@code parity[.][offset, offset + length)}; bytes outside the range are not touched.
     *
     * @param data k arrays, each at least offset + length long
     * @param parity m arrays, each at least offset + length long
     */
    public void encodeParity(byte[][] data, byte[][] parity, int offset, int length) {
        if (data == null || data.length != k) {
            throw new IllegalArgumentException("need " + k + " data shards, got " + (data == null ? "null" : data.length));
        }
        if (parity == null || parity.length != m) {
            throw new IllegalArgumentException("need " + m + " parity shards, got " + (parity == null ? "null" : parity.length));
        }
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must be >= 0, were " + offset + ", " + length);
        }
        long end = (long) offset + length;
        checkArrays(data, "data", end);
        checkArrays(parity, "parity", end);
        if (m == 0 || length == 0) {
            return;
        }
        CodingLoop.code(parityCoefficients, data, parity, offset, length);
    }

    /**
     * As {@link #encodeParity} for parity shard {@code p} alone (in [0, m)): a relay regenerating one lost stripe
     * pays for that stripe only.
     */
    public void encodeParityShard(byte[][] data, int p, byte[] out, int offset, int length) {
        if (p < 0 || p >= m) {
            throw new IllegalArgumentException("parity index must be in [0, " + m + "), was " + p);
        }
        if (data == null || data.length != k) {
            throw new IllegalArgumentException("need " + k + " data shards, got " + (data == null ? "null" : data.length));
        }
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must be >= 0, were " + offset + ", " + length);
        }
        long end = (long) offset + length;
        checkArrays(data, "data", end);
        checkArrays(new byte[][]{out}, "out", end);
        if (length == 0) {
            return;
        }
        int[] row = java.util.Arrays.copyOfRange(parityCoefficients, p * k, p * k + k);
        CodingLoop.code(row, data, new byte[][]{out}, offset, length);
    }

    /**
     * Whether {@code expected} is parity shard {@code p} (in [0, m)) of the k data shards that are the slices of
     * {@code segment[0, segmentLength)} of {@code shardLength} bytes each (the last zero-padded), computed and compared
     * block by block: nothing is copied or allocated.
     */
    public boolean parityShardMatches(byte[] segment, int segmentLength, int shardLength, int p, java.nio.ByteBuffer expected) {
        if (p < 0 || p >= m) {
            throw new IllegalArgumentException("parity index must be in [0, " + m + "), was " + p);
        }
        if (segmentLength < 0 || segmentLength > segment.length || shardLength < 0 || (long) shardLength * k < segmentLength) {
            throw new IllegalArgumentException("segment of " + segmentLength + " bytes (array " + segment.length
                    + ") does not fit " + k + " shards of " + shardLength);
        }
        if (expected.remaining() != shardLength) {
            return false;
        }
        int[] row = java.util.Arrays.copyOfRange(parityCoefficients, p * k, p * k + k);
        return CodingLoop.rowMatches(row, segment, segmentLength, shardLength, expected);
    }

    /**
     * Rebuilds every missing shard in place.
     *
     * @param shards k + m slots, {@code null} where a shard is missing; at least k present, each
     *     at least {@code shardLength} long (only the first shardLength bytes are read)
     * @throws IllegalArgumentException if fewer than k shards are present
     */
    public void reconstruct(byte[][] shards, int shardLength) {
        reconstruct(shards, shardLength, false, null);
    }

    /**
     * As {@link #reconstruct(byte[][], int)}, but each rebuilt shard is written into the caller's
     * {@code into[i]} (for example a pooled buffer) and that array is put in {@code shards[i]}: nothing is
     * allocated for the bytes.
     *
     * @param into k + m slots; for every missing shard, an array at least {@code shardLength} long that is
     *     not one of the present shards (its first shardLength bytes are overwritten)
     */
    public void reconstructInto(byte[][] shards, int shardLength, byte[][] into) {
        if (into == null || into.length != k + m) {
            throw new IllegalArgumentException("need " + (k + m) + " output slots, got " + (into == null ? "null" : into.length));
        }
        reconstruct(shards, shardLength, false, into);
    }

    /**
     * Writes parity shard {@code p} of the k data shards that are the slices of {@code segment[0, segmentLength)} into
     * {@code out[0, shardLength)}, reading the slices in place (as {@link #parityShardMatches}): nothing is copied.
     */
    public void parityShardInto(byte[] segment, int segmentLength, int shardLength, int p, byte[] out) {
        if (p < 0 || p >= m) {
            throw new IllegalArgumentException("parity index must be in [0, " + m + "), was " + p);
        }
        if (segmentLength < 0 || segmentLength > segment.length || shardLength < 0 || (long) shardLength * k < segmentLength
                || out.length < shardLength) {
            throw new IllegalArgumentException("segment of " + segmentLength + " bytes (array " + segment.length
                    + ") does not fit " + k + " shards of " + shardLength + " into " + out.length);
        }
        int[] row = java.util.Arrays.copyOfRange(parityCoefficients, p * k, p * k + k);
        CodingLoop.rowInto(row, segment, segmentLength, shardLength, out);
    }

    /**
     * As {@link #reconstructInto}, for the missing data shards only (missing parity stays null): a receiver that only
     * wants the segment writes the lost data shards into arrays of its own (a pool's) and allocates nothing for bytes.
     *
     * @param into k + m slots; for every missing data shard, an array at least {@code shardLength} long that is not one
     *     of the present shards
     */
    public void reconstructDataInto(byte[][] shards, int shardLength, byte[][] into) {
        if (into == null || into.length != k + m) {
            throw new IllegalArgumentException("need " + (k + m) + " output slots, got " + (into == null ? "null" : into.length));
        }
        reconstruct(shards, shardLength, true, into);
    }

    /**
     * As {@link #reconstruct(byte[][], int)}, but with {@code dataOnly} missing parity slots are
     * left null (a receiver that only wants the segment need not pay for them).
     */
    void reconstruct(byte[][] shards, int shardLength, boolean dataOnly) {
        reconstruct(shards, shardLength, dataOnly, null);
    }

    private void reconstruct(byte[][] shards, int shardLength, boolean dataOnly, byte[][] into) {
        int n = k + m;
        if (shards == null || shards.length != n) {
            throw new IllegalArgumentException("need " + n + " shard slots, got " + (shards == null ? "null" : shards.length));
        }
        if (shardLength < 0) {
            throw new IllegalArgumentException("shardLength must be >= 0, was " + shardLength);
        }
        int present = 0;
        int validMask = 0;
        int wantedMask = 0;
        int limit = dataOnly ? k : n;
        for (int i = 0; i < n; i++) {
            byte[] s = shards[i];
            if (s != null) {
                if (s.length < shardLength) {
                    throw new IllegalArgumentException("shard " + i + " has " + s.length + " bytes, need " + shardLength);
                }
                if (present < k) {
                    // Like Hadoop, decode from the first k present shards.
                    validMask |= 1 << i;
                }
                present++;
            } else if (i < limit) {
                wantedMask |= 1 << i;
            }
        }
        if (present < k) {
            throw new IllegalArgumentException("need at least " + k + " of " + n + " shards, only " + present + " present");
        }
        if (wantedMask == 0) {
            return;
        }
        DecodePlan plan = plan(validMask, wantedMask);
        byte[][] inputs = new byte[k][];
        for (int i = 0; i < k; i++) {
            inputs[i] = shards[plan.validIndexes[i]];
        }
        byte[][] outputs = new byte[plan.wantedIndexes.length][];
        for (int i = 0; i < outputs.length; i++) {
            int slot = plan.wantedIndexes[i];
            if (into == null) {
                outputs[i] = new byte[shardLength];
            } else if (into[slot] == null || into[slot].length < shardLength) {
                throw new IllegalArgumentException("output for shard " + slot + " is "
                        + (into[slot] == null ? "null" : into[slot].length + " bytes") + ", need " + shardLength);
            } else {
                outputs[i] = into[slot];
            }
        }
        if (shardLength > 0) {
            CodingLoop.code(plan.coefficients, inputs, outputs, 0, shardLength);
        }
        for (int i = 0; i < outputs.length; i++) {
            shards[plan.wantedIndexes[i]] = outputs[i];
        }
    }

    private DecodePlan plan(int validMask, int wantedMask) {
        Long key = ((long) validMask << 32) | (wantedMask & 0xffffffffL);
        synchronized (plans) {
            DecodePlan cached = plans.get(key);
            if (cached != null) {
                return cached;
            }
        }
        // Built outside the lock: two threads may build the same plan, which is harmless.
        DecodePlan built = buildPlan(validMask, wantedMask);
        synchronized (plans) {
            plans.put(key, built);
        }
        return built;
    }

    private DecodePlan buildPlan(int validMask, int wantedMask) {
        int[] valid = indexes(validMask);
        int[] wanted = indexes(wantedMask);
        // sub * data = valid shards, so data = inverse(sub) * valid shards.
        byte[][] sub = new byte[k][];
        for (int i = 0; i < k; i++) {
            sub[i] = matrix[valid[i]];
        }
        byte[][] inverse = Gf256.invert(sub);
        int[] coefficients = new int[wanted.length * k];
        for (int w = 0; w < wanted.length; w++) {
            int row = wanted[w];
            for (int col = 0; col < k; col++) {
                int c;
                if (row < k) {
                    c = inverse[row][col] & 0xff;
                } else {
                    // A lost parity shard straight from the valid shards: its matrix row times the inverse.
                    c = 0;
                    for (int j = 0; j < k; j++) {
                        c ^= Gf256.mul(matrix[row][j], inverse[j][col]);
                    }
                }
                coefficients[w * k + col] = c;
            }
        }
        return new DecodePlan(valid, wanted, coefficients);
    }

    private static int[] indexes(int mask) {
        int[] out = new int[Integer.bitCount(mask)];
        int n = 0;
        for (int bits = mask; bits != 0; bits &= bits - 1) {
            out[n++] = Integer.numberOfTrailingZeros(bits);
        }
        return out;
    }

    private static void checkArrays(byte[][] arrays, String what, long end) {
        for (int i = 0; i < arrays.length; i++) {
            if (arrays[i] == null) {
                throw new IllegalArgumentException(what + "[" + i + "] is null");
            }
            if (arrays[i].length < end) {
                throw new IllegalArgumentException(what + "[" + i + "] has " + arrays[i].length + " bytes, need " + end);
            }
        }
    }

    /** Which k shards to read, which shards to write, and the coefficients between them. */
    private record DecodePlan(int[] validIndexes, int[] wantedIndexes, int[] coefficients) {
    }
}
