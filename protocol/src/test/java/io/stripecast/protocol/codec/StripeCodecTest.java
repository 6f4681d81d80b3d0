package io.stripecast.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class StripeCodecTest {

    private static final int MIB = 1024 * 1024;

    /** Every shape with k + m <= 12. */
    static Stream<Arguments> smallShapes() {
        List<Arguments> out = new ArrayList<>();
        for (int n = 1; n <= 12; n++) {
            for (int m = 0; m < n; m++) {
                out.add(Arguments.of(n - m, m));
            }
        }
        return out.stream();
    }

    /** Lengths that stress the padding: 1 byte, k - 1, a non-multiple of k, and a multiple. */
    private static int[] oddLengths(int k, Random rnd) {
        return Arrays.stream(new int[] {1, k - 1, k * (1 + rnd.nextInt(300)) + 1 + rnd.nextInt(Math.max(1, k - 1)), k * 37})
                .filter(len -> len >= 1).distinct().toArray();
    }

    @ParameterizedTest(name = "k={0} m={1}")
    @MethodSource("smallShapes")
    void oneShardAloneEqualsThatShardOfTheWholeEncoding(int k, int m) {
        long seed = 7_000L * k + m;
        Random rnd = new Random(seed);
        StripeCodec codec = new StripeCodec(k, m);
        for (int length : oddLengths(k, rnd)) {
            byte[] segment = Erasures.randomBytes(rnd, length);
            byte[][] all = codec.encode(segment);
            for (int stripe = 0; stripe < k + m; stripe++) {
                assertThat(codec.shard(segment, stripe)).as("k=%d m=%d seed=%d length=%d stripe=%d", k, m, seed, length, stripe)
                        .isEqualTo(all[stripe]);
            }
        }
    }

    /** A shard written into a caller's (longer, dirty) array is the encoder's shard, for every stripe. */
    @ParameterizedTest(name = "k={0} m={1}")
    @MethodSource("smallShapes")
    void shardIntoALongerArrayEqualsTheEncodersShard(int k, int m) {
        long seed = 9_500L * k + m;
        Random rnd = new Random(seed);
        StripeCodec codec = new StripeCodec(k, m);
        int[] lengths = java.util.stream.IntStream.concat(Arrays.stream(oddLengths(k, rnd)), java.util.stream.IntStream.of(k * 2048 * 3 + 13)).toArray();
        for (int length : lengths) {
            byte[] segment = Erasures.randomBytes(rnd, length + rnd.nextInt(11));
            byte[][] all = codec.encode(Arrays.copyOf(segment, length));
            for (int stripe = 0; stripe < k + m; stripe++) {
                byte[] out = Erasures.randomBytes(rnd, all[stripe].length + rnd.nextInt(9));
                codec.shardInto(segment, length, stripe, out);
                assertThat(Arrays.copyOf(out, all[stripe].length)).as("k=%d m=%d seed=%d length=%d stripe=%d", k, m, seed, length, stripe)
                        .isEqualTo(all[stripe]);
            }
        }
    }

    /** Decoding into a caller's longer arrays gives exactly what decode gives, for every loss pattern up to m. */
    @ParameterizedTest(name = "k={0} m={1}")
    @MethodSource("smallShapes")
    void decodeIntoLongerArraysEqualsDecode(int k, int m) {
        long seed = 9_300L * k + m;
        Random rnd = new Random(seed);
        StripeCodec codec = new StripeCodec(k, m);
        for (int length : oddLengths(k, rnd)) {
            byte[] segment = Erasures.randomBytes(rnd, length);
            byte[][] all = codec.encode(segment);
            int len = all[0].length;
            for (int lost = 0; lost <= m; lost++) {
                byte[][] shards = new byte[k + m][];
                byte[][] into = new byte[k + m][];
                java.util.Set<Integer> gone = new java.util.HashSet<>();
                while (gone.size() < lost) {
                    gone.add(rnd.nextInt(k + m));
                }
                for (int i = 0; i < k + m; i++) {
                    if (gone.contains(i)) {
                        into[i] = Erasures.randomBytes(rnd, len + rnd.nextInt(9));
                    } else {
                        shards[i] = Arrays.copyOf(all[i], len + rnd.nextInt(9));
                        System.arraycopy(Erasures.randomBytes(rnd, shards[i].length - len), 0, shards[i], len, shards[i].length - len);
                    }
                }
                byte[] out = Erasures.randomBytes(rnd, length + rnd.nextInt(17));
                codec.decodeInto(shards, length, into, out);
                assertThat(Arrays.copyOf(out, length)).as("k=%d m=%d seed=%d length=%d lost=%s", k, m, seed, length, gone).isEqualTo(segment);
            }
        }
    }

    /**
     * The in-place parity check says yes to exactly the parity the encoder gives (at any position in a larger buffer,
     * as a received shard sits in its message), and no to one changed byte anywhere, the padding's bytes and the tail
     * past the last whole long included, and to a wrong length.
     */
    @ParameterizedTest(name = "k={0} m={1}")
    @MethodSource("smallShapes")
    void parityMatchesExactlyTheEncodersParity(int k, int m) {
        if (m == 0) {
            return;
        }
        long seed = 9_100L * k + m;
        Random rnd = new Random(seed);
        StripeCodec codec = new StripeCodec(k, m);
        // Beside the short ones, lengths over several of the loop's 2 KiB blocks whose padding starts inside a block.
        int[] lengths = java.util.stream.IntStream.concat(Arrays.stream(oddLengths(k, rnd)),
                java.util.stream.IntStream.of(k * 2048 * 3 + 13, (1 << 20) + 3)).toArray();
        for (int length : lengths) {
            byte[] segment = Erasures.randomBytes(rnd, length);
            byte[][] all = codec.encode(segment);
            for (int stripe = k; stripe < k + m; stripe++) {
                String as = String.format("k=%d m=%d seed=%d length=%d stripe=%d", k, m, seed, length, stripe);
                int lead = rnd.nextInt(40);
                byte[] message = new byte[lead + all[stripe].length + 7];
                System.arraycopy(all[stripe], 0, message, lead, all[stripe].length);
                java.nio.ByteBuffer got = java.nio.ByteBuffer.wrap(message, lead, all[stripe].length).slice();
                assertThat(codec.parityMatches(segment, stripe, got)).as(as).isTrue();
                assertThat(got.position()).as(as).isZero();
                int flip = lead + rnd.nextInt(all[stripe].length);
                message[flip] ^= (byte) (1 + rnd.nextInt(255));
                assertThat(codec.parityMatches(segment, stripe, got)).as(as + " flipped at " + (flip - lead)).isFalse();
                message[flip] = all[stripe][flip - lead];
                int last = lead + all[stripe].length - 1;
                message[last] ^= 1;
                assertThat(codec.parityMatches(segment, stripe, got)).as(as + " last byte").isFalse();
                message[last] ^= 1;
                assertThat(codec.parityMatches(segment, stripe, java.nio.ByteBuffer.wrap(message, lead, all[stripe].length - 1).slice()))
                        .as(as + " short").isFalse();
            }
        }
    }

    @ParameterizedTest(name = "k={0} m={1}")
    @MethodSource("smallShapes")
    void everyErasurePatternUpToMDecodes(int k, int m) {
        long seed = 100L * k + m;
        Random rnd = new Random(seed);
        StripeCodec codec = new StripeCodec(k, m);
        int[] lengths = oddLengths(k, rnd);
        byte[][] segments = new byte[lengths.length][];
        byte[][][] shards = new byte[lengths.length][][];
        for (int l = 0; l < lengths.length; l++) {
            segments[l] = Erasures.randomBytes(rnd, lengths[l]);
            shards[l] = codec.encode(segments[l]);
        }
        for (int mask : Erasures.allMasksUpTo(k + m, m)) {
            for (int l = 0; l < lengths.length; l++) {
                byte[][] damaged = Erasures.drop(shards[l], mask);
                assertThat(codec.decode(damaged, lengths[l]))
                        .as("k=%d m=%d seed=%d length=%d %s", k, m, seed, lengths[l], Erasures.describe(mask))
                        .isEqualTo(segments[l]);
                assertThat(codec.regenerate(damaged, lengths[l]))
                        .as("regenerate k=%d m=%d seed=%d length=%d %s", k, m, seed, lengths[l], Erasures.describe(mask))
                        .isDeepEqualTo(shards[l]);
            }
        }
    }

    static Stream<Long> seeds() {
        return Stream.iterate(0L, s -> s + 1).limit(60);
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void randomWideStripesSurviveSampledLossesOfUpToM(long seed) {
        Random rnd = new Random(seed);
        int n = 13 + rnd.nextInt(20);
        int m = rnd.nextInt(n);
        int k = n - m;
        int length = switch (rnd.nextInt(4)) {
            case 0 -> 1;
            case 1 -> Math.max(1, k - 1);
            case 2 -> 1 + rnd.nextInt(200_000);
            default -> MIB + 3;
        };
        StripeCodec codec = new StripeCodec(k, m);
        byte[] segment = Erasures.randomBytes(rnd, length);
        byte[][] shards = codec.encode(segment);
        for (int round = 0; round < 6; round++) {
            int mask = Erasures.randomMask(rnd, n, round == 0 ? m : rnd.nextInt(m + 1));
            assertThat(codec.decode(Erasures.drop(shards, mask), length))
                    .as("k=%d m=%d seed=%d length=%d %s", k, m, seed, length, Erasures.describe(mask))
                    .isEqualTo(segment);
        }
    }

    @ParameterizedTest(name = "k={0} m={1}")
    @CsvSource({"3, 1", "6, 3", "10, 4", "16, 16"})
    void mebibytePlusThreeRoundTripsWithMLosses(int k, int m) {
        long seed = 31L * k + m;
        Random rnd = new Random(seed);
        StripeCodec codec = new StripeCodec(k, m);
        byte[] segment = Erasures.randomBytes(rnd, MIB + 3);
        byte[][] shards = codec.encode(segment);
        assertThat(shards).hasNumberOfRows(k + m);
        for (byte[] s : shards) {
            assertThat(s).hasSize(StripeCodec.shardLength(MIB + 3, k));
        }
        int mask = Erasures.randomMask(rnd, k + m, m);
        assertThat(codec.decode(Erasures.drop(shards, mask), MIB + 3))
                .as("k=%d m=%d seed=%d %s", k, m, seed, Erasures.describe(mask)).isEqualTo(segment);
    }

    @Test
    void thirtyTwoMebibyteSegmentRoundTripsWithFourShardsLost() {
        StripeCodec codec = new StripeCodec(10, 4);
        Random rnd = new Random(2026);
        byte[] segment = Erasures.randomBytes(rnd, StripeCodec.MAX_SEGMENT_BYTES);
        byte[][] shards = codec.encode(segment);
        // Two data and two parity shards: data must be rebuilt from parity.
        int mask = (1 << 0) | (1 << 7) | (1 << 10) | (1 << 13);
        byte[][] damaged = Erasures.drop(shards, mask);
        assertThat(Arrays.equals(codec.decode(damaged, segment.length), segment)).as("seed=2026 %s", Erasures.describe(mask)).isTrue();
        byte[][] regenerated = codec.regenerate(damaged, segment.length);
        for (int i = 0; i < 14; i++) {
            assertThat(Arrays.equals(regenerated[i], shards[i])).as("shard %d seed=2026", i).isTrue();
        }
    }

    @Test
    void shardLengthIsCeilingOfSegmentOverK() {
        assertThat(StripeCodec.shardLength(1, 10)).isEqualTo(1);
        assertThat(StripeCodec.shardLength(9, 10)).isEqualTo(1);
        assertThat(StripeCodec.shardLength(10, 10)).isEqualTo(1);
        assertThat(StripeCodec.shardLength(11, 10)).isEqualTo(2);
        assertThat(StripeCodec.shardLength(MIB + 3, 3)).isEqualTo(349_527);
        assertThat(StripeCodec.shardLength(StripeCodec.MAX_SEGMENT_BYTES, 1)).isEqualTo(StripeCodec.MAX_SEGMENT_BYTES);
        assertThat(StripeCodec.shardLength(0, 4)).isZero();
    }

    @Test
    void dataShardsAreTheSegmentInOrderWithZeroPadding() {
        StripeCodec codec = new StripeCodec(4, 2);
        byte[] segment = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        byte[][] shards = codec.encode(segment);
        assertThat(shards[0]).containsExactly(1, 2, 3);
        assertThat(shards[1]).containsExactly(4, 5, 6);
        assertThat(shards[2]).containsExactly(7, 8, 9);
        assertThat(shards[3]).containsExactly(10, 0, 0);
    }

    @Test
    void segmentShorterThanKLeavesTrailingDataShardsAllZero() {
        StripeCodec codec = new StripeCodec(5, 2);
        byte[][] shards = codec.encode(new byte[] {42, 43});
        assertThat(shards[0]).containsExactly(42);
        assertThat(shards[1]).containsExactly(43);
        assertThat(shards[2]).containsExactly(0);
        assertThat(shards[4]).containsExactly(0);
        assertThat(codec.decode(Erasures.drop(shards, 0b11), 2)).containsExactly(42, 43);
    }

    @Test
    void decodeAndRegenerateLeaveTheirInputUntouched() {
        StripeCodec codec = new StripeCodec(4, 2);
        byte[] segment = Erasures.randomBytes(new Random(8), 1001);
        byte[][] damaged = Erasures.drop(codec.encode(segment), 0b100010);
        byte[][] before = Erasures.deepCopy(damaged);

        byte[] decoded = codec.decode(damaged, 1001);
        byte[][] regenerated = codec.regenerate(damaged, 1001);

        assertThat(damaged).isDeepEqualTo(before);
        assertThat(regenerated).isNotSameAs(damaged);
        assertThat(Arrays.asList(regenerated)).doesNotContainNull();
        decoded[0] ^= 1;
        assertThat(damaged[0][0]).isEqualTo(before[0][0]);
    }

    @Test
    void decodeNeedsNoParityWhenAllDataShardsArePresent() {
        StripeCodec codec = new StripeCodec(3, 3);
        byte[] segment = Erasures.randomBytes(new Random(9), 100);
        byte[][] shards = codec.encode(segment);
        byte[][] dataOnly = Erasures.drop(shards, 0b111000);
        byte[] decoded = codec.decode(dataOnly, 100);
        assertThat(decoded).isEqualTo(segment).isNotSameAs(shards[0]);
    }

    @Test
    void codecWithoutParityRoundTrips() {
        StripeCodec codec = new StripeCodec(1, 0);
        byte[] segment = Erasures.randomBytes(new Random(10), 77);
        byte[][] shards = codec.encode(segment);
        assertThat(shards).hasNumberOfRows(1);
        assertThat(codec.decode(shards, 77)).isEqualTo(segment);
    }

    @ParameterizedTest(name = "k={0} m={1}")
    @CsvSource({"0, 1", "1, -1", "33, 0", "30, 3", "1, 32"})
    void rejectsShapesOutsideOneToThirtyTwoShards(int k, int m) {
        assertThatThrownBy(() -> new StripeCodec(k, m)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "length={0}")
    @ValueSource(ints = {0, StripeCodec.MAX_SEGMENT_BYTES + 1})
    void encodeRejectsEmptyAndOversizedSegments(int length) {
        StripeCodec codec = new StripeCodec(10, 4);
        byte[] segment = new byte[length];
        assertThatThrownBy(() -> codec.encode(segment)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void encodeRejectsNull() {
        assertThatThrownBy(() -> new StripeCodec(2, 1).encode(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void decodeAndRegenerateRejectFewerThanKShards() {
        StripeCodec codec = new StripeCodec(4, 2);
        byte[][] damaged = Erasures.drop(codec.encode(new byte[100]), 0b010101);
        assertThatThrownBy(() -> codec.decode(damaged, 100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> codec.regenerate(damaged, 100)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void decodeRejectsShardsOfTheWrongLengthOrCount() {
        StripeCodec codec = new StripeCodec(4, 2);
        byte[][] shards = codec.encode(new byte[100]);
        assertThatThrownBy(() -> codec.decode(shards, 101)).as("length says 26-byte shards").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> codec.decode(Arrays.copyOf(shards, 5), 100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> codec.decode(shards, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> codec.decode(shards, StripeCodec.MAX_SEGMENT_BYTES + 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
