package io.stripecast.protocol.codec;

/**
 * The one hot loop of the codec: {@code out[r] = sum_j coef[r][j] * in[j]} over a byte range,
 * used both for parity (coefficients from the encoding matrix) and for reconstruction
 * (coefficients from an inverted sub-matrix).
 *
 * <p>Why it is shaped like this (measured against Hadoop's {@code RSUtil.encodeData}, which does
 * one read-modify-write pass over an output per input):
 * <ul>
 *   <li>the range is cut into blocks small enough that the k input blocks and the output blocks
 *       stay in L1/L2 while every output row is computed from them;</li>
 *   <li>within a block, each output byte is built from four inputs at a time, so an output is
 *       loaded and stored once per four inputs instead of once per input;</li>
 *   <li>the first group writes instead of XOR-ing, so outputs need no zeroing pass.</li>
 * </ul>
 */
final class CodingLoop {

    /** Bytes per block; 4 KiB * (k + rows) stays well inside a 1 MiB L2 for k + m <= 32. */
    static final int BLOCK = 4096;

    private CodingLoop() {
    }

    /**
     * @param tables {@code tables[r * k + j]} is the multiplication row of coefficient (r, j)
     * @param inputs k arrays, read at [offset, offset + length)
     * @param outputs arrays written at [offset, offset + length), fully overwritten
     */
    static void code(byte[][] tables, byte[][] inputs, byte[][] outputs, int offset, int length) {
        int k = inputs.length;
        int end = offset + length;
        for (int start = offset; start < end; start += BLOCK) {
            int stop = Math.min(end, start + BLOCK);
            for (int r = 0; r < outputs.length; r++) {
                codeRow(tables, r * k, inputs, outputs[r], start, stop);
            }
        }
    }

    private static void codeRow(byte[][] tables, int base, byte[][] in, byte[] out, int from, int to) {
        int k = in.length;
        int j = 0;
        boolean first = true;
        for (; j + 4 <= k; j += 4) {
            byte[] t0 = tables[base + j];
            byte[] t1 = tables[base + j + 1];
            byte[] t2 = tables[base + j + 2];
            byte[] t3 = tables[base + j + 3];
            byte[] a = in[j];
            byte[] b = in[j + 1];
            byte[] c = in[j + 2];
            byte[] d = in[j + 3];
            if (first) {
                for (int i = from; i < to; i++) {
                    out[i] = (byte) (t0[a[i] & 0xff] ^ t1[b[i] & 0xff] ^ t2[c[i] & 0xff] ^ t3[d[i] & 0xff]);
                }
                first = false;
            } else {
                for (int i = from; i < to; i++) {
                    out[i] ^= (byte) (t0[a[i] & 0xff] ^ t1[b[i] & 0xff] ^ t2[c[i] & 0xff] ^ t3[d[i] & 0xff]);
                }
            }
        }
        if (j + 2 <= k) {
            byte[] t0 = tables[base + j];
            byte[] t1 = tables[base + j + 1];
            byte[] a = in[j];
            byte[] b = in[j + 1];
            if (first) {
                for (int i = from; i < to; i++) {
                    out[i] = (byte) (t0[a[i] & 0xff] ^ t1[b[i] & 0xff]);
                }
                first = false;
            } else {
                for (int i = from; i < to; i++) {
                    out[i] ^= (byte) (t0[a[i] & 0xff] ^ t1[b[i] & 0xff]);
                }
            }
            j += 2;
        }
        if (j < k) {
            byte[] t0 = tables[base + j];
            byte[] a = in[j];
            if (first) {
                for (int i = from; i < to; i++) {
                    out[i] = t0[a[i] & 0xff];
                }
            } else {
                for (int i = from; i < to; i++) {
                    out[i] ^= t0[a[i] & 0xff];
                }
            }
        }
    }
}
