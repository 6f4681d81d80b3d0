package io.stripecast.lab.scenario;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What viewers saw, measured the same way for stripecast and for the baseline: a segment's
 * availability is its arrival at a viewer minus the moment ffmpeg finished writing it (the local
 * copy's mtime), over segments that appeared after the viewer's first playlist.
 */
final class ViewerFigures {
    private ViewerFigures() {
    }

    /**
     * @param firstSequence the media sequence the delivery gave ffmpeg's segment 0 (stripecast
     *                      numbers from the clock; ffmpeg's own origin from 0)
     */
    static Map<String, Double> of(List<HlsViewer> viewers, Path ffmpegOut, long firstSequence, double cpuSeconds, double bytesMoved)
            throws IOException {
        List<Long> latencies = new ArrayList<>();
        int onTime = 0;
        int due = 0;
        int stalls = 0;
        for (HlsViewer v : viewers) {
            for (HlsViewer.Got g : v.newSegments()) {
                Path file = ffmpegOut.resolve("index" + (g.mediaSequence() - firstSequence) + ".ts");
                if (Files.exists(file)) {
                    latencies.add(g.arrivedMillis() - Files.getLastModifiedTime(file).toMillis());
                }
            }
            HlsViewer.PlaybackStats p = v.playback();
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
        out.put("cpu_seconds_per_gb", bytesMoved == 0 ? 0 : cpuSeconds / (bytesMoved / 1e9));
        out.put("samples", (double) latencies.size());
        return out;
    }

    private static double percentile(List<Long> sorted, double q) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1));
    }
}
