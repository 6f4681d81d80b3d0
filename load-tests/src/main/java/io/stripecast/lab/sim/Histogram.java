package io.stripecast.lab.sim;

/** Millisecond histogram, 1 ms buckets from 0 to a cap: exact quantiles without keeping samples. */
final class Histogram {
    private final long[] counts;
    private long total;

    Histogram(int capMs) {
        counts = new long[capMs + 1];
    }

    void add(int ms) {
        counts[Math.max(0, Math.min(counts.length - 1, ms))]++;
        total++;
    }

    void addAll(Histogram other) {
        for (int i = 0; i < counts.length; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
    }

    long count() {
        return total;
    }

    /** Samples at or below {@code ms}. */
    long atMost(int ms) {
        long n = 0;
        for (int i = 0; i <= Math.min(ms, counts.length - 1); i++) {
            n += counts[i];
        }
        return n;
    }

    /** The smallest value with at least q of the samples at or below it; -1 when empty. */
    int quantile(double q) {
        if (total == 0) {
            return -1;
        }
        long want = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= want) {
                return i;
            }
        }
        return counts.length - 1;
    }

    int max() {
        for (int i = counts.length - 1; i >= 0; i--) {
            if (counts[i] > 0) {
                return i;
            }
        }
        return -1;
    }

    OverlayResult.Quantiles quantiles() {
        return new OverlayResult.Quantiles(total, quantile(0.5), quantile(0.9), quantile(0.99), max());
    }

    /** Quantiles of an int sample (repair delays: few, kept whole). */
    static OverlayResult.Quantiles of(IntList samples) {
        int[] a = samples.sorted();
        if (a.length == 0) {
            return new OverlayResult.Quantiles(0, -1, -1, -1, -1);
        }
        return new OverlayResult.Quantiles(a.length, at(a, 0.5), at(a, 0.9), at(a, 0.99), a[a.length - 1]);
    }

    private static int at(int[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
