package io.stripecast.lab.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import io.stripecast.lab.baseline.NginxChain;
import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.Forests;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import io.stripecast.lab.cluster.LocalCluster;
import io.stripecast.lab.cluster.NetnsNetwork;
import io.stripecast.lab.cluster.RelayNetwork;
import io.stripecast.lab.cluster.SyntheticSource;
import io.stripecast.lab.scenario.fault.Fault;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.Map;
import java.util.TreeMap;

import static org.awaitility.Awaitility.await;

/**
 * Runs one scenario for real: a controller and relays as processes ({@link LocalCluster}, on loopback or
 * in network namespaces), a live source, HLS viewers (and probes) on every relay but the ingest, the
 * scenario's fault, then a report of what every relay served and every viewer saw; and, when asked, the
 * same source and viewers through an nginx chain of the same depth.
 */
public final class ScenarioRunner {
    private static final String KEY = "lab-publisher-key-0123";

    private final Scenario scenario;
    private final Path out;

    public ScenarioRunner(Scenario scenario, Path out) {
        this.scenario = scenario;
        this.out = out;
    }

    public Report run() throws Exception {
        HlsCheck.deleteRecursively(out);
        Files.createDirectories(out);
        if (scenario.network().netns()) {
            String why = NetnsNetwork.unavailableBecause();
            if (why != null) {
                return Report.skipped(scenario, why);
            }
        }
        List<String> notes = new ArrayList<>();
        notes.add("machine load average (1 min) before the run: " + ReportCollector.loadAverage());
        Path media = media();
        Timeline timeline = new Timeline();
        ViewerSet viewers = new ViewerSet();
        List<String> streams = streams();
        Report report;
        RelayNetwork network = scenario.network().netns()
                ? RelayNetwork.namespaces(scenario.network().link(), scenario.network().linkEmulator())
                : RelayNetwork.loopback();
        int forestDepth;
        try (LocalCluster cluster = new LocalCluster(settings(streams), network, out.resolve("logs"))) {
            String notPlanned = start(cluster, timeline);
            if (notPlanned != null) {
                return Report.failed(scenario, notPlanned, timeline.entries());
            }
            JsonNode forest = cluster.forest(streams.get(0));
            Map<String, Integer> depthOf = Forests.availabilityDepths(forest, scenario.k());
            forestDepth = depthOf.values().stream().mapToInt(Integer::intValue).max().orElse(1);
            List<Integer> treeDepths = Forests.treeDepths(forest);
            List<Integer> rootChildren = Forests.rootChildren(forest);
            timeline.note("forest planned: " + scenario.relays() + " relays, tree depths " + treeDepths + ", ingest children per tree "
                    + rootChildren + ", availability depths " + depthOf);

            noteForests(cluster, streams, timeline, "at the start");
            long sourceStart = System.currentTimeMillis();
            UplinkWatch uplinks = UplinkWatch.start(cluster);
            RunSource source = startSource(cluster, streams, media);
            timeline.note("source started");
            CompletableFuture<CpuWindow.Snapshot> cpuStart = cpuWindowStart(cluster, viewers, sourceStart);
            RunContext ctx = new RunContext(cluster, streams.get(0), timeline, viewers);
            startViewers(cluster, ctx, viewers, depthOf, streams.get(0));
            StreamEndCheck endCheck = StreamEndCheck.start(cluster, ctx, streams.get(0), depthOf, scenario.endFollowers(), out.resolve("logs"));
            Fault.of(scenario.fault(), scenario.seconds(), scenario.network().link()).run(ctx);
            source.awaitEnd(scenario.seconds());
            timeline.note("source ended");
            Map<String, List<String>> expected = new LinkedHashMap<>();
            for (String s : streams) {
                expected.put(s, source.expected(s));
            }
            awaitCaughtUp(cluster, ctx, expected, timeline);
            // The CPU figure's window ends here: before the stream-end checks and the checksum downloads.
            CpuWindow.Snapshot cpuEnd = CpuWindow.take(cluster, viewers);
            CpuWindow.Totals cpu = CpuWindow.between(cpuStart.get(), cpuEnd);
            notes.add(String.format(java.util.Locale.ROOT, "cpu_seconds_per_gb counts the relays' CPU (utime + stime) and the shard and"
                    + " playback bytes they sent over %.1f s: from %s to every relay caught up after the source ended; JVM start, warm-up"
                    + " and the end-of-run verification downloads are outside it (%.1f CPU s, %.3f GB sent, %.3f GB to players)",
                    cpu.seconds(), scenario.warmupSegments() > 0 ? "the end of the " + scenario.warmupSegments() + "-segment warm-up"
                            : "the source's start", cpu.cpuSeconds(), cpu.bytesSent() / 1e9, cpu.playerBytes() / 1e9));
            // ffmpeg's final playlist carries ENDLIST: every relay's playlist must end, and followers exit on their own.
            Map<String, Object> streamEnd = endCheck.finish(source.endMillis(), Duration.ofSeconds(30));
            timeline.note("stream end: " + streamEnd.get("ended") + " of " + streamEnd.get("relays") + " relays ended their playlist");
            noteForests(cluster, streams, timeline, "at the end");
            notes.add(uplinks.finish(out));
            Thread.sleep(2_000); // viewers poll at half the target duration: give the slowest one more poll
            viewers.stopAll();
            report = ReportCollector.collect(new ReportCollector.Run(scenario, cluster, ctx, viewers, timeline, source, streams,
                    depthOf, treeDepths, rootChildren, cpu, sourceStart, expected, notes, streamEnd));
        }
        if (scenario.baseline().equals("nginx")) {
            report = baseline(report, media, forestDepth, viewers.viewers().size());
        }
        return report;
    }

