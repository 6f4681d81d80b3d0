package io.stripecast.lab.scenario;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report's SVG plots, drawn by hand (no chart library): availability per depth as bars (each system
 * side by side when a baseline ran), and availability, continuity and the fault marks over time. Latency
 * axes are logarithmic: stripecast's tens of milliseconds and a cache chain's seconds share one plot.
 */
final class ReportPlots {
    private static final String[] COLORS = {"#0969da", "#cf222e", "#1a7f37", "#8250df", "#bf8700", "#57606a", "#e16f24"};
    private static final double LOG_MIN = 1; // 10 ms
    private static final double LOG_MAX = 5; // 100 s

    private ReportPlots() {
    }

    /** Bars per depth: p50 solid, p99 light, one pair per series. */
    static String availabilityByDepth(Report r) {
        Map<String, Map<String, Map<String, Double>>> series = new LinkedHashMap<>();
        series.put("stripecast relays (ingest to complete)", r.availabilityMs());
        r.depthComparison().forEach((system, byDepth) -> series.put(system + " (probe player)", byDepth));
        List<String> depths = new ArrayList<>();
        series.values().forEach(m -> m.keySet().forEach(d -> {
            if (!depths.contains(d)) {
                depths.add(d);
            }
        }));
        depths.sort(java.util.Comparator.comparingInt(ReportPlots::depthOrder));
        int group = 24 * series.size() + 30;
        int width = Math.max(520, 90 + group * Math.max(1, depths.size()));
        int height = 300 + 18 * series.size();
        Svg s = new Svg(width, height);
        s.text(10, 18, "availability latency per depth, ms (log scale): p50 solid, p99 light");
        logAxis(s, 60, 40, 230, width - 10);
        int x = 70;
        for (String d : depths) {
            int i = 0;
            for (var e : series.entrySet()) {
                Map<String, Double> q = e.getValue().get(d);
                if (q != null) {
                    bar(s, x + i * 24, 40, 230, q.get("p50"), COLORS[i % COLORS.length], 1.0);
                    bar(s, x + i * 24 + 11, 40, 230, q.get("p99"), COLORS[i % COLORS.length], 0.4);
                }
                i++;
            }
            s.text(x, 250, "depth " + d);
            x += group;
        }
        int y = 275;
        int i = 0;
        for (String name : series.keySet()) {
            s.rect(10, y - 10, 12, 12, COLORS[i++ % COLORS.length], 1);
            s.text(28, y, name);
            y += 18;
        }
        return s.end();
    }

    /** Top: median availability at viewers per depth over time; bottom: share of viewers on time; fault marks across both. */
    static String overTime(Report r) {
        int width = 900;
        int left = 60;
        int right = width - 20;
        long maxX = 1;
        for (List<long[]> pts : r.availabilityOverTime().values()) {
            for (long[] p : pts) {
                maxX = Math.max(maxX, p[0]);
            }
        }
        for (Object[] m : r.marks()) {
            maxX = Math.max(maxX, ((Number) m[0]).longValue());
        }
        int markRows = r.marks().size();
        int height = 420 + 14 * markRows;
        Svg s = new Svg(width, height);
        s.text(10, 18, "availability at viewers (median per segment, ms, log scale) by depth of their relay; fault marks dashed");
        logAxis(s, left, 30, 230, right);
        int i = 0;
        int legendX = left;
        for (var e : r.availabilityOverTime().entrySet()) {
            StringBuilder path = new StringBuilder();
            for (long[] p : e.getValue()) {
                path.append(path.isEmpty() ? "M" : " L").append(fmt(x(p[0], maxX, left, right))).append(' ')
                        .append(fmt(logY(p[1], 30, 230)));
            }
            s.path(path.toString(), COLORS[i % COLORS.length]);
            s.rect(legendX, 236, 10, 10, COLORS[i % COLORS.length], 1);
            s.text(legendX + 14, 245, "depth " + e.getKey());
            legendX += 80;
            i++;
        }
        // Continuity panel.
        int top = 270;
        int bottom = 370;
        s.text(10, top - 6, "share of viewers with the segment before its playback deadline");
        s.line(left, bottom, right, bottom, "#333", false);
        s.line(left, top, left, bottom, "#333", false);
        s.text(left - 30, top + 4, "1.0");
        s.text(left - 30, bottom + 4, "0.0");
        StringBuilder path = new StringBuilder();
        for (double[] p : r.continuityOverTime()) {
            path.append(path.isEmpty() ? "M" : " L").append(fmt(x((long) p[0], maxX, left, right))).append(' ')
                    .append(fmt(bottom - p[1] * (bottom - top)));
        }
        s.path(path.toString(), "#1a7f37");
        s.text(left, bottom + 16, "0 s");
        s.text(right - 40, bottom + 16, String.format(Locale.ROOT, "%.0f s", maxX / 1000.0));
        int row = 0;
        for (Object[] m : r.marks()) {
            double mx = x(((Number) m[0]).longValue(), maxX, left, right);
            s.line((int) mx, 30, (int) mx, bottom, "#888", true);
            s.text((int) mx + 2, 40 + (row % 6) * 12, Integer.toString(row + 1));
            s.text(10, 400 + row * 14, (row + 1) + ": " + String.format(Locale.ROOT, "%.1f s ", ((Number) m[0]).longValue() / 1000.0) + m[1]);
            row++;
        }
        return s.end();
    }

