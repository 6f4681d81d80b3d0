package io.stripecast.lab.scenario;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Availability and continuity over time, per depth, from what viewers saw: for every segment, the
 * median of (arrival at a viewer minus the source finishing it) over the viewers at one depth, and the
 * share of all viewers that had it before their playback deadline. Pure: the plots and report.json
 * read it.
 */
final class AvailabilitySeries {
    /** One segment as one viewer got it. */
    record Sample(int depth, long sequence, long finishedAtMillis, long latencyMillis, boolean onTime) {
    }

    /** A point of a curve: x = when the source finished the segment, ms since {@code origin}. */
    record Point(long atMillis, double value) {
    }

    private final Map<Integer, List<Point>> latencyByDepth;
    private final List<Point> continuity;

    private AvailabilitySeries(Map<Integer, List<Point>> latencyByDepth, List<Point> continuity) {
        this.latencyByDepth = latencyByDepth;
        this.continuity = continuity;
    }

    static AvailabilitySeries of(List<Sample> samples, long originMillis) {
        Map<Integer, TreeMap<Long, List<Sample>>> byDepth = new TreeMap<>();
        TreeMap<Long, List<Sample>> bySegment = new TreeMap<>();
        for (Sample s : samples) {
            byDepth.computeIfAbsent(s.depth(), d -> new TreeMap<>()).computeIfAbsent(s.sequence(), q -> new ArrayList<>()).add(s);
            bySegment.computeIfAbsent(s.sequence(), q -> new ArrayList<>()).add(s);
        }
        Map<Integer, List<Point>> latency = new LinkedHashMap<>();
        byDepth.forEach((depth, segs) -> {
            List<Point> points = new ArrayList<>();
            segs.forEach((seq, list) -> points.add(new Point(list.get(0).finishedAtMillis() - originMillis,
                    median(list.stream().map(Sample::latencyMillis).sorted().toList()))));
            latency.put(depth, points);
        });
        List<Point> continuity = new ArrayList<>();
        bySegment.forEach((seq, list) -> continuity.add(new Point(list.get(0).finishedAtMillis() - originMillis,
                (double) list.stream().filter(Sample::onTime).count() / list.size())));
        return new AvailabilitySeries(latency, continuity);
    }

    Map<Integer, List<Point>> latencyByDepth() {
        return latencyByDepth;
    }

    List<Point> continuity() {
        return continuity;
    }

    /** For report.json: per depth, [ms since the source started, median ms] pairs. */
    Map<String, List<long[]>> asJson() {
        Map<String, List<long[]>> out = new LinkedHashMap<>();
        latencyByDepth.forEach((d, pts) -> out.put(Integer.toString(d),
                pts.stream().map(p -> new long[]{p.atMillis(), Math.round(p.value())}).toList()));
        return out;
    }

    private static double median(List<Long> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }
}
