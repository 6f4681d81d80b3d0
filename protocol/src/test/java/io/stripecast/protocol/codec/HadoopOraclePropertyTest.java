package io.stripecast.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.LongStream;
import org.apache.hadoop.io.erasurecode.ErasureCoderOptions;
import org.apache.hadoop.io.erasurecode.rawcoder.RSRawDecoder;
import org.apache.hadoop.io.erasurecode.rawcoder.RSRawEncoder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bit-sliced coding loop against Hadoop's pure-Java coder as the oracle, over random shapes, lengths
 * (around the loop's edges: under one long, odd tails, several 2 KiB blocks), offsets and erasure patterns,
 * through every entry point: encodeParity, encodeParityShard, reconstruct and reconstructInto. Also checks
 * that encoding leaves the bytes outside [offset, offset + length) alone and that reconstructInto writes
 * into the caller's arrays.
 */
class HadoopOraclePropertyTest {

    static LongStream seeds() {
        return LongStream.range(0, 120).map(s -> 20261206L * 31 + s);
    }

    private static int randomLength(Random rnd) {
        return switch (rnd.nextInt(5)) {
            case 0 -> 1 + rnd.nextInt(16);
            case 1 -> 8 * (1 + rnd.nextInt(600));
            case 2 -> 2048 * (1 + rnd.nextInt(4)) + rnd.nextInt(3) - 1;
            case 3 -> 1 + rnd.nextInt(40_000);
            default -> 100_000 + rnd.nextInt(200_000);
        };
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void encodeAndReconstructEqualHadoopOverRandomShapesSizesAndErasures(long seed) throws IOException {
        Random rnd = new Random(seed);
        int k = 1 + rnd.nextInt(rnd.nextBoolean() ? 12 : 31);
        int m = rnd.nextInt(Math.min(16, ReedSolomon.MAX_TOTAL_SHARDS - k) + 1);
        int length = randomLength(rnd);
        int offset = rnd.nextInt(4) == 0 ? rnd.nextInt(100) : 0;
        String where = "seed=" + seed + " k=" + k + " m=" + m + " length=" + length + " offset=" + offset;

        byte[][] data = new byte[k][];
        for (int i = 0; i < k; i++) {
            data[i] = Erasures.randomBytes(rnd, offset + length + rnd.nextInt(9));
        }
        byte[][] hadoopIn = new byte[k][];
        for (int i = 0; i < k; i++) {
            hadoopIn[i] = Arrays.copyOfRange(data[i], offset, offset + length);
        }
        byte[][] expected = new byte[m][length];
        if (m > 0) {
            new RSRawEncoder(new ErasureCoderOptions(k, m)).encode(hadoopIn, expected);
        }

        ReedSolomon rs = new ReedSolomon(k, m);
        byte[][] parity = new byte[m][];
        byte[][] guard = new byte[m][];
        for (int p = 0; p < m; p++) {
            parity[p] = Erasures.randomBytes(rnd, offset + length + 5);
            guard[p] = parity[p].clone();
        }
        rs.encodeParity(data, parity, offset, length);
        for (int p = 0; p < m; p++) {
            assertThat(Arrays.copyOfRange(parity[p], offset, offset + length)).as("parity %d, %s", p, where)
                    .isEqualTo(expected[p]);
            assertThat(Arrays.copyOfRange(parity[p], 0, offset)).as("bytes before offset, parity %d, %s", p, where)
                    .isEqualTo(Arrays.copyOfRange(guard[p], 0, offset));
            assertThat(Arrays.copyOfRange(parity[p], offset + length, parity[p].length))
                    .as("bytes after the range, parity %d, %s", p, where)
                    .isEqualTo(Arrays.copyOfRange(guard[p], offset + length, guard[p].length));
        }
        if (m > 0) {
            int p = rnd.nextInt(m);
            byte[] one = new byte[offset + length];
            rs.encodeParityShard(data, p, one, offset, length);
            assertThat(Arrays.copyOfRange(one, offset, offset + length)).as("parity shard %d alone, %s", p, where)
                    .isEqualTo(expected[p]);
        }
        if (m == 0) {
            return;
        }

        // Erasures: whole shards of exactly `length` bytes, any pattern of 1..m lost.
        int n = k + m;
        byte[][] shards = new byte[n][];
        System.arraycopy(hadoopIn, 0, shards, 0, k);
        System.arraycopy(expected, 0, shards, k, m);
        RSRawDecoder hadoop = new RSRawDecoder(new ErasureCoderOptions(k, m));
        for (int round = 0; round < 4; round++) {
            int mask = Erasures.randomMask(rnd, n, 1 + rnd.nextInt(m));
            String erasure = where + " round=" + round + " " + Erasures.describe(mask);
            byte[][] damaged = Erasures.drop(shards, mask);
            int[] erased = new int[Integer.bitCount(mask)];
            for (int i = 0, e = 0; i < n; i++) {
                if ((mask & (1 << i)) != 0) {
                    erased[e++] = i;
                }
            }
            byte[][] hadoopOut = new byte[erased.length][length];
            hadoop.decode(damaged.clone(), erased, hadoopOut);

            byte[][] ours = damaged.clone();
            rs.reconstruct(ours, length);
            byte[][] into = new byte[n][];
            for (int e : erased) {
                into[e] = Erasures.randomBytes(rnd, length + rnd.nextInt(3));
            }
            byte[][] oursInto = damaged.clone();
            rs.reconstructInto(oursInto, length, into);
            for (int e = 0; e < erased.length; e++) {
                int slot = erased[e];
                assertThat(ours[slot]).as("shard %d, %s", slot, erasure).isEqualTo(hadoopOut[e]).isEqualTo(shards[slot]);
                assertThat(oursInto[slot]).as("caller's array for shard %d, %s", slot, erasure).isSameAs(into[slot]);
                assertThat(Arrays.copyOf(oursInto[slot], length)).as("shard %d into caller's array, %s", slot, erasure)
                        .isEqualTo(shards[slot]);
            }
        }
    }
}