    private Report baseline(Report report, Path media, int forestDepth, int viewerCount) throws Exception {
        if (!NginxChain.available()) {
            return withNote(report, "nginx baseline not run: no nginx on this machine");
        }
        if (media == null) {
            return withNote(report, "nginx baseline not run: it needs an ffmpeg source, not the synthetic one");
        }
        int depth = scenario.baselineDepth() > 0 ? scenario.baselineDepth() : forestDepth;
        NginxBaselineRun.Result r = NginxBaselineRun.run(scenario, out.resolve("nginx"), media, depth, Math.max(1, viewerCount));
        Report withBaseline = report.withBaseline("nginx", r.figures(), r.byDepth());
        return scenario.probePollMillis() > 0 ? withNote(withBaseline, "nginx " + r.probeReloads()) : withBaseline;
    }

    private static Report withNote(Report r, String note) {
        List<String> notes = new ArrayList<>(r.notes());
        notes.add(note);
        return new Report(r.scenario(), r.skipped(), r.failed(), r.relays(), r.streams(), r.k(), r.m(), r.fault(), r.faultedRelays(), r.network(),
                r.source(), r.segmentsExpected(), r.segmentsMissing(), r.missingByRelay(), r.continuityIndex(), r.stalls(), r.viewers(),
                r.startupMsMean(), r.repairMs(), r.recoveryMs(), r.availabilityMs(), r.treeDepths(), r.rootChildren(),
                r.originEgressRatio(), r.originEgressExpected(), r.controlBytes(), r.dataBytes(), r.controlOverheadRatio(),
                r.cpuSecondsPerGb(), r.timeline(), notes, r.comparison(), r.depthComparison(), r.availabilityOverTime(),
                r.continuityOverTime(), r.marks(), r.relaysDarkSeconds(), r.darkByRelay(), r.streamEnd());
    }

    /** The encoded pattern ffmpeg loops (null for the synthetic source). */
    private Path media() throws Exception {
        Path dir = out.toAbsolutePath().getParent().resolve("media");
        return switch (scenario.source().kind()) {
            case "pattern" -> Ffmpeg.source(dir);
            case "pattern-3m" -> Ffmpeg.sourceCbr3M(dir);
            default -> null;
        };
    }

