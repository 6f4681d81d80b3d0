package io.stripecast.protocol.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The one hot loop of the codec: {@code out[r] = sum_j coef[r][j] * in[j]} over a byte range,
 * used both for parity (coefficients from the encoding matrix) and for reconstruction
 * (coefficients from an inverted sub-matrix).
 *
 * <p>Why it is bit-sliced instead of table lookups (the previous loop used 256-entry product
 * tables and reached 1.4-1.9x Hadoop's speed; table lookups are one byte per load and the JIT
 * cannot vectorise them):
 * <ul>
 *   <li>multiplying by a constant c in GF(2^8) is linear over GF(2): {@code c * x} is the XOR of
 *       {@code 2^b * x} for the bits b set in c. So each input block is turned once into its eight
 *       "powers" {@code x, 2x, 4x, ..., 128x}, and every output row then only XORs the powers its
 *       coefficient selects. The powers are shared by all output rows, which is where the gain over
 *       per-coefficient tables comes from when there are several rows (m parity shards, or several
 *       lost shards to rebuild);</li>
 *   <li>{@code 2x} is computed on eight bytes packed in a long (shift, mask, and the reduction by
 *       0x1d = bits 0, 2, 3, 4 as three shifts of the carry bits), and every loop over the
 *       {@code long[]} scratch is a plain counted loop of shifts, ANDs and XORs, which C2's
 *       superword pass turns into AVX2/AVX-512 instructions;</li>
 *   <li>the range is cut into blocks of {@link #BLOCK_LONGS} longs so the powers, one input block and
 *       the output accumulators stay in L1/L2 while every output row is built from them; bytes move
 *       between the shards and the scratch eight at a time through a byte-array view.</li>
 * </ul>
 * The scratch is per thread (no allocation per call once a thread has coded once); the few bytes past
 * the last whole long are done with the multiplication table.
 */
final class CodingLoop {

    /** Longs per block: 2 KiB of each shard; 8 powers + the rows' accumulators stay within L1/L2. */
    static final int BLOCK_LONGS = 256;

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private static final long LOW_BITS = 0x0101010101010101L;
    private static final long NOT_LOW_BITS = 0xfefefefefefefefeL;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private CodingLoop() {
    }

    /**
     * @param coefficients {@code coefficients[r * k + j]} is coefficient (r, j), in [0, 256)
     * @param inputs k arrays, read at [offset, offset + length)
     * @param outputs arrays written at [offset, offset + length), fully overwritten
     */
    static void code(int[] coefficients, byte[][] inputs, byte[][] outputs, int offset, int length) {
        int k = inputs.length;
        int rows = outputs.length;
        int longs = length >>> 3;
        if (longs > 0) {
            Scratch scratch = SCRATCH.get();
            long[][] powers = scratch.powers;
            long[][] acc = scratch.accumulators(rows);
            int[] highestBit = highestBits(coefficients, k, rows);
            for (int block = 0; block < longs; block += BLOCK_LONGS) {
                int n = Math.min(BLOCK_LONGS, longs - block);
                int byteStart = offset + (block << 3);
                for (int r = 0; r < rows; r++) {
                    Arrays.fill(acc[r], 0, n, 0L);
                }
                for (int j = 0; j < k; j++) {
                    if (highestBit[j] < 0) {
                        continue;
                    }
                    load(inputs[j], byteStart, powers[0], n);
                    for (int b = 1; b <= highestBit[j]; b++) {
                        times2(powers[b - 1], powers[b], n);
                    }
                    for (int r = 0; r < rows; r++) {
                        int c = coefficients[r * k + j];
                        if (c != 0) {
                            accumulate(acc[r], powers, c, n);
                        }
                    }
                }
                for (int r = 0; r < rows; r++) {
                    store(acc[r], outputs[r], byteStart, n);
                }
            }
        }
        int tailStart = offset + (longs << 3);
        int end = offset + length;
        if (tailStart < end) {
            codeTail(coefficients, inputs, outputs, tailStart, end);
        }
    }

    /**
     * Whether one row of the code over the k data shards of a whole segment equals {@code expected}, without writing the
     * row anywhere: the data shards are read in place as the segment's slices (shard j at {@code j * shardLength}, zero
     * past the segment's end, as the padded last shard), and each block of the row is compared as it is built. A relay
     * checks every parity shard that arrives after its segment was rebuilt this way: building the row into arrays
     * copied the data slices and allocated 1 + 1/k times the segment per check.
     *
     * @param row k coefficients, in [0, 256)
     * @param expected {@code shardLength} bytes from its position (not moved)
     */
    static boolean rowMatches(int[] row, byte[] segment, int segmentLength, int shardLength, java.nio.ByteBuffer expected) {
        return row(row, segment, segmentLength, shardLength, expected.duplicate().order(ByteOrder.nativeOrder()), null);
    }

    /** As {@link #rowMatches}, writing the row into {@code out[0, shardLength)} instead (a regenerated parity shard). */
    static void rowInto(int[] row, byte[] segment, int segmentLength, int shardLength, byte[] out) {
        row(row, segment, segmentLength, shardLength, null, out);
    }

    /** The row built block by block from the segment's slices: compared with {@code want} (native order), or stored. */
    private static boolean row(int[] row, byte[] segment, int segmentLength, int shardLength, java.nio.ByteBuffer want, byte[] out) {
        int k = row.length;
        int base = want == null ? 0 : want.position();
        int longs = shardLength >>> 3;
        Scratch scratch = SCRATCH.get();
        long[][] powers = scratch.powers;
        long[] acc = scratch.accumulators(1)[0];
        int[] highestBit = highestBits(row, k, 1);
        for (int block = 0; block < longs; block += BLOCK_LONGS) {
            int n = Math.min(BLOCK_LONGS, longs - block);
            int blockStart = block << 3;
            Arrays.fill(acc, 0, n, 0L);
            for (int j = 0; j < k; j++) {
                if (highestBit[j] < 0) {
                    continue;
                }
                loadPadded(segment, segmentLength, j * shardLength + blockStart, powers[0], n);
                for (int b = 1; b <= highestBit[j]; b++) {
                    times2(powers[b - 1], powers[b], n);
                }
                accumulate(acc, powers, row[j], n);
            }
            if (out != null) {
                store(acc, out, blockStart, n);
                continue;
            }
            for (int i = 0, p = base + blockStart; i < n; i++, p += 8) {
                if (acc[i] != want.getLong(p)) {
                    return false;
                }
            }
        }
        for (int i = longs << 3; i < shardLength; i++) {
            int v = 0;
            for (int j = 0; j < k; j++) {
                int at = j * shardLength + i;
                v ^= Gf256.mul(row[j], at < segmentLength ? segment[at] : 0);
            }
            if (out != null) {
                out[i] = (byte) v;
            } else if ((byte) v != want.get(base + i)) {
                return false;
            }
        }
        return true;
    }

    /** As {@link #load}, reading zeros at and past {@code length} (the padding of a segment's last data shard). */
    private static void loadPadded(byte[] in, int length, int byteStart, long[] x, int n) {
        int whole = Math.max(0, Math.min(n, (length - byteStart) >> 3));
        load(in, byteStart, x, whole);
        for (int i = whole; i < n; i++) {
            long v = 0;
            int p = byteStart + (i << 3);
            for (int b = 0; b < 8 && p + b < length; b++) {
                // Native order, as LONGS reads: on little-endian byte b is bits 8b..8b+7.
                v |= (in[p + b] & 0xffL) << (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? 8 * b : 8 * (7 - b));
            }
            x[i] = v;
        }
    }

    /** Per input j, the highest bit set in any of its coefficients (-1 if all are 0): powers above it are not needed. */
    private static int[] highestBits(int[] coefficients, int k, int rows) {
        int[] highest = new int[k];
        for (int j = 0; j < k; j++) {
            int any = 0;
            for (int r = 0; r < rows; r++) {
                any |= coefficients[r * k + j];
            }
            highest[j] = 31 - Integer.numberOfLeadingZeros(any);
        }
        return highest;
    }

    private static void load(byte[] in, int byteStart, long[] x, int n) {
        for (int i = 0, p = byteStart; i < n; i++, p += 8) {
            x[i] = (long) LONGS.get(in, p);
        }
    }

    private static void store(long[] x, byte[] out, int byteStart, int n) {
        for (int i = 0, p = byteStart; i < n; i++, p += 8) {
            LONGS.set(out, p, x[i]);
        }
    }

    /** {@code y = 2 * x} in GF(2^8), eight bytes per long: shift left, and fold the carried-out bit back as 0x1d. */
    private static void times2(long[] x, long[] y, int n) {
        for (int i = 0; i < n; i++) {
            long v = x[i];
            long carry = (v >>> 7) & LOW_BITS;
            y[i] = ((v << 1) & NOT_LOW_BITS) ^ carry ^ (carry << 2) ^ (carry << 3) ^ (carry << 4);
        }
    }

    /** {@code acc ^= c * x}: the XOR of the powers selected by c's bits, up to four per pass over acc. */
    private static void accumulate(long[] acc, long[][] powers, int c, int n) {
        int bits = c;
        while (bits != 0) {
            int count = Integer.bitCount(bits);
            long[] p0 = powers[Integer.numberOfTrailingZeros(bits)];
            bits &= bits - 1;
            if (count >= 4) {
                long[] p1 = powers[Integer.numberOfTrailingZeros(bits)];
                bits &= bits - 1;
                long[] p2 = powers[Integer.numberOfTrailingZeros(bits)];
                bits &= bits - 1;
                long[] p3 = powers[Integer.numberOfTrailingZeros(bits)];
                bits &= bits - 1;
                for (int i = 0; i < n; i++) {
                    acc[i] ^= p0[i] ^ p1[i] ^ p2[i] ^ p3[i];
                }
            } else if (count == 3) {
                long[] p1 = powers[Integer.numberOfTrailingZeros(bits)];
                bits &= bits - 1;
                long[] p2 = powers[Integer.numberOfTrailingZeros(bits)];
                bits &= bits - 1;
                for (int i = 0; i < n; i++) {
                    acc[i] ^= p0[i] ^ p1[i] ^ p2[i];
                }
            } else if (count == 2) {
                long[] p1 = powers[Integer.numberOfTrailingZeros(bits)];
                bits &= bits - 1;
                for (int i = 0; i < n; i++) {
                    acc[i] ^= p0[i] ^ p1[i];
                }
            } else {
                for (int i = 0; i < n; i++) {
                    acc[i] ^= p0[i];
                }
            }
        }
    }

    private static void codeTail(int[] coefficients, byte[][] inputs, byte[][] outputs, int from, int to) {
        int k = inputs.length;
        for (int r = 0; r < outputs.length; r++) {
            byte[] out = outputs[r];
            for (int i = from; i < to; i++) {
                int v = 0;
                for (int j = 0; j < k; j++) {
                    v ^= Gf256.mul(coefficients[r * k + j], inputs[j][i]);
                }
                out[i] = (byte) v;
            }
        }
    }

    /** A thread's working memory: the eight powers of one input block and one accumulator per output row. */
    private static final class Scratch {
        final long[][] powers = new long[8][BLOCK_LONGS];
        private long[][] accumulators = new long[0][];

        long[][] accumulators(int rows) {
            if (accumulators.length < rows) {
                long[][] grown = Arrays.copyOf(accumulators, rows);
                for (int r = accumulators.length; r < rows; r++) {
                    grown[r] = new long[BLOCK_LONGS];
                }
                accumulators = grown;
            }
            return accumulators;
        }
    }
}
