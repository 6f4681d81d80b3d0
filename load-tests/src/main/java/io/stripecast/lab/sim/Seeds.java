package io.stripecast.lab.sim;

import java.util.SplittableRandom;

/**
 * Everything random in a run follows from one seed. Each purpose (uplinks, churn, partner choice, ...) gets
 * its own stream, so adding a draw in one place does not shift the numbers of another.
 */
final class Seeds {

    private Seeds() {
    }

    /** SplitMix64's finaliser: a cheap, well-mixed hash of a long. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    static long salt(long seed, String purpose) {
        return mix(seed ^ mix(purpose.hashCode() * 0x9E3779B97F4A7C15L));
    }

    static SplittableRandom random(long seed, String purpose) {
        return new SplittableRandom(salt(seed, purpose));
    }

    /** A uniform double in [0, 1) from a hash. */
    static double unit(long hash) {
        return (hash >>> 11) * 0x1.0p-53;
    }

    /** A standard normal draw from two hashes (Box-Muller). */
    static double gaussian(long h1, long h2) {
        double u1 = 1.0 - unit(h1); // (0, 1]
        double u2 = unit(h2);
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
