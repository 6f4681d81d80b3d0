package io.stripecast.lab.cluster;

import java.util.List;
import java.util.TreeMap;

/** Reads Prometheus text: sums of counters and quantiles of histograms, by metric name and label fragments. */
public final class PromText {
    private final List<String> lines;

    public PromText(String text) {
        this.lines = List.of(text.split("\n"));
    }

    public double sum(String name, String... fragments) {
        double total = 0;
        for (String line : lines) {
            if ((line.startsWith(name + "{") || line.startsWith(name + " ")) && hasAll(line, fragments)) {
                total += value(line);
            }
        }
        return total;
    }

    /** Cumulative bucket counts by upper bound (seconds), summed over matching series. */
    public TreeMap<Double, Double> buckets(String histogram, String... fragments) {
        TreeMap<Double, Double> out = new TreeMap<>();
        for (String line : lines) {
            if (line.startsWith(histogram + "_bucket{") && hasAll(line, fragments)) {
                int at = line.indexOf("le=\"") + 4;
                String le = line.substring(at, line.indexOf('"', at));
                double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
                out.merge(bound, value(line), Double::sum);
            }
        }
        return out;
    }

    /** Upper bound of the bucket holding quantile q, seconds; NaN without samples. */
    public static double quantile(TreeMap<Double, Double> buckets, double q) {
        if (buckets.isEmpty() || buckets.lastEntry().getValue() == 0) {
            return Double.NaN;
        }
        double total = buckets.lastEntry().getValue();
        for (var e : buckets.entrySet()) {
            if (e.getValue() >= q * total) {
                return e.getKey();
            }
        }
        return buckets.lastKey();
    }

    public static TreeMap<Double, Double> merge(List<TreeMap<Double, Double>> all) {
        TreeMap<Double, Double> out = new TreeMap<>();
        all.forEach(b -> b.forEach((k, v) -> out.merge(k, v, Double::sum)));
        return out;
    }

    private static boolean hasAll(String line, String... fragments) {
        for (String f : fragments) {
            if (!line.contains(f)) {
                return false;
            }
        }
        return true;
    }

    private static double value(String line) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

}