    private static int depthOrder(String d) {
        try {
            return Integer.parseInt(d);
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    private static double x(long at, long maxX, int left, int right) {
        return left + (double) at / maxX * (right - left);
    }

    private static double logY(double ms, int top, int bottom) {
        double v = Math.log10(Math.max(ms, 10));
        v = Math.min(Math.max(v, LOG_MIN), LOG_MAX);
        return bottom - (v - LOG_MIN) / (LOG_MAX - LOG_MIN) * (bottom - top);
    }

    private static void logAxis(Svg s, int left, int top, int bottom, int right) {
        s.line(left, bottom, right, bottom, "#333", false);
        s.line(left, top, left, bottom, "#333", false);
        String[] labels = {"10", "100", "1 s", "10 s", "100 s"};
        for (int e = 1; e <= 5; e++) {
            double y = logY(Math.pow(10, e), top, bottom);
            s.line(left, (int) y, right, (int) y, "#eee", false);
            s.text(left - 40, (int) y + 4, labels[e - 1]);
        }
    }

    private static void bar(Svg s, int x, int top, int bottom, Double ms, String color, double opacity) {
        if (ms == null || !Double.isFinite(ms) || ms <= 0) {
            return;
        }
        double y = logY(ms, top, bottom);
        s.rect(x, (int) y, 10, (int) (bottom - y), color, opacity);
        s.text(x - 2, (int) y - 3, ms >= 1000 ? String.format(Locale.ROOT, "%.1fs", ms / 1000) : String.format(Locale.ROOT, "%.0f", ms),
                9);
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.1f", d);
    }

    /** Just enough SVG. */
    private static final class Svg {
        private final StringBuilder b = new StringBuilder();

        Svg(int width, int height) {
            b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"").append(height)
                    .append("\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        }

        void text(int x, int y, String t) {
            text(x, y, t, 12);
        }

        void text(int x, int y, String t, int size) {
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"%d\">%s</text>%n", x, y, size, escape(t)));
        }

        void rect(int x, int y, int w, int h, String fill, double opacity) {
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" fill-opacity=\"%.2f\"/>%n",
                    x, y, w, Math.max(h, 0), fill, opacity));
        }

        void line(int x1, int y1, int x2, int y2, String stroke, boolean dashed) {
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\"%s/>%n", x1, y1, x2, y2, stroke,
                    dashed ? " stroke-dasharray=\"4 3\"" : ""));
        }

        void path(String d, String stroke) {
            if (!d.isEmpty()) {
                b.append("<path d=\"").append(d).append("\" fill=\"none\" stroke=\"").append(stroke).append("\" stroke-width=\"1.5\"/>\n");
            }
        }

        String end() {
            return b.append("</svg>\n").toString();
        }

        private static String escape(String t) {
            return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        }
    }
}
