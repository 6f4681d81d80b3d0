package io.stripecast.lab.scenario;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/** The readable {@code report.md} of a run. */
final class ReportMarkdown {
    private ReportMarkdown() {
    }

    static String of(Report r) {
        StringBuilder b = new StringBuilder();
        b.append("# Scenario `").append(r.scenario()).append("`\n\n");
        if (r.skipped() != null) {
            b.append("**Skipped:** ").append(r.skipped()).append("\n");
            return b.toString();
        }
        if (r.failed() != null) {
            b.append("**Failed:** ").append(r.failed()).append("\n\n## Timeline\n\n");
            r.timeline().forEach(t -> b.append("- ").append(t).append('\n'));
            return b.toString();
        }
        b.append("Controller + ").append(r.relays()).append(" relays (").append(r.network()).append("), ").append(r.streams())
                .append(" stream(s) from source `").append(r.source()).append("`, k=").append(r.k()).append(" m=").append(r.m())
                .append(", fault: ").append(r.fault()).append(r.faultedRelays().isEmpty() ? "" : " (" + String.join(", ", r.faultedRelays()) + ")")
                .append(".\n\n");
        b.append("| figure | value |\n|---|---|\n");
        row(b, "segments expected (per relay)", Integer.toString(r.segmentsExpected()));
        row(b, "segments missing (summed over relays)", r.segmentsMissing() + (r.missingByRelay().isEmpty() ? "" : " " + r.missingByRelay()));
        row(b, "continuity index (viewers, on time / due)", fmt(r.continuityIndex()));
        row(b, "relays dark (s, playlist not answerable after first answered)", fmt(r.relaysDarkSeconds())
                + (r.darkByRelay().isEmpty() ? "" : " " + r.darkByRelay()));
        if (Boolean.TRUE.equals(r.streamEnd().get("source_ended"))) {
            row(b, "stream end: relays whose playlist ended (ENDLIST)", r.streamEnd().get("ended") + " of " + r.streamEnd().get("relays")
                    + " " + r.streamEnd().get("not_ended"));
            row(b, "stream end: ms from the source's last upload to ENDLIST, by depth", String.valueOf(r.streamEnd().get("end_ms")));
            row(b, "stream end: ffmpeg followers' exit", String.valueOf(r.streamEnd().get("followers_exit")));
        }
        row(b, "stalls / viewers", r.stalls() + " / " + r.viewers());
        row(b, "startup, mean", fmt(r.startupMsMean()) + " ms");
        row(b, "repairs; detection to assignments sent p50 / p99 / max", fmt(r.repairMs().get("count")) + "; "
                + fmt(r.repairMs().get("p50")) + " / " + fmt(r.repairMs().get("p99")) + " / " + fmt(r.repairMs().get("max")) + " ms");
        row(b, "stripe tree depths; ingest children per tree", r.treeDepths() + "; " + r.rootChildren());
        row(b, "origin egress ratio (ingest shard bytes out / stream bytes); (k+m)/k", fmt(r.originEgressRatio()) + "; "
                + fmt(r.originEgressExpected()));
        row(b, "control overhead ratio (control bytes / shard bytes)", String.format(Locale.ROOT, "%.6f (%.0f / %.0f bytes)",
                r.controlOverheadRatio(), r.controlBytes(), r.dataBytes()));
        row(b, "CPU seconds per GB moved (all relays; after the warm-up, without the lab's verification downloads)",
                fmt(r.cpuSecondsPerGb()));

        goals(b, r);

        if (!r.recoveryMs().isEmpty()) {
            b.append("\n## Repair timeline (seen from outside: fault, or heal/resume, until the forest is whole)\n\n| event | ms |\n|---|---|\n");
            r.recoveryMs().forEach((what, ms) -> b.append("| ").append(what).append(" | ").append(ms < 0 ? "not reached" : ms)
                    .append(" |\n"));
        }

        b.append("\n## Availability latency per depth (relays: ingest wall clock to segment complete; depth 0 is the ingest's commit, request in to segment in the window)\n\n");
        b.append("| depth | relays | p50 ms | p99 ms |\n|---|---|---|---|\n");
        r.availabilityMs().forEach((d, q) -> b.append("| ").append(d).append(" | ").append(fmt0(q.get("relays"))).append(" | ")
                .append(fmt(q.get("p50"))).append(" | ").append(fmt(q.get("p99"))).append(" |\n"));
        b.append("\nQuantiles are histogram bucket upper bounds (Micrometer's percentile histogram), so they round up.\n");

        if (!r.depthComparison().isEmpty()) {
            b.append("\n## Side by side per depth: availability at the serving node (probe player, source finished to segment fetched)\n\n");
            List<String> systems = new ArrayList<>(r.depthComparison().keySet());
            TreeSet<Integer> depths = new TreeSet<>();
            r.depthComparison().values().forEach(m -> m.keySet().forEach(d -> depths.add(Integer.parseInt(d))));
            b.append("| depth |");
            systems.forEach(s -> b.append(' ').append(s).append(" p50 / p99 ms |"));
            if (systems.size() == 2) {
                b.append(" p50 ratio ").append(systems.get(1)).append(" / ").append(systems.get(0)).append(" |");
            }
            b.append("\n|---|");
            systems.forEach(s -> b.append("---|"));
            if (systems.size() == 2) {
                b.append("---|");
            }
            b.append('\n');
            for (int d : depths) {
                b.append("| ").append(d).append(" |");
                for (String s : systems) {
                    Map<String, Double> q = r.depthComparison().get(s).get(Integer.toString(d));
                    b.append(' ').append(q == null ? "-" : fmt(q.get("p50")) + " / " + fmt(q.get("p99"))).append(" |");
                }
                if (systems.size() == 2) {
                    Map<String, Double> a = r.depthComparison().get(systems.get(0)).get(Integer.toString(d));
                    Map<String, Double> c = r.depthComparison().get(systems.get(1)).get(Integer.toString(d));
                    b.append(' ').append(a == null || c == null ? "-" : String.format(Locale.ROOT, "%.1fx", c.get("p50") / a.get("p50")))
                            .append(" |");
                }
                b.append('\n');
            }
        }
        b.append("\n![availability latency per depth](availability.svg)\n");

        if (r.comparison().size() > 1) {
            b.append("\n## Side by side, measured at the viewers\n\n");
            b.append("Availability = arrival at a viewer minus the moment the source finished the segment; same source, same number of viewers.\n\n");
            List<String> columns = List.copyOf(r.comparison().keySet());
            b.append("| figure | ").append(String.join(" | ", columns)).append(" |\n|---|");
            columns.forEach(c -> b.append("---|"));
            b.append('\n');
            for (String figure : r.comparison().get(columns.get(0)).keySet()) {
                b.append("| ").append(figure);
                for (String c : columns) {
                    b.append(" | ").append(fmt(r.comparison().get(c).get(figure)));
                }
                b.append(" |\n");
            }
            b.append("\nnginx: stock proxy_cache tiers (origin with WebDAV PUT -> tier 1 -> ... -> edge), playlists cached 1 s, "
                    + "segments 10 min, proxy_cache_lock on; its cache expiry has 1 s granularity, as deployed tiers do.\n");
        }

        b.append("\n## Over time\n\n![availability and continuity over time](over-time.svg)\n");
        if (!r.notes().isEmpty()) {
            b.append("\n## Notes\n\n");
            r.notes().forEach(n -> b.append("- ").append(n).append('\n'));
        }
        b.append("\n## Timeline\n\n");
        r.timeline().forEach(t -> b.append("- ").append(t).append('\n'));
        return b.toString();
    }

