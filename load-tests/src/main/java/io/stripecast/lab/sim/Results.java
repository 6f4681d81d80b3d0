package io.stripecast.lab.sim;

import java.util.LinkedHashMap;
import java.util.Map;

/** Turns a {@link Recorder} into an {@link OverlayResult}. */
final class Results {

    /** Deadlines at which every run reports continuity (besides its own). */
    static final java.util.List<Integer> DEADLINES = java.util.List.of(1000, 2000, 3000, 5000, 10000, 15000, 20000, 25000);

    private Results() {
    }

    static OverlayResult of(Overlay overlay, SimConfig c, int k, int m, Recorder rec, OverlayResult.Control control,
                            int deaths, int joins, long startNanos) {
        java.util.TreeSet<Integer> deadlines = new java.util.TreeSet<>(DEADLINES);
        deadlines.add(c.stream().playoutDelayMs());
        Map<String, Double> at = new LinkedHashMap<>();
        for (int ms : deadlines) {
            if (ms <= c.stream().latencyCapMs()) {
                at.put(Integer.toString(ms), rec.continuityWithin(ms));
            }
        }
        Map<Integer, OverlayResult.Quantiles> byDepth = new LinkedHashMap<>();
        for (int d = 0; d < rec.byDepth.length; d++) {
            if (rec.byDepth[d] != null) {
                byDepth.put(d, rec.byDepth[d].quantiles());
            }
        }
        long seg = c.stream().segmentBytes();
        double data = Math.max(1, rec.dataBytes);
        long leafBytes = rec.edgeBytes + rec.peerBytes;
        OverlayResult.Traffic traffic = new OverlayResult.Traffic(rec.dataBytes, rec.controlBytes, rec.duplicateBytes,
                rec.parityBytes, rec.sourceBytes, rec.edgeBytes, rec.peerBytes, rec.controlBytes / data,
                rec.duplicateBytes / data, rec.parityBytes / data,
                (double) rec.sourceBytes / seg / c.segments(),
                leafBytes == 0 ? 0 : (double) rec.edgeBytes / leafBytes, rec.regenerated, rec.partnerReplacements,
                rec.edgeSwitches);
        double lostShare = rec.due == 0 ? 0 : (double) rec.lost / rec.due;
        return new OverlayResult(overlay.key(), c.nodes(), c.churnPerMin(), k, m, c.stream().playoutDelayMs(), rec.due, rec.continuity(), at,
                lostShare, rec.latency.quantiles(), byDepth, traffic, control, deaths, joins,
                (System.nanoTime() - startNanos) / 1e9);
    }
}
