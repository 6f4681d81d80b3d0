package io.stripecast.protocol.codec;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Our generators for the property tests: random bytes, erasure masks (bit i set = shard i lost). */
final class Erasures {

    private Erasures() {
    }

    static byte[] randomBytes(Random rnd, int length) {
        byte[] b = new byte[length];
        rnd.nextBytes(b);
        return b;
    }

    /** Every mask over n shards with at most maxLost bits set, the empty one included. */
    static List<Integer> allMasksUpTo(int n, int maxLost) {
        List<Integer> masks = new ArrayList<>();
        for (int mask = 0; mask < (1 << n); mask++) {
            if (Integer.bitCount(mask) <= maxLost) {
                masks.add(mask);
            }
        }
        return masks;
    }

    /** A uniformly chosen mask over n shards with exactly lost bits set. */
    static int randomMask(Random rnd, int n, int lost) {
        int mask = 0;
        while (Integer.bitCount(mask) < lost) {
            mask |= 1 << rnd.nextInt(n);
        }
        return mask;
    }

    /** A copy of the slot array with the masked slots set to null (the shard arrays are shared). */
    static byte[][] drop(byte[][] shards, int mask) {
        byte[][] out = shards.clone();
        for (int i = 0; i < out.length; i++) {
            if ((mask & (1 << i)) != 0) {
                out[i] = null;
            }
        }
        return out;
    }

    static byte[][] deepCopy(byte[][] shards) {
        byte[][] out = new byte[shards.length][];
        for (int i = 0; i < shards.length; i++) {
            out[i] = shards[i] == null ? null : shards[i].clone();
        }
        return out;
    }

    static String describe(int mask) {
        return "lost=" + Integer.toBinaryString(mask);
    }
}