    /** The targets, where this run measures them. */
    private static void goals(StringBuilder b, Report r) {
        List<String> rows = new ArrayList<>();
        Double repairs = r.repairMs().get("count");
        if (repairs != null && repairs > 0) {
            double p99 = r.repairMs().get("p99");
            rows.add("| repair p99 < 500 ms | " + fmt(p99) + " ms | " + (p99 < 500 ? "met" : "NOT met") + " |");
        }
        if (r.rootChildren().stream().allMatch(c -> c == 1)) {
            rows.add("| origin egress <= (k+m)/k = " + fmt(r.originEgressExpected()) + " | " + fmt(r.originEgressRatio()) + " | "
                    + (r.originEgressRatio() <= r.originEgressExpected() + 0.005 ? "met" : "NOT met") + " |");
        }
        rows.add("| control overhead < 0.1 % | " + String.format(Locale.ROOT, "%.4f %%", 100 * r.controlOverheadRatio()) + " | "
                + (r.controlOverheadRatio() < 0.001 ? "met" : "NOT met") + " |");
        Map<String, Map<String, Double>> ours = r.depthComparison().get("stripecast");
        Map<String, Map<String, Double>> nginx = r.depthComparison().get("nginx");
        if (ours != null && nginx != null) {
            int deepest = ours.keySet().stream().mapToInt(Integer::parseInt).max().orElse(0);
            Map<String, Double> a = ours.get(Integer.toString(deepest));
            Map<String, Double> c = nginx.get(Integer.toString(deepest));
            if (a != null && c != null) {
                double ratio = c.get("p50") / a.get("p50");
                rows.add("| depth-" + deepest + " availability >= 10x sooner than nginx (p50) | " + String.format(Locale.ROOT, "%.1fx (%.0f vs %.0f ms)",
                        ratio, a.get("p50"), c.get("p50")) + " | " + (ratio >= 10 ? "met" : "NOT met") + " |");
            }
        }
        b.append("\n## Against the goals of issue #5\n\n| goal | measured | |\n|---|---|---|\n");
        rows.forEach(x -> b.append(x).append('\n'));
    }

    private static void row(StringBuilder b, String name, String value) {
        b.append("| ").append(name).append(" | ").append(value).append(" |\n");
    }

    static String fmt(Double d) {
        return d == null ? "-" : String.format(Locale.ROOT, "%.2f", d);
    }

    private static String fmt0(Double d) {
        return d == null ? "-" : String.format(Locale.ROOT, "%.0f", d);
    }
}
