package io.stripecast.lab.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The sweep's report: {@code sim-report.json} (every figure, snake_case keys), {@code sim-report.md} (the
 * comparison table per node count, with the classic tree-vs-mesh verdicts beside it) and SVG bar charts.
 */
public record SimReport(SimConfig config, List<Integer> nodes, List<Double> churn, List<String> overlays,
                        List<Integer> playoutDelaysMs, List<OverlayResult> runs, int threads, int cores, String jvm,
                        double wallSeconds) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** What the article the project grew from says, per row: (tree, mesh). */
    private static final Map<String, String[]> CLASSIC = Map.of(
            "latency", new String[] {"very low (logarithmic)", "high (gossip + pull)"},
            "resilience", new String[] {"very poor", "excellent"},
            "overhead", new String[] {"low (construction only)", "high (constant gossip)"},
            "bandwidth", new String[] {"high efficiency", "low (inherent redundancy)"});

    static SimReport of(SimConfig config, List<Integer> nodes, List<Double> churn, List<Overlay> overlays,
                        List<Integer> playoutDelaysMs, List<OverlayResult> runs, int threads, double wallSeconds) {
        return new SimReport(config, List.copyOf(nodes), List.copyOf(churn),
                overlays.stream().map(Overlay::key).toList(), List.copyOf(playoutDelaysMs), List.copyOf(runs), threads,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name") + " "
                + System.getProperty("java.version"), wallSeconds);
    }

    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve("sim-report.json").toFile(), this);
        for (int n : nodes) {
            for (int d : playoutDelaysMs) {
                Files.writeString(dir.resolve(continuityFile(n, d)), continuitySvg(n, d));
            }
            Files.writeString(dir.resolve("latency-" + n + ".svg"), latencySvg(n));
        }
        Files.writeString(dir.resolve("sim-report.md"), markdown());
    }

    /** The run of (n, churn, overlay) for deadline d: the trees have one run for every deadline. */
    OverlayResult find(int n, double c, String overlay, int d) {
        boolean tree = Overlay.parse(overlay).isTree();
        for (OverlayResult r : runs) {
            if (r.nodes() == n && r.churnPerMin() == c && r.overlay().equals(overlay) && (tree || r.playoutDelayMs() == d)) {
                return r;
            }
        }
        return null;
    }

    /** Continuity at deadline d: the trees' from their latency distribution, the others' from their run for d. */
    static double continuity(OverlayResult r, int d) {
        if (Overlay.parse(r.overlay()).isTree() && r.playoutDelayMs() != d) {
            Double x = r.continuityAt().get(Integer.toString(d));
            return x == null ? Double.NaN : x;
        }
        return r.continuity();
    }

    private double minChurn() {
        return churn.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    }

    private double maxChurn() {
        return churn.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }

    private int d0() {
        return playoutDelaysMs.get(0);
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        SimConfig.Stream st = config.stream();
        b.append("# Simulation: five overlays\n\n");
        b.append(String.format(Locale.ROOT, "Seed %d, %d s simulated per run (%d s warm-up), %.1f Mbit/s in %d ms segments, "
                        + "playout deadlines %s ms behind live, latency cap %d ms. Forests k=%d (parity m=%d); mesh M=%d partners, "
                        + "buffer maps every %d ms. %d runs on %d threads (%d cores, %s) in %.0f s wall-clock.%n",
                config.seed(), config.durationS(), config.warmupS(), st.bitrateMbps(), st.segmentMs(), playoutDelaysMs,
                st.latencyCapMs(), st.k(), st.m(), config.mesh().partners(), config.mesh().bufferMapPeriodMs(), runs.size(),
                threads, cores, jvm, wallSeconds));
        for (int n : nodes) {
            table(b, n);
        }
        if (nodes.size() > 1) {
            scalability(b);
        }
        depthTable(b);
        plannerTable(b);
        b.append("\n## Notes\n\n");
        b.append("- Continuity: share of owed (node, segment) pairs complete within the playout deadline. A node owes the "
                + "segments produced from " + st.joinGraceMs() / 1000.0 + " s after it joined while it is still alive a latency "
                + "cap later. The trees push whatever the deadline, so one run gives their continuity at every deadline; the "
                + "mesh and the hybrid schedule by it and run once per deadline.\n");
        b.append("- Latency: production at the source to the node holding the segment (k shards for the forests), over the "
                + "pairs complete within the cap; later ones count as lost. The hybrid's leaves wait for peers until "
                + config.hybrid().fallbackLeadMs() + " ms before the deadline, so their latency follows the deadline.\n");
        b.append("- Overhead: control bytes (reports, assignments, subscriptions, buffer maps, requests, handshakes) over "
                + "data bytes (every segment or shard sent, duplicates and parity included).\n");
        b.append("- Planner wall times are measured on this machine and vary run to run; simulated time charges a model "
                + "(" + config.control().plannerBaseMs() + " ms + " + config.control().plannerUsPerRelay()
                + " us per relay per call) so a seed replays exactly.\n");
        b.append("- The hybrid adds its core relays (see the planner table) to the nodes; its figures are the leaves'.\n");
        b.append("- See load-tests/SIMULATION.md for the model and its assumptions.\n");
        return b.toString();
    }

    private void table(StringBuilder b, int n) {
        double lo = minChurn();
        double hi = maxChurn();
        int d0 = d0();
        b.append("\n## ").append(n).append(" nodes\n\n| | ");
        overlays.forEach(c -> b.append(Overlay.parse(c).title()).append(" | "));
        b.append("classic: tree / mesh |\n|---|");
        overlays.forEach(c -> b.append("---|"));
        b.append("---|\n");
        boolean first = true;
        for (int d : playoutDelaysMs) {
            row(b, (first ? "**latency** " : "latency ") + "p50 / p99, churn " + fmtChurn(lo) + ", deadline " + sec(d), n, lo, d,
                    r -> sec(r.latencyMs().p50()) + " / " + sec(r.latencyMs().p99()), first ? classic("latency") : "");
            first = false;
        }
        if (hi != lo) {
            row(b, "latency p50 / p99, churn " + fmtChurn(hi) + ", deadline " + sec(d0), n, hi, d0,
                    r -> sec(r.latencyMs().p50()) + " / " + sec(r.latencyMs().p99()), "");
        }
        first = true;
        for (int d : playoutDelaysMs) {
            StringBuilder label = new StringBuilder(first ? "**resilience**: " : "").append("continuity, deadline ")
                    .append(sec(d)).append(", churn ");
            for (int i = 0; i < churn.size(); i++) {
                label.append(i == 0 ? "" : " / ").append(fmtChurn(churn.get(i)));
            }
            row(b, label.toString(), n, lo, d, r -> {
                StringBuilder s = new StringBuilder();
                for (int i = 0; i < churn.size(); i++) {
                    OverlayResult x = find(n, churn.get(i), r.overlay(), d);
                    s.append(i == 0 ? "" : " / ").append(x == null ? "-" : String.format(Locale.ROOT, "%.4f", continuity(x, d)));
                }
                return s.toString();
            }, first ? classic("resilience") : "");
            first = false;
        }
        row(b, "lost (not complete within " + config.stream().latencyCapMs() / 1000 + " s), churn " + fmtChurn(hi)
                + ", deadline " + sec(d0), n, hi, d0, r -> pct(r.lostShare()), "");
        row(b, "repair: death to orphans re-subscribed p50 / p99 (mesh: partners replaced; hybrid leaves: edge switches), churn "
                + fmtChurn(hi), n, hi, d0, r -> r.control() == null
                ? Long.toString(r.traffic().partnerReplacements())
                : sec(r.control().repairMs().p50()) + " / " + sec(r.control().repairMs().p99())
                + (r.overlay().equals("hybrid") ? "; " + r.traffic().edgeSwitches() : ""), "");
        first = true;
        for (int d : playoutDelaysMs) {
            row(b, (first ? "**overhead**: " : "") + "control / data, churn " + fmtChurn(hi) + ", deadline " + sec(d), n, hi, d,
                    r -> pct(r.traffic().controlOverhead()), first ? classic("overhead") : "");
            first = false;
        }
        first = true;
        for (int d : playoutDelaysMs) {
            row(b, "duplicate or wasted data / data, churn " + fmtChurn(hi) + ", deadline " + sec(d), n, hi, d,
                    r -> pct(r.traffic().duplicateShare()), first ? classic("bandwidth") : "");
            first = false;
        }
        row(b, "parity / data", n, lo, d0, r -> pct(r.traffic().parityShare()), "");
        row(b, "source egress (segments sent per segment), churn " + fmtChurn(lo), n, lo, d0,
                r -> String.format(Locale.ROOT, "%.2f", r.traffic().sourceEgressPerSegment()), "");
        for (int d : playoutDelaysMs) {
            row(b, "edge relays' share of leaf bytes, deadline " + sec(d) + ", churn " + fmtChurn(lo) + " / " + fmtChurn(hi),
                    n, lo, d, r -> {
                        if (!r.overlay().equals("hybrid")) {
                            return "-";
                        }
                        OverlayResult x = find(n, hi, r.overlay(), d);
                        return pct(r.traffic().edgeShare()) + " / " + (x == null ? "-" : pct(x.traffic().edgeShare()));
                    }, "");
        }
        row(b, "**cost of the run**: wall-clock s, churn " + fmtChurn(lo) + " / " + fmtChurn(hi) + ", deadline " + sec(d0),
                n, lo, d0, r -> {
                    OverlayResult x = find(n, hi, r.overlay(), d0);
                    return String.format(Locale.ROOT, "%.1f / %.1f", r.wallSeconds(), x == null ? Double.NaN : x.wallSeconds());
                }, "");
        b.append('\n');
        for (int d : playoutDelaysMs) {
            b.append("![continuity by churn, deadline ").append(sec(d)).append("](").append(continuityFile(n, d)).append(") ");
        }
        b.append("![latency](latency-").append(n).append(".svg)\n");
    }

    private void scalability(StringBuilder b) {
        int a = nodes.get(0);
        int z = nodes.get(nodes.size() - 1);
        double hi = maxChurn();
        double lo = minChurn();
        int d0 = d0();
        b.append("\n## **Scalability**: ").append(a).append(" -> ").append(z).append(" nodes\n\n| | ");
        overlays.forEach(c -> b.append(Overlay.parse(c).title()).append(" | "));
        b.append("\n|---|");
        overlays.forEach(c -> b.append("---|"));
        b.append('\n');
        scaleRow(b, "latency p50, churn " + fmtChurn(lo) + ", deadline " + sec(d0), a, z, lo, d0, r -> sec(r.latencyMs().p50()));
        scaleRow(b, "latency p99, churn " + fmtChurn(lo) + ", deadline " + sec(d0), a, z, lo, d0, r -> sec(r.latencyMs().p99()));
        for (int d : playoutDelaysMs) {
            scaleRow(b, "continuity, churn " + fmtChurn(hi) + ", deadline " + sec(d), a, z, hi, d,
                    r -> String.format(Locale.ROOT, "%.4f", continuity(r, d)));
        }
        int dLast = playoutDelaysMs.get(playoutDelaysMs.size() - 1);
        scaleRow(b, "control / data, churn " + fmtChurn(hi) + ", deadline " + sec(dLast), a, z, hi, dLast,
                r -> pct(r.traffic().controlOverhead()));
        scaleRow(b, "planner wall ms per call p50, churn " + fmtChurn(hi), a, z, hi, d0, r -> r.control() == null
                ? "-" : String.format(Locale.ROOT, "%.1f", r.control().planWallMs().get("p50")));
        scaleRow(b, "repair p50, churn " + fmtChurn(hi), a, z, hi, d0, r -> r.control() == null
                ? "-" : sec(r.control().repairMs().p50()));
        scaleRow(b, "worst controller lag, churn " + fmtChurn(hi), a, z, hi, d0,
                r -> r.control() == null ? "-" : sec(r.control().maxControllerLagMs()));
        scaleRow(b, "wall-clock s, churn " + fmtChurn(hi), a, z, hi, d0, r -> String.format(Locale.ROOT, "%.1f", r.wallSeconds()));
    }

    private void scaleRow(StringBuilder b, String name, int a, int z, double c, int d, Function<OverlayResult, String> f) {
        b.append("| ").append(name).append(" | ");
        for (String o : overlays) {
            OverlayResult x = find(a, c, o, d);
            OverlayResult y = find(z, c, o, d);
            b.append(x == null ? "-" : f.apply(x)).append(" -> ").append(y == null ? "-" : f.apply(y)).append(" | ");
        }
        b.append('\n');
    }

    private void depthTable(StringBuilder b) {
        double lo = minChurn();
        b.append("\n## Trees: latency by depth, churn ").append(fmtChurn(lo)).append("\n\n");
        b.append("Depth of the shard that completed the segment at the node. p50 / p99 seconds (nodes-segments).\n\n");
        b.append("| nodes | overlay | by depth |\n|---|---|---|\n");
        for (int n : nodes) {
            for (String o : overlays) {
                OverlayResult r = find(n, lo, o, d0());
                if (r == null || r.latencyByDepthMs().isEmpty()) {
                    continue;
                }
                StringBuilder s = new StringBuilder();
                r.latencyByDepthMs().forEach((d, q) -> s.append("d").append(d).append(": ").append(sec(q.p50())).append(" / ")
                        .append(sec(q.p99())).append(" (").append(q.count()).append("); "));
                b.append("| ").append(n).append(" | ").append(Overlay.parse(o).title()).append(" | ").append(s).append("|\n");
            }
        }
    }

    private void plannerTable(StringBuilder b) {
        b.append("\n## The real planner in these runs\n\n");
        b.append("| nodes | churn | overlay | relays | initial plan ms | calls | wall ms per call p50 / p99 / max | total s | "
                + "modeled ms per call | worst lag ms | moves (orphans / others in repairs) | statuses | max unplaced |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (OverlayResult r : runs) {
            OverlayResult.Control c = r.control();
            if (c == null || (!Overlay.parse(r.overlay()).isTree() && r.playoutDelayMs() != d0())) {
                continue; // the hybrid's core is the same at every deadline
            }
            Map<String, Double> w = c.planWallMs();
            b.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %.0f | %d | %.1f / %.1f / %.1f | %.1f | %.1f | %d | %d (%d / %d) | %s | %d |%n",
                    r.nodes(), fmtChurn(r.churnPerMin()), r.overlay(), c.relays() == 0 ? "all" : Integer.toString(c.relays()),
                    c.initialPlanWallMs(), c.planCalls(), w.getOrDefault("p50", 0.0), w.getOrDefault("p99", 0.0),
                    w.getOrDefault("max", 0.0), w.getOrDefault("total", 0.0) / 1000, c.modeledServiceMs(), c.maxControllerLagMs(),
                    c.moves(), c.orphanMoves(), c.nonOrphanMoves(), c.statuses(), c.maxUnplaced()));
        }
    }

    private void row(StringBuilder b, String name, int n, double c, int d, Function<OverlayResult, String> f,
                     String classic) {
        b.append("| ").append(name).append(" | ");
        for (String o : overlays) {
            OverlayResult r = find(n, c, o, d);
            b.append(r == null ? "-" : f.apply(r)).append(" | ");
        }
        b.append(classic).append(" |\n");
    }

    private static String classic(String row) {
        String[] v = CLASSIC.get(row);
        return v == null ? "" : v[0] + " / " + v[1];
    }

    private static String sec(int ms) {
        return ms < 0 ? "-" : String.format(Locale.ROOT, "%.2f s", ms / 1000.0);
    }

    private static String pct(double x) {
        return String.format(Locale.ROOT, x < 0.001 && x > 0 ? "%.4f%%" : "%.2f%%", 100 * x);
    }

    private static String fmtChurn(double c) {
        return (c == Math.rint(c) ? String.valueOf((long) c) : String.valueOf(c)) + "%/min";
    }

    // ------------------------------------------------------------------ figures

    private static String continuityFile(int n, int d) {
        return "continuity-" + n + "-" + d + "ms.svg";
    }

    private String continuitySvg(int n, int d) {
        List<String[]> bars = new ArrayList<>();
        for (String o : overlays) {
            for (double c : churn) {
                OverlayResult r = find(n, c, o, d);
                if (r != null) {
                    bars.add(new String[] {o, fmtChurn(c), Double.toString(continuity(r, d))});
                }
            }
        }
        return bars("continuity by churn, deadline " + sec(d) + ", " + n + " nodes (y from 0 to 1)", bars, 0, 1.0, "%.3f");
    }

    private String latencySvg(int n) {
        double lo = minChurn();
        int d = playoutDelaysMs.get(playoutDelaysMs.size() - 1);
        List<String[]> bars = new ArrayList<>();
        for (String o : overlays) {
            OverlayResult r = find(n, lo, o, d);
            if (r != null) {
                bars.add(new String[] {o, "p50", Double.toString(r.latencyMs().p50() / 1000.0)});
                bars.add(new String[] {o, "p99", Double.toString(r.latencyMs().p99() / 1000.0)});
            }
        }
        double max = bars.stream().mapToDouble(x -> Double.parseDouble(x[2])).max().orElse(1);
        return bars("latency (s) p50 / p99, churn " + fmtChurn(lo) + ", deadline " + sec(d) + ", " + n + " nodes", bars, 0, Math.max(1, max), "%.2f");
    }

    /** Grouped bars: one group per overlay, one bar per (label) inside it. */
    private String bars(String title, List<String[]> bars, double yMin, double yMax, String valueFormat) {
        int barW = 26;
        int gap = 30;
        List<String> groups = bars.stream().map(x -> x[0]).distinct().toList();
        int perGroup = groups.isEmpty() ? 1 : (int) bars.stream().filter(x -> x[0].equals(groups.get(0))).count();
        int width = 60 + groups.size() * (perGroup * barW + gap) + 20;
        int h = 200;
        String[] palette = {"#0969da", "#54aeff", "#b6e3ff", "#1f883d", "#bf8700"};
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"11\">%n", width, h + 80));
        s.append("<text x=\"10\" y=\"16\">").append(title).append("</text>\n");
        int x = 60;
        List<String> labels = bars.stream().map(b -> b[1]).distinct().toList();
        for (String g : groups) {
            int i = 0;
            for (String[] bar : bars) {
                if (!bar[0].equals(g)) {
                    continue;
                }
                double v = Double.parseDouble(bar[2]);
                double frac = Math.max(0, Math.min(1, (v - yMin) / (yMax - yMin)));
                int bh = (int) Math.round(h * frac);
                String color = palette[Math.max(0, labels.indexOf(bar[1])) % palette.length];
                s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>%n",
                        x + i * barW, 30 + h - bh, barW - 2, bh, color));
                s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"8\">" + valueFormat + "</text>%n",
                        x + i * barW, 28 + h - bh, v));
                i++;
            }
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", x, 30 + h + 16, g));
            x += perGroup * barW + gap;
        }
        s.append(String.format(Locale.ROOT, "<line x1=\"55\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n", 30 + h, width - 10, 30 + h));
        s.append(String.format(Locale.ROOT, "<text x=\"5\" y=\"%d\">" + valueFormat + "</text>%n", 30 + h, yMin));
        s.append(String.format(Locale.ROOT, "<text x=\"5\" y=\"38\">" + valueFormat + "</text>%n", yMax));
        int lx = 60;
        for (int i = 0; i < labels.size(); i++) {
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", lx, h + 60, palette[i % palette.length], lx + 14, h + 69, labels.get(i)));
            lx += 90;
        }
        return s.append("</svg>\n").toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SimReport r && Objects.equals(runs, r.runs) && Objects.equals(config, r.config);
    }

    @Override
    public int hashCode() {
        return Objects.hash(config, runs);
    }
}
