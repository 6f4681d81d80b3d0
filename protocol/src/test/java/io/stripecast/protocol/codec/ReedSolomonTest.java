package io.stripecast.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ReedSolomonTest {

    /** Encodes random data into a full k + m shard array. */
    private static byte[][] encoded(ReedSolomon rs, Random rnd, int length) {
        int k = rs.dataShards();
        byte[][] shards = new byte[rs.totalShards()][];
        byte[][] data = new byte[k][];
        for (int i = 0; i < k; i++) {
            data[i] = shards[i] = Erasures.randomBytes(rnd, length);
        }
        byte[][] parity = new byte[rs.parityShards()][length];
        rs.encodeParity(data, parity, 0, length);
        System.arraycopy(parity, 0, shards, k, parity.length);
        return shards;
    }

    static Stream<Arguments> wideShapesAndSeeds() {
        int[][] shapes = {{16, 16}, {10, 22}, {31, 1}, {1, 31}, {20, 12}, {24, 8}, {13, 3}, {10, 4}};
        List<Arguments> out = new ArrayList<>();
        for (int[] s : shapes) {
            for (long seed = 0; seed < 8; seed++) {
                out.add(Arguments.of(s[0], s[1], 7919L * s[0] + 31L * s[1] + seed));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "k={0} m={1} seed={2}")
    @MethodSource("wideShapesAndSeeds")
    void sampledErasurePatternsUpToMDecodeOnWideStripes(int k, int m, long seed) {
        Random rnd = new Random(seed);
        ReedSolomon rs = new ReedSolomon(k, m);
        int length = 1 + rnd.nextInt(9000);
        byte[][] shards = encoded(rs, rnd, length);
        for (int round = 0; round < 40; round++) {
            // Half the rounds lose the most shards we may lose, since that is where bugs hide.
            int lost = round % 2 == 0 ? m : rnd.nextInt(m + 1);
            int mask = Erasures.randomMask(rnd, k + m, lost);
            byte[][] damaged = Erasures.drop(shards, mask);
            rs.reconstruct(damaged, length);
            for (int i = 0; i < k + m; i++) {
                assertThat(damaged[i]).as("shard %d, k=%d m=%d seed=%d round=%d %s", i, k, m, seed, round, Erasures.describe(mask))
                        .isEqualTo(shards[i]);
            }
        }
    }

    @Test
    void everyErasurePatternOfAWideStripeWithFewLossesDecodes() {
        // Exhaustive over all 1- and 2-shard losses of the largest stripe (32 + 528 patterns).
        ReedSolomon rs = new ReedSolomon(16, 16);
        byte[][] shards = encoded(rs, new Random(42), 257);
        for (int a = 0; a < 32; a++) {
            for (int b = a; b < 32; b++) {
                int mask = (1 << a) | (1 << b);
                byte[][] damaged = Erasures.drop(shards, mask);
                rs.reconstruct(damaged, 257);
                for (int i = 0; i < 32; i++) {
                    assertThat(damaged[i]).as("shard %d seed=42 %s", i, Erasures.describe(mask)).isEqualTo(shards[i]);
                }
            }
        }
    }

    @Test
    void reconstructFillsEveryNullSlotAndKeepsPresentShards() {
        ReedSolomon rs = new ReedSolomon(4, 3);
        byte[][] shards = encoded(rs, new Random(7), 100);
        byte[][] damaged = Erasures.drop(shards, 0b1010010);
        byte[][] before = damaged.clone();
        rs.reconstruct(damaged, 100);
        for (int i = 0; i < 7; i++) {
            if (before[i] != null) {
                assertThat(damaged[i]).as("present shard %d is the same array", i).isSameAs(before[i]);
            } else {
                assertThat(damaged[i]).as("rebuilt shard %d", i).isNotSameAs(shards[i]).isEqualTo(shards[i]);
            }
        }
    }

    @Test
    void reconstructFromParityAloneWhenEveryDataShardIsLost() {
        ReedSolomon rs = new ReedSolomon(3, 5);
        byte[][] shards = encoded(rs, new Random(11), 333);
        byte[][] damaged = Erasures.drop(shards, 0b00000111);
        rs.reconstruct(damaged, 333);
        assertThat(damaged).isDeepEqualTo(shards);
    }

    @Test
    void reconstructReadsOnlyTheFirstShardLengthBytes() {
        ReedSolomon rs = new ReedSolomon(3, 2);
        byte[][] shards = encoded(rs, new Random(5), 50);
        byte[][] longer = new byte[5][];
        for (int i = 0; i < 5; i++) {
            longer[i] = java.util.Arrays.copyOf(shards[i], 80);
            java.util.Arrays.fill(longer[i], 50, 80, (byte) 0x5a);
        }
        longer[0] = null;
        rs.reconstruct(longer, 50);
        assertThat(longer[0]).isEqualTo(shards[0]);
    }

    @Test
    void encodeParityWritesOnlyTheGivenRange() {
        ReedSolomon rs = new ReedSolomon(5, 3);
        Random rnd = new Random(3);
        byte[][] data = new byte[5][];
        for (int i = 0; i < 5; i++) {
            data[i] = Erasures.randomBytes(rnd, 10_000);
        }
        byte[][] parity = new byte[3][10_000];
        for (byte[] p : parity) {
            java.util.Arrays.fill(p, (byte) 0x77);
        }
        rs.encodeParity(data, parity, 1234, 5000);

        byte[][] whole = new byte[3][10_000];
        rs.encodeParity(data, whole, 0, 10_000);
        for (int p = 0; p < 3; p++) {
            for (int i = 0; i < 10_000; i++) {
                byte expected = i >= 1234 && i < 6234 ? whole[p][i] : 0x77;
                assertThat(parity[p][i]).as("parity %d byte %d", p, i).isEqualTo(expected);
            }
        }
    }

    @Test
    void parityOfASingleDataShardIsItsCauchyMultiple() {
        // k = 1: parity row k + p has the single coefficient 1 / ((1 + p) XOR 0).
        ReedSolomon rs = new ReedSolomon(1, 3);
        byte[] data = Erasures.randomBytes(new Random(1), 64);
        byte[][] parity = new byte[3][64];
        rs.encodeParity(new byte[][] {data}, parity, 0, 64);
        for (int p = 0; p < 3; p++) {
            int c = Gf256.inv(1 + p);
            for (int i = 0; i < 64; i++) {
                assertThat(parity[p][i] & 0xff).isEqualTo(Gf256.mul(c, data[i]));
            }
        }
    }

    @Test
    void concurrentReconstructionsOfManyPatternsAgree() throws Exception {
        ReedSolomon rs = new ReedSolomon(10, 6);
        byte[][] shards = encoded(rs, new Random(99), 3000);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                long seed = 500 + t;
                futures.add(pool.submit(() -> {
                    Random rnd = new Random(seed);
                    // More patterns than the plan cache holds, so it also evicts under contention.
                    for (int round = 0; round < 400; round++) {
                        int mask = Erasures.randomMask(rnd, 16, 1 + rnd.nextInt(6));
                        byte[][] damaged = Erasures.drop(shards, mask);
                        rs.reconstruct(damaged, 3000);
                        assertThat(damaged).as("seed=%d round=%d %s", seed, round, Erasures.describe(mask)).isDeepEqualTo(shards);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest(name = "k={0} m={1}")
    @CsvSource({"0, 1", "-1, 2", "1, -1", "4, -3", "33, 0", "1, 32", "17, 16", "32, 1"})
    void rejectsShapesOutsideOneToThirtyTwoShards(int k, int m) {
        assertThatThrownBy(() -> new ReedSolomon(k, m)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void acceptsEveryShapeUpToThirtyTwoShards() {
        IntStream.rangeClosed(1, 32).forEach(k -> IntStream.rangeClosed(0, 32 - k).forEach(m -> {
            ReedSolomon rs = new ReedSolomon(k, m);
            assertThat(rs.totalShards()).isEqualTo(k + m);
            assertThat(rs.dataShards()).isEqualTo(k);
            assertThat(rs.parityShards()).isEqualTo(m);
        }));
    }

    @Test
    void reconstructRejectsFewerThanKShards() {
        ReedSolomon rs = new ReedSolomon(4, 2);
        byte[][] damaged = Erasures.drop(encoded(rs, new Random(2), 10), 0b000111);
        assertThatThrownBy(() -> rs.reconstruct(damaged, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 4");
    }

    @Test
    void reconstructRejectsWrongSlotCountAndShortShards() {
        ReedSolomon rs = new ReedSolomon(4, 2);
        byte[][] shards = encoded(rs, new Random(2), 10);
        assertThatThrownBy(() -> rs.reconstruct(java.util.Arrays.copyOf(shards, 5), 10))
                .isInstanceOf(IllegalArgumentException.class);
        byte[][] shortOne = Erasures.drop(shards, 0b1);
        shortOne[1] = new byte[9];
        assertThatThrownBy(() -> rs.reconstruct(shortOne, 10)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void encodeParityRejectsWrongCountsAndShortArrays() {
        ReedSolomon rs = new ReedSolomon(2, 1);
        byte[][] data = {new byte[10], new byte[10]};
        assertThatThrownBy(() -> rs.encodeParity(new byte[][] {new byte[10]}, new byte[1][10], 0, 10))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> rs.encodeParity(data, new byte[2][10], 0, 10))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> rs.encodeParity(data, new byte[1][10], 5, 6))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> rs.encodeParity(data, new byte[1][10], -1, 2))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