    private List<String> streams() {
        List<String> out = new ArrayList<>(List.of("live"));
        for (int i = 2; i <= scenario.source().streams(); i++) {
            out.add("live" + i);
        }
        return out;
    }

    private LocalCluster.Settings settings(List<String> streams) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("stripecast.controller.heartbeat", scenario.heartbeat().toMillis() + "ms");
        c.put("stripecast.controller.dead-after", scenario.deadAfter().toMillis() + "ms");
        c.put("stripecast.controller.adopt-for", "1s");
        for (String s : streams) {
            String p = "stripecast.streams." + s + ".";
            c.put(p + "k", Integer.toString(scenario.k()));
            c.put(p + "m", Integer.toString(scenario.m()));
            c.put(p + "window", scenario.relayWindow().toSeconds() + "s");
            c.put(p + "key", KEY);
            c.put(p + "ingest-relay", "r0");
            if (!scenario.standbyIngest().isEmpty()) {
                c.put(p + "standby-ingest-relay", scenario.standbyIngest());
            }
            c.put(p + "bitrate-hint-mbps", Double.toString(scenario.bitrateHintMbps()));
        }
        Map<String, String> r = new LinkedHashMap<>();
        r.put("stripecast.relay.reconnect-max", "1s");
        if (scenario.childQueueShards() > 0) {
            r.put("stripecast.relay.child-queue-shards", Integer.toString(scenario.childQueueShards()));
        }
        List<String> jvm = new ArrayList<>(scenario.steadyJvm() ? JavaService.STEADY : JavaService.FAST_START);
        jvm.removeIf(f -> f.startsWith("-Xmx"));
        jvm.add("-Xmx" + scenario.relayHeapMbOrSized() + "m");
        return new LocalCluster.Settings(c, r, scenario.uplinkMbps(), "r0", scenario.ingestUplinkMbps(), jvm);
    }

    /**
     * Controller first, then the relays: all together, the ingest first (the others then join one by one),
     * or the ingest last (the controller then builds the forest in one step over all of them).
     */
    private String start(LocalCluster cluster, Timeline timeline) throws Exception {
        cluster.startController();
        boolean first = scenario.ingestStarts().equals("first");
        boolean last = scenario.ingestStarts().equals("last");
        if (first) {
            cluster.startRelay("r0");
            cluster.controller().awaitReady();
            cluster.relay("r0").awaitReady();
            timeline.note("ingest ready; starting the other relays");
        }
        for (int i = first || last ? 1 : 0; i < scenario.relays(); i++) {
            cluster.startRelay("r" + i);
        }
        cluster.controller().awaitReady();
        cluster.relays().values().forEach(JavaService::awaitReady);
        if (last) {
            timeline.note((scenario.relays() - 1) + " relays registered; starting the ingest");
            cluster.startRelay("r0").awaitReady();
        }
        try {
            await("forest planned").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).ignoreExceptions()
                    .until(() -> {
                        JsonNode f = cluster.forest("live");
                        return f.get("relays").asInt() == scenario.relays() && f.get("check").get("ok").asBoolean();
                    });
            return null;
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            JsonNode f = cluster.forest("live");
            return "the controller placed " + f.get("relays").asInt() + " of " + scenario.relays() + " relays in the forest within 60 s"
                    + " (tree depths " + Forests.treeDepths(f) + ", ingest children " + Forests.rootChildren(f)
                    + "); its log (logs/controller.log) says why in its 'plan DEGRADED' lines";
        }
    }

    private RunSource startSource(LocalCluster cluster, List<String> streams, Path media) throws Exception {
        JavaService ingest = cluster.ingest();
        if (scenario.source().synthetic()) {
            return RunSource.synthetic(new SyntheticSource(ingest.base(), streams, KEY, scenario.source().segmentBytes(),
                    scenario.source().segmentMillis(), scenario.seconds()));
        }
        if (!scenario.standbyIngest().isEmpty()) {
            return RunSource.ffmpegToBoth(media, scenario.seconds(), ingest.base() + "/ingest/live/index.m3u8",
                    cluster.relay(scenario.standbyIngest()).base() + "/ingest/live/index.m3u8", KEY, out.resolve("ffmpeg-out"),
                    out.resolve("ffmpeg-push.log"));
        }
        return RunSource.ffmpeg(media, scenario.seconds(), ingest.base() + "/ingest/live/index.m3u8", KEY, out.resolve("ffmpeg-out"),
                out.resolve("ffmpeg-push.log"));
    }

    private void startViewers(LocalCluster cluster, RunContext ctx, ViewerSet viewers, Map<String, Integer> depthOf, String stream) {
        if (scenario.viewersAtSegment() > 0) {
            ctx.awaitIngested(scenario.viewersAtSegment());
            ctx.note(scenario.viewersPerRelay() * (scenario.relays() - 1) + " viewers start together");
        }
        // One probe per depth (the ingest, then the first relay by id at each depth) spares the CPU; push
        // delivery does not change with who polls, so one relay speaks for its depth.
        java.util.Set<Integer> probed = new java.util.HashSet<>();
        for (var e : new TreeMap<>(cluster.relays()).entrySet()) {
            int depth = depthOf.getOrDefault(e.getKey(), -1);
            if (scenario.probePollMillis() > 0 && probed.add(depth)) {
                viewers.add(e.getKey(), depth, e.getValue(), stream, scenario.probeReload());
            }
            if (e.getKey().equals(cluster.ingestId())) {
                continue;
            }
            for (int v = 0; v < scenario.viewersPerRelay(); v++) {
                viewers.add(e.getKey(), depth, e.getValue(), stream, HlsViewer.Reload.PLAYER);
            }
        }
    }

    /** Each stream's forest as the controller sees it, in the timeline: with several streams each has its own. */
    private static void noteForests(LocalCluster cluster, List<String> streams, Timeline timeline, String when) {
        for (String s : streams) {
            try {
                JsonNode f = cluster.forest(s);
                timeline.note("stream " + s + " " + when + ": " + f.get("relays").asInt() + " relays, check "
                        + (f.get("check").get("ok").asBoolean() ? "ok" : "FAILED " + f.get("check")) + ", tree depths "
                        + Forests.treeDepths(f) + ", ingest children " + Forests.rootChildren(f));
            } catch (Exception e) {
                timeline.note("stream " + s + " " + when + ": no forest (" + e.getMessage() + ")");
            }
        }
    }

    /** Every relay still in the run lists every segment of every stream (bounded), before anything is measured. */
    /**
     * The start of the CPU figure's window: once the source's first {@code warmup-segments} are due (the relays' JIT
     * compiled the hot path by then), or now when there is no warm-up.
     */
    private CompletableFuture<CpuWindow.Snapshot> cpuWindowStart(LocalCluster cluster, ViewerSet viewers, long sourceStart) {
        if (scenario.warmupSegments() == 0) {
            return CompletableFuture.completedFuture(CpuWindow.take(cluster, viewers));
        }
        long segmentMillis = scenario.source().synthetic() ? scenario.source().segmentMillis() : 1000; // ffmpeg: 1 s segments
        long delay = Math.max(0, sourceStart + scenario.warmupSegments() * segmentMillis - System.currentTimeMillis());
        return CompletableFuture.supplyAsync(() -> CpuWindow.take(cluster, viewers),
                CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS));
    }

    private static void awaitCaughtUp(LocalCluster cluster, RunContext ctx, Map<String, List<String>> expected, Timeline timeline) {
        try {
            await("relays caught up").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).ignoreExceptions()
                    .until(() -> cluster.relays().entrySet().stream().filter(e -> !ctx.left().contains(e.getKey()))
                            .allMatch(e -> expected.entrySet().stream()
                                    .allMatch(s -> HlsCheck.listedSegments(e.getValue(), s.getKey()) >= s.getValue().size())));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            timeline.note("not every relay caught up within 60 s: the report counts what is missing");
        }
    }
}
