package io.stripecast.lab.scenario;

import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import io.stripecast.lab.cluster.LocalCluster;
import io.stripecast.lab.cluster.PromText;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns a finished stripecast run into its {@link Report}: every present relay's segments against the
 * source's checksums, the relays' and controller's metrics, and what the viewers and probes saw.
 */
final class ReportCollector {
    /** What the runner knew when the stream started and what it gathered since. */
    record Run(Scenario scenario, LocalCluster cluster, RunContext ctx, ViewerSet viewers, Timeline timeline, RunSource source,
               List<String> streams, Map<String, Integer> depthOf, List<Integer> treeDepths,
               List<Integer> rootChildren, CpuWindow.Totals cpu, long sourceStartMillis, Map<String, List<String>> expected,
               List<String> notes, Map<String, Object> streamEnd) {
    }

    private ReportCollector() {
    }

    static Report collect(Run run) throws Exception {
        Scenario sc = run.scenario();
        LocalCluster cluster = run.cluster();
        Set<String> left = run.ctx().left();
        String ingestId = cluster.ingestId();
        int missing = 0;
        Map<String, Integer> missingByRelay = new TreeMap<>();
        Map<Integer, List<TreeMap<Double, Double>>> availabilityByDepth = new TreeMap<>();
        double shardBytesOut = 0;
        double ingestBytes = 0;
        double originOut = 0;
        List<String> faultedAvailability = new ArrayList<>();
        List<String> unserved = new ArrayList<>();
        List<String> joinerAvailability = new ArrayList<>();
        for (var e : cluster.relays().entrySet()) {
            JavaService relay = e.getValue();
            if (left.contains(e.getKey())) {
                continue;
            }
            int relayMissing = 0;
            for (String stream : run.streams()) {
                Set<String> served = new HashSet<>();
                try {
                    served.addAll(HlsCheck.servedHashes(relay, stream));
                } catch (IOException notServed) {
                    // A relay the forest dropped serves no playlist: every segment counts as missing there.
                    unserved.add(e.getKey() + " (" + stream + "): " + notServed.getMessage());
                }
                for (String h : run.expected().get(stream)) {
                    if (!served.contains(h)) {
                        relayMissing++;
                    }
                }
            }
            if (relayMissing > 0) {
                missingByRelay.put(e.getKey(), relayMissing);
                missing += relayMissing;
            }
            PromText prom = new PromText(relay.getText("/q/metrics"));
            shardBytesOut += prom.sum("stripecast_relay_shard_bytes_out_total");
            TreeMap<Double, Double> buckets = prom.buckets("stripecast_relay_segment_availability_seconds");
            if (e.getKey().equals(ingestId)) {
                ingestBytes = prom.sum("stripecast_relay_ingest_bytes_total");
                originOut = prom.sum("stripecast_relay_shard_bytes_out_total");
                // Depth 0: the ingest's own histogram times its commit, from the request that completed a segment
                // (its bytes or the playlist listing it) to the segment in the window.
                availabilityByDepth.computeIfAbsent(0, d -> new ArrayList<>()).add(buckets);
                continue;
            }
            if (run.ctx().faulted().contains(e.getKey())) {
                // The relay the fault hit (frozen, cut off) is late by design: shown apart, not mixed into its depth.
                faultedAvailability.add(String.format(java.util.Locale.ROOT, "%s: p50 %.0f ms, p99 %.0f ms", e.getKey(),
                        PromText.quantile(buckets, 0.5) * 1000, PromText.quantile(buckets, 0.99) * 1000));
                continue;
            }
            if (run.ctx().joined().contains(e.getKey())) {
                // A relay that joined mid-run first fetched the whole window: its histogram measures catching up.
                joinerAvailability.add(String.format(java.util.Locale.ROOT, "%s: p50 %.0f ms", e.getKey(),
                        PromText.quantile(buckets, 0.5) * 1000));
                continue;
            }
            int depth = run.depthOf().getOrDefault(e.getKey(), -1);
            availabilityByDepth.computeIfAbsent(depth, d -> new ArrayList<>()).add(buckets);
        }
        Map<String, Map<String, Double>> availability = new TreeMap<>();
        availabilityByDepth.forEach((depth, list) -> {
            TreeMap<Double, Double> merged = PromText.merge(list);
            Map<String, Double> q = new LinkedHashMap<>();
            q.put("p50", PromText.quantile(merged, 0.5) * 1000);
            q.put("p99", PromText.quantile(merged, 0.99) * 1000);
            q.put("relays", (double) list.size());
            availability.put(Integer.toString(depth), q);
        });

        PromText ctl = new PromText(cluster.controller().getText("/q/metrics"));
        TreeMap<Double, Double> repairBuckets = ctl.buckets("stripecast_controller_repair_duration_seconds");
        Map<String, Double> repair = new LinkedHashMap<>();
        repair.put("count", ctl.sum("stripecast_controller_repairs_total"));
        repair.put("p50", PromText.quantile(repairBuckets, 0.5) * 1000);
        repair.put("p99", PromText.quantile(repairBuckets, 0.99) * 1000);
        repair.put("max", ctl.sum("stripecast_controller_repair_duration_seconds_max") * 1000);
        double controlBytes = ctl.sum("stripecast_controller_control_bytes_total");

        String first = run.streams().get(0);
        long firstSequence = firstMediaSequence(cluster.ingest(), first);
        long lastSequence = firstSequence + run.expected().get(first).size() - 1;
        SegmentClock clock = run.source().clock(first, firstSequence);
        // Availability figures skip the warm-up; the plots show the whole run.
        SegmentClock figures = clock.from(firstSequence + sc.warmupSegments());
        List<HlsViewer> viewers = run.viewers().viewers();
        int onTime = 0;
        int due = 0;
        int stalls = 0;
        List<Long> startups = new ArrayList<>();
        for (HlsViewer v : viewers) {
            HlsViewer.PlaybackStats p = v.playback(lastSequence);
            onTime += p.onTime();
            due += p.onTime() + p.stalls() + p.missing();
            stalls += p.stalls();
            if (p.startupMillis() >= 0) {
                startups.add(p.startupMillis());
            }
        }
        AvailabilitySeries series = AvailabilitySeries.of(ViewerFigures.samples(run.viewers().viewerDepths(), clock),
                run.sourceStartMillis());
        Map<String, Map<String, Map<String, Double>>> depthComparison = new LinkedHashMap<>();
        if (!run.viewers().probeDepths().isEmpty()) {
            depthComparison.put("stripecast", ViewerFigures.byDepth(run.viewers().probeDepths(), figures));
        }
        Map<String, Map<String, Double>> comparison = new LinkedHashMap<>();
        comparison.put("stripecast", ViewerFigures.of(viewers, figures, run.cpu().cpuSeconds(),
                (long) run.cpu().playerBytes(), lastSequence));

        List<String> notes = new ArrayList<>(run.notes());
        if (sc.warmupSegments() > 0) {
            notes.add("warm-up: availability at players and probes (both systems) leaves out the source's first "
                    + sc.warmupSegments() + " segments; the relays' own histograms, continuity, stalls and missing segments "
                    + "cover the whole run");
        }
        if (sc.probePollMillis() > 0) {
            notes.add("stripecast " + run.viewers().probeReloads(sc.probePollMillis()));
        }
        notes.add("relays: heap " + sc.relayHeapMbOrSized() + " MB, " + (sc.steadyJvm() ? "full JIT" : "C1 only") + ", window "
                + sc.relayWindow().toSeconds() + " s (the whole run, for the end check)");
        notes.add("machine load average (1 min) at the end of the stripecast run: " + loadAverage()
                + " on " + Runtime.getRuntime().availableProcessors() + " CPUs");
        Map<String, Long> blocked = BlockedEventLoops.count(cluster.logs());
        if (!blocked.isEmpty()) {
            notes.add("event loops blocked past Vert.x's 2 s limit (warnings per process log): " + blocked);
        }
        notes.addAll(run.source().notes());
        notes.addAll(cluster.network().notes());
        if (!run.viewers().setAside().isEmpty()) {
            notes.add("viewers set aside with their relay when it left (a player would switch edge): " + run.viewers().setAside());
        }
        if (!run.ctx().joined().isEmpty()) {
            notes.add("relays started mid-run (checked for every segment too, no viewers; not in the per-depth availability, "
                    + "which for them is mostly catching up on the window): " + String.join("; ", joinerAvailability));
        }
        List<String> hit = run.ctx().faulted();
        if (!hit.isEmpty()) {
            // Did the fault reach anyone but its target? The viewers of the other relays say.
            for (boolean atHit : new boolean[]{false, true}) {
                List<HlsViewer> group = run.viewers().viewers(server -> hit.contains(server) == atHit);
                if (!group.isEmpty()) {
                    Map<String, Double> g = ViewerFigures.of(group, figures, 0, 0, lastSequence);
                    notes.add(String.format(java.util.Locale.ROOT, "viewers of %s: %d, continuity %.3f, stalls %.0f, availability p50/p99 %.0f/%.0f ms",
                            atHit ? "the relays the fault hit (that stayed)" : "the other relays", group.size(), g.get("continuity_index"),
                            g.get("stalls"), g.get("viewer_availability_p50_ms"), g.get("viewer_availability_p99_ms")));
                }
            }
        }
        if (!unserved.isEmpty()) {
            notes.add("relays that did not serve the stream at the end: " + unserved);
        }
        if (!faultedAvailability.isEmpty()) {
            notes.add("availability at the relays the fault hit and that stayed (not in the per-depth figures): "
                    + String.join("; ", faultedAvailability));
        }
        if (!left.isEmpty()) {
            notes.add("relays that left (not checked; their counters and CPU after leaving are lost to the totals): " + left);
        }
        // Darkness: per relay still in the run and not hit by the fault, the longest any of its players found its playlist
        // unanswerable after first answering it (see Report#relaysDarkSeconds).
        Map<String, Double> darkByRelay = new TreeMap<>();
        double dark = 0;
        for (var e : run.viewers().darkMillisByServer().entrySet()) {
            if (left.contains(e.getKey()) || run.ctx().faulted().contains(e.getKey()) || e.getValue() == 0) {
                continue;
            }
            darkByRelay.put(e.getKey(), e.getValue() / 1000.0);
            dark += e.getValue() / 1000.0;
        }
        double dataBytes = shardBytesOut;
        List<double[]> continuity = series.continuity().stream().map(p -> new double[]{p.atMillis(), p.value()}).toList();
        return new Report(sc.name(), null, null, sc.relays(), run.streams().size(), sc.k(), sc.m(), sc.fault().kind(), run.ctx().faulted(),
                sc.network().mode() + (sc.network().link().isNone() ? "" : " (" + sc.network().link() + ")"), sourceLabel(sc),
                run.expected().get(first).size(), missing, missingByRelay, due == 0 ? 0 : (double) onTime / due, stalls, viewers.size(),
                startups.stream().mapToLong(Long::longValue).average().orElse(-1), repair, run.ctx().recoveries(), availability,
                run.treeDepths(), run.rootChildren(), ingestBytes == 0 ? 0 : originOut / ingestBytes, (double) (sc.k() + sc.m()) / sc.k(),
                controlBytes, dataBytes, dataBytes == 0 ? 0 : controlBytes / dataBytes,
                run.cpu().cpuSecondsPerGb(),
                run.timeline().entries(), notes, comparison, depthComparison, series.asJson(), continuity,
                run.timeline().marks(run.sourceStartMillis()), dark, darkByRelay, run.streamEnd());
    }

    /** The machine is shared: the report says how busy it was. */
    static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String sourceLabel(Scenario sc) {
        return sc.source().synthetic() ? "synthetic " + sc.source().segmentBytes() + " B every " + sc.source().segmentMillis() + " ms"
                : sc.source().kind();
    }

    static long firstMediaSequence(JavaService ingest, String stream) throws IOException, InterruptedException {
        for (String line : ingest.getText("/live/" + stream + "/index.m3u8").split("\n")) {
            if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
                return Long.parseLong(line.substring(22).strip());
            }
        }
        throw new IllegalStateException("ingest playlist without media sequence");
    }
}
