package io.stripecast.lab.scenario;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * What viewers saw, measured the same way for stripecast and for the baseline: a segment's
 * availability is its arrival at a viewer minus the moment the source finished it
 * ({@link SegmentClock}), over segments that appeared after the viewer's first playlist.
 */
final class ViewerFigures {
    private ViewerFigures() {
    }

    /**
     * @param cpuSeconds     CPU of the whole delivery system (every relay, or every nginx tier) meanwhile
     * @param bytesDelivered what every player (viewers and probes) received from it
     * @param lastSequence   the source's last segment as this delivery numbers it: due at every viewer
     */
    static Map<String, Double> of(List<HlsViewer> viewers, SegmentClock clock, double cpuSeconds, double bytesDelivered,
                                  long lastSequence) {
        List<Long> latencies = new ArrayList<>();
        int onTime = 0;
        int due = 0;
        int stalls = 0;
        for (HlsViewer v : viewers) {
            latencies.addAll(latencies(v, clock));
            HlsViewer.PlaybackStats p = v.playback(lastSequence);
            onTime += p.onTime();
            due += p.onTime() + p.stalls() + p.missing();
            stalls += p.stalls();
        }
        latencies.sort(Long::compare);
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("viewer_availability_p50_ms", percentile(latencies, 0.5));
        out.put("viewer_availability_p99_ms", percentile(latencies, 0.99));
        out.put("continuity_index", due == 0 ? 0 : (double) onTime / due);
        out.put("stalls", (double) stalls);
        out.put("cpu_seconds_per_gb_to_players", bytesDelivered == 0 ? 0 : cpuSeconds / (bytesDelivered / 1e9));
        out.put("samples", (double) latencies.size());
        return out;
    }

    /** Per depth (of the viewer's server): p50/p99 availability and the number of samples. */
    static Map<String, Map<String, Double>> byDepth(Map<HlsViewer, Integer> depthOf, SegmentClock clock) {
        Map<Integer, List<Long>> by = new TreeMap<>();
        depthOf.forEach((v, d) -> by.computeIfAbsent(d, x -> new ArrayList<>()).addAll(latencies(v, clock)));
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        by.forEach((d, list) -> {
            list.sort(Long::compare);
            Map<String, Double> q = new LinkedHashMap<>();
            q.put("p50", percentile(list, 0.5));
            q.put("p99", percentile(list, 0.99));
            q.put("samples", (double) list.size());
            out.put(Integer.toString(d), q);
        });
        return out;
    }

    /** Every segment every viewer got, with its depth, latency and whether it was in time (for the plots). */
    static List<AvailabilitySeries.Sample> samples(Map<HlsViewer, Integer> depthOf, SegmentClock clock) {
        List<AvailabilitySeries.Sample> out = new ArrayList<>();
        depthOf.forEach((v, d) -> {
            Map<Long, Boolean> onTime = v.onTime();
            for (HlsViewer.Got g : v.newSegments()) {
                OptionalLong finished = clock.finishedAt(g.mediaSequence());
                if (finished.isPresent()) {
                    out.add(new AvailabilitySeries.Sample(d, g.mediaSequence(), finished.getAsLong(),
                            g.arrivedMillis() - finished.getAsLong(), onTime.getOrDefault(g.mediaSequence(), false)));
                }
            }
        });
        return out;
    }

    private static List<Long> latencies(HlsViewer v, SegmentClock clock) {
        List<Long> out = new ArrayList<>();
        for (HlsViewer.Got g : v.newSegments()) {
            OptionalLong finished = clock.finishedAt(g.mediaSequence());
            if (finished.isPresent()) {
                out.add(g.arrivedMillis() - finished.getAsLong());
            }
        }
        return out;
    }

    static double percentile(List<Long> sorted, double q) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        return sorted.get((int) Math.max(0, Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1)));
    }
}
