package io.stripecast.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.hadoop.io.erasurecode.ErasureCoderOptions;
import org.apache.hadoop.io.erasurecode.rawcoder.RSRawDecoder;
import org.apache.hadoop.io.erasurecode.rawcoder.RSRawEncoder;
import org.apache.hadoop.io.erasurecode.rawcoder.util.GF256;
import org.apache.hadoop.io.erasurecode.rawcoder.util.RSUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hadoop's pure-Java RS coder (ISA-L compatible) is the oracle: shards we make must be
 * interchangeable with theirs.
 */
class HadoopCompatibilityTest {

    private static final int[][] SHAPES = {
        {2, 1}, {3, 1}, {3, 2}, {6, 3}, {10, 4}, {16, 16}, {31, 1}, {1, 0}, {1, 31},
        {4, 4}, {5, 2}, {8, 8}, {12, 4}, {20, 12}, {17, 15}, {2, 30}, {7, 0}, {32, 0},
    };
    private static final int SEEDS_PER_SHAPE = 6;

    static Stream<Arguments> shapesAndSeeds() {
        List<Arguments> out = new ArrayList<>();
        for (int[] s : SHAPES) {
            for (long seed = 0; seed < SEEDS_PER_SHAPE; seed++) {
                out.add(Arguments.of(s[0], s[1], 1000L * s[0] + 100L * s[1] + seed));
            }
        }
        return out.stream();
    }

    static Stream<Arguments> shapesWithParityAndSeeds() {
        return shapesAndSeeds().filter(a -> (int) a.get()[1] > 0);
    }

    @Test
    void fieldArithmeticEqualsHadoopGf256() {
        for (int a = 0; a < 256; a++) {
            for (int b = 0; b < 256; b++) {
                assertThat(Gf256.mul(a, b)).as("%d * %d", a, b).isEqualTo(GF256.gfMul((byte) a, (byte) b) & 0xff);
            }
            if (a != 0) {
                assertThat(Gf256.inv(a)).as("1 / %d", a).isEqualTo(GF256.gfInv((byte) a) & 0xff);
            }
        }
    }

    @Test
    void encodingMatrixEqualsHadoopCauchyMatrixForEveryShape() {
        for (int k = 1; k <= 32; k++) {
            for (int m = 0; k + m <= 32; m++) {
                ReedSolomon rs = new ReedSolomon(k, m);
                byte[] hadoop = new byte[(k + m) * k];
                RSUtil.genCauchyMatrix(hadoop, k + m, k);
                for (int row = 0; row < k + m; row++) {
                    for (int col = 0; col < k; col++) {
                        assertThat(rs.coefficient(row, col)).as("k=%d m=%d row=%d col=%d", k, m, row, col)
                                .isEqualTo(hadoop[row * k + col] & 0xff);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "k={0} m={1} seed={2}")
    @MethodSource("shapesAndSeeds")
    void parityEqualsHadoopRsRawEncoder(int k, int m, long seed) throws IOException {
        Random rnd = new Random(seed);
        // Lengths around the coding loop's edges: tiny, odd, and past one 4 KiB block.
        int length = switch (rnd.nextInt(3)) {
            case 0 -> 1 + rnd.nextInt(8);
            case 1 -> 1 + rnd.nextInt(4096);
            default -> 4096 + rnd.nextInt(20_000);
        };
        int offset = rnd.nextInt(3) == 0 ? rnd.nextInt(64) : 0;
        byte[][] data = new byte[k][];
        for (int i = 0; i < k; i++) {
            data[i] = Erasures.randomBytes(rnd, offset + length + rnd.nextInt(4));
        }
        byte[][] ours = new byte[m][offset + length];
        new ReedSolomon(k, m).encodeParity(data, ours, offset, length);

        byte[][] hadoopIn = new byte[k][];
        for (int i = 0; i < k; i++) {
            hadoopIn[i] = Arrays.copyOfRange(data[i], offset, offset + length);
        }
        byte[][] hadoopOut = new byte[m][length];
        if (m > 0) {
            new RSRawEncoder(new ErasureCoderOptions(k, m)).encode(hadoopIn, hadoopOut);
        }
        for (int p = 0; p < m; p++) {
            assertThat(Arrays.copyOfRange(ours[p], offset, offset + length))
                    .as("parity %d, k=%d m=%d seed=%d length=%d offset=%d", p, k, m, seed, length, offset)
                    .isEqualTo(hadoopOut[p]);
        }
    }

    @ParameterizedTest(name = "k={0} m={1} seed={2}")
    @MethodSource("shapesWithParityAndSeeds")
    void reconstructAgreesWithHadoopRsRawDecoder(int k, int m, long seed) throws IOException {
        Random rnd = new Random(seed);
        int n = k + m;
        int length = 1 + rnd.nextInt(6000);
        byte[][] shards = new byte[n][];
        for (int i = 0; i < k; i++) {
            shards[i] = Erasures.randomBytes(rnd, length);
        }
        byte[][] parity = new byte[m][length];
        new RSRawEncoder(new ErasureCoderOptions(k, m)).encode(Arrays.copyOf(shards, k), parity);
        System.arraycopy(parity, 0, shards, k, m);

        RSRawDecoder hadoop = new RSRawDecoder(new ErasureCoderOptions(k, m));
        ReedSolomon rs = new ReedSolomon(k, m);
        for (int round = 0; round < 10; round++) {
            int mask = Erasures.randomMask(rnd, n, 1 + rnd.nextInt(m));
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
            for (int e = 0; e < erased.length; e++) {
                assertThat(ours[erased[e]])
                        .as("shard %d, k=%d m=%d seed=%d round=%d %s", erased[e], k, m, seed, round, Erasures.describe(mask))
                        .isEqualTo(hadoopOut[e])
                        .isEqualTo(shards[erased[e]]);
            }
        }
    }
}
