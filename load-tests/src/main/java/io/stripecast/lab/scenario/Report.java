package io.stripecast.lab.scenario;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a scenario run measured; written as {@code report.json} (snake_case keys) and a readable
 * {@code report.md} with an SVG plot of availability latency per depth.
 *
 * @param availabilityMs per depth (the k-th smallest of a relay's depths over the stripe trees):
 *                       p50/p99 of ingest-to-complete time at relays of that depth, from their
 *                       histograms (bucket upper bounds)
 */
public record Report(String scenario, int relays, int streams, int k, int m, String fault, String faultedRelay,
                     int segmentsExpected, int segmentsMissing, double continuityIndex, int stalls, int viewers,
                     double startupMsMean, Map<String, Double> repairMs, Map<String, Map<String, Double>> availabilityMs,
                     double originEgressRatio, double controlOverheadRatio, double cpuSecondsPerGb, List<String> timeline,
                     Map<String, Map<String, Double>> comparison) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** This report with one more column of viewer-side figures (a baseline run beside stripecast). */
    public Report withComparison(String name, Map<String, Double> figures) {
        Map<String, Map<String, Double>> all = new java.util.LinkedHashMap<>(comparison);
        all.put(name, figures);
        return new Report(scenario, relays, streams, k, m, fault, faultedRelay, segmentsExpected, segmentsMissing, continuityIndex,
                stalls, viewers, startupMsMean, repairMs, availabilityMs, originEgressRatio, controlOverheadRatio, cpuSecondsPerGb,
                timeline, all);
    }

    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve("report.json").toFile(), this);
        Files.writeString(dir.resolve("availability.svg"), availabilitySvg());
        Files.writeString(dir.resolve("report.md"), markdown());
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("# Scenario `").append(scenario).append("`\n\n");
        b.append("Controller + ").append(relays).append(" relays on loopback, 1 stream, k=").append(k).append(" m=").append(m)
                .append(", fault: ").append(fault).append(faultedRelay == null ? "" : " (" + faultedRelay + ")").append(".\n\n");
        b.append("| figure | value |\n|---|---|\n");
        row(b, "segments expected", Integer.toString(segmentsExpected));
        row(b, "segments missing (summed over relays)", Integer.toString(segmentsMissing));
        row(b, "continuity index (viewers, on time / due)", fmt(continuityIndex));
        row(b, "stalls / viewers", stalls + " / " + viewers);
        row(b, "startup, mean", fmt(startupMsMean) + " ms");
        row(b, "repairs; detection to assignments sent p50 / p99 / max", fmt(repairMs.get("count")) + "; " + fmt(repairMs.get("p50"))
                + " / " + fmt(repairMs.get("p99")) + " / " + fmt(repairMs.get("max")) + " ms");
        row(b, "origin egress ratio (ingest shard bytes out / stream bytes)", fmt(originEgressRatio));
        row(b, "control overhead ratio (control bytes / shard bytes)", String.format(Locale.ROOT, "%.5f", controlOverheadRatio));
        row(b, "CPU seconds per GB moved (all relays)", fmt(cpuSecondsPerGb));
        b.append("\n## Availability latency per depth\n\n| depth | p50 ms | p99 ms |\n|---|---|---|\n");
        availabilityMs.forEach((d, q) -> b.append("| ").append(d).append(" | ").append(fmt(q.get("p50"))).append(" | ")
                .append(fmt(q.get("p99"))).append(" |\n"));
        b.append("\n![availability latency per depth](availability.svg)\n");
        if (comparison.size() > 1) {
            b.append("\n## Side by side, measured at the viewers\n\n");
            b.append("Availability = arrival at a viewer minus the moment ffmpeg finished the segment; same source, same number of viewers.\n\n");
            List<String> columns = List.copyOf(comparison.keySet());
            b.append("| figure | ").append(String.join(" | ", columns)).append(" |\n|---|");
            columns.forEach(c -> b.append("---|"));
            b.append('\n');
            for (String figure : comparison.get(columns.get(0)).keySet()) {
                b.append("| ").append(figure);
                for (String c : columns) {
                    b.append(" | ").append(fmt(comparison.get(c).get(figure)));
                }
                b.append(" |\n");
            }
            b.append("\nnginx: stock proxy_cache tier (origin with WebDAV PUT -> shield -> edge), playlists cached 1 s, segments 10 min, "
                    + "proxy_cache_lock on; its cache expiry has 1 s granularity, as deployed tiers do.\n");
        }
        b.append("\n## Timeline\n\n");
        timeline.forEach(t -> b.append("- ").append(t).append('\n'));
        b.append("\nQuantiles are histogram bucket upper bounds (Micrometer's percentile histogram), so they round up.\n");
        return b.toString();
    }

    private String availabilitySvg() {
        int width = 120 + 90 * Math.max(1, availabilityMs.size());
        double max = availabilityMs.values().stream().mapToDouble(q -> finite(q.get("p99"))).max().orElse(1);
        max = Math.max(max, 1);
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"260\" font-family=\"sans-serif\" font-size=\"12\">\n");
        s.append("<text x=\"10\" y=\"18\">availability latency per depth (ms): p50 dark, p99 light</text>\n");
        int x = 60;
        for (var e : availabilityMs.entrySet()) {
            double p50 = finite(e.getValue().get("p50"));
            double p99 = finite(e.getValue().get("p99"));
            int h50 = (int) (190 * p50 / max);
            int h99 = (int) (190 * p99 / max);
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"30\" height=\"%d\" fill=\"#0969da\"/>\n", x, 230 - h50, h50));
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"30\" height=\"%d\" fill=\"#9ecbff\"/>\n", x + 32, 230 - h99, h99));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"248\">depth %s</text>\n", x, e.getKey()));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%.0f</text>\n", x, 226 - h50, p50));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%.0f</text>\n", x + 32, 226 - h99, p99));
            x += 90;
        }
        s.append("<line x1=\"50\" y1=\"230\" x2=\"").append(width - 10).append("\" y2=\"230\" stroke=\"#333\"/>\n</svg>\n");
        return s.toString();
    }

    private static double finite(Double d) {
        return d == null || !Double.isFinite(d) ? 0 : d;
    }

    private static void row(StringBuilder b, String name, String value) {
        b.append("| ").append(name).append(" | ").append(value).append(" |\n");
    }

    private static String fmt(Double d) {
        return d == null ? "-" : String.format(Locale.ROOT, "%.2f", d);
    }
}
