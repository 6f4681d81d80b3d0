package io.stripecast.protocol.codec;

/**
 * Arithmetic in GF(2^8) with the primitive polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d) and
 * generator 2: the field used by Intel ISA-L and by Hadoop's {@code RSRawEncoder}, which is what
 * makes our parity byte-identical to theirs.
 */
final class Gf256 {

    static final int POLYNOMIAL = 0x11d;

    /** EXP[i] = 2^i, doubled in length so that EXP[LOG[a] + LOG[b]] needs no modulo. */
    private static final int[] EXP = new int[510];
    private static final int[] LOG = new int[256];

    /**
     * MUL[a][b] = a * b. 64 KiB in all, but a coding pass only touches the rows of its
     * coefficients (k * rows * 256 bytes), which stay in L1.
     */
    private static final byte[][] MUL = new byte[256][256];

    static {
        int x = 1;
        for (int i = 0; i < 255; i++) {
            EXP[i] = x;
            LOG[x] = i;
            x <<= 1;
            if ((x & 0x100) != 0) {
                x ^= POLYNOMIAL;
            }
        }
        for (int i = 255; i < EXP.length; i++) {
            EXP[i] = EXP[i - 255];
        }
        for (int a = 1; a < 256; a++) {
            for (int b = 1; b < 256; b++) {
                MUL[a][b] = (byte) EXP[LOG[a] + LOG[b]];
            }
        }
    }

    private Gf256() {
    }

    static int mul(int a, int b) {
        return MUL[a & 0xff][b & 0xff] & 0xff;
    }

    static int inv(int a) {
        if ((a & 0xff) == 0) {
            throw new ArithmeticException("0 has no inverse in GF(256)");
        }
        return EXP[255 - LOG[a & 0xff]];
    }

    /** The 256-entry row {@code c * x} for all x; shared, callers must not write to it. */
    static byte[] mulRow(int c) {
        return MUL[c & 0xff];
    }

    /**
     * Inverts the n x n matrix {@code m} (row-major, not modified) by Gauss-Jordan elimination.
     *
     * @throws ArithmeticException if it is singular (cannot happen for k rows of a Cauchy-extended
     *     identity, which is MDS)
     */
    static byte[][] invert(byte[][] m) {
        int n = m.length;
        byte[][] a = new byte[n][];
        byte[][] r = new byte[n][n];
        for (int i = 0; i < n; i++) {
            a[i] = m[i].clone();
            r[i][i] = 1;
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            while (pivot < n && a[pivot][col] == 0) {
                pivot++;
            }
            if (pivot == n) {
                throw new ArithmeticException("singular matrix");
            }
            if (pivot != col) {
                byte[] t = a[pivot];
                a[pivot] = a[col];
                a[col] = t;
                t = r[pivot];
                r[pivot] = r[col];
                r[col] = t;
            }
            byte[] scale = mulRow(inv(a[col][col]));
            byte[] ac = a[col];
            byte[] rc = r[col];
            for (int j = 0; j < n; j++) {
                ac[j] = scale[ac[j] & 0xff];
                rc[j] = scale[rc[j] & 0xff];
            }
            for (int row = 0; row < n; row++) {
                int f = a[row][col] & 0xff;
                if (row == col || f == 0) {
                    continue;
                }
                byte[] t = mulRow(f);
                byte[] ar = a[row];
                byte[] rr = r[row];
                for (int j = 0; j < n; j++) {
                    ar[j] ^= t[ac[j] & 0xff];
                    rr[j] ^= t[rc[j] & 0xff];
                }
            }
        }
        return r;
    }
}
