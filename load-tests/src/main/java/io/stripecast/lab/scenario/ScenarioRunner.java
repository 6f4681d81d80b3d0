package io.stripecast.lab.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stripecast.lab.baseline.NginxChain;
import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.FreePorts;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import io.stripecast.lab.cluster.PromText;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * Runs one scenario for real: a controller and relays as processes on loopback, ffmpeg pushing a
 * test pattern, HLS viewers on every relay but the ingest, the scenario's fault, and then a report
 * of what every relay served and every viewer saw.
 */
public final class ScenarioRunner {
    private static final String STREAM = "live";
    private static final String KEY = "lab-key";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Scenario scenario;
    private final Path out;
    private final Map<String, Double> cpuAtStart = new TreeMap<>();

    public ScenarioRunner(Scenario scenario, Path out) {
        this.scenario = scenario;
        this.out = out;
    }

    public Report run() throws Exception {
        HlsCheck.deleteRecursively(out);
        Files.createDirectories(out);
        Path logs = out.resolve("logs");
        Path source = Ffmpeg.source(out.getParent().resolve("media"));
        Map<String, JavaService> relays = new LinkedHashMap<>();
        JavaService controller = null;
        List<HlsViewer> viewers = new ArrayList<>();
        List<Thread> viewerThreads = new ArrayList<>();
        List<String> timeline = new ArrayList<>();
        Report report;
        cpuAtStart.clear();
        long t0 = System.currentTimeMillis();
        try {
            controller = startController(logs);
            for (int i = 0; i < scenario.relays(); i++) {
                String id = "r" + i;
                relays.put(id, JavaService.relay(id, FreePorts.next(), FreePorts.next(), Map.of(
                        "stripecast.relay.controller", "127.0.0.1:" + controller.grpcPort,
                        "stripecast.relay.uplink-mbps", Double.toString(scenario.uplinkMbps()),
                        "stripecast.relay.reconnect-max", "1s"), logs));
            }
            controller.awaitReady();
            relays.values().forEach(JavaService::awaitReady);
            JavaService ctl = controller;
            await("forest planned").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                    .until(() -> forest(ctl).get("relays").asInt() == scenario.relays() && forest(ctl).get("check").get("ok").asBoolean());
            Map<String, Integer> depthOf = depths(forest(controller));
            // CPU from here on: the streaming, not the JVMs' start.
            relays.forEach((id, r) -> cpuAtStart.put(id, r.cpuSeconds()));
            timeline.add(at(t0) + " forest planned: " + scenario.relays() + " relays, depths " + depthOf);

            Process ffmpeg = Ffmpeg.push(source, scenario.seconds(), relays.get("r0").base() + "/ingest/" + STREAM + "/index.m3u8",
                    false, false, KEY, out.resolve("ffmpeg-out"), out.resolve("ffmpeg-push.log"));
            JavaService ingest = relays.get("r0");
            if (scenario.viewersAtSegment() > 0) {
                await("viewers' start").atMost(Duration.ofSeconds(120))
                        .until(() -> ingest.metric("stripecast_relay_ingest_segments_total") >= scenario.viewersAtSegment());
                timeline.add(at(t0) + " " + scenario.viewersPerRelay() * (scenario.relays() - 1) + " viewers start together");
            }
            for (var e : relays.entrySet()) {
                if (e.getKey().equals("r0")) {
                    continue;
                }
                for (int v = 0; v < scenario.viewersPerRelay(); v++) {
                    HlsViewer viewer = new HlsViewer(e.getValue().base() + "/live/" + STREAM + "/index.m3u8", JavaService.HTTP);
                    Thread t = new Thread(viewer, "viewer-" + e.getKey() + "-" + v);
                    t.setDaemon(true);
                    t.start();
                    viewers.add(viewer);
                    viewerThreads.add(t);
                }
            }
            String faulted = null;
            if (scenario.fault().equals("controller-failover")) {
                await("fault point").atMost(Duration.ofSeconds(120))
                        .until(() -> ingest.metric("stripecast_relay_ingest_segments_total") >= scenario.faultAtSegment());
                controller.kill();
                timeline.add(at(t0) + " SIGKILL controller");
                controller = startController(logs, controller.httpPort, controller.grpcPort).awaitReady();
                timeline.add(at(t0) + " new controller ready");
            } else if (!scenario.fault().equals("none")) {
                await("fault point").atMost(Duration.ofSeconds(120))
                        .until(() -> ingest.metric("stripecast_relay_ingest_segments_total") >= scenario.faultAtSegment());
                faulted = interiorRelay(forest(controller));
                if (scenario.fault().equals("kill-interior")) {
                    relays.get(faulted).kill();
                    timeline.add(at(t0) + " SIGKILL " + faulted + " (interior)");
                } else {
                    relays.get(faulted).terminate(60);
                    timeline.add(at(t0) + " SIGTERM " + faulted + " (interior, drained)");
                }
            }
            if (!ffmpeg.waitFor(scenario.seconds() + 120L, TimeUnit.SECONDS)) {
                ffmpeg.destroyForcibly();
                throw new IllegalStateException("ffmpeg did not finish");
            }
            timeline.add(at(t0) + " source ended");
            List<String> expected = HlsCheck.localHashes(out.resolve("ffmpeg-out"));
            String gone = faulted;
            // Let every relay and viewer catch up with the last segment (bounded), then measure.
            await("relays caught up").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).ignoreExceptions()
                    .until(() -> relays.entrySet().stream().filter(e -> !e.getKey().equals(gone))
                            .allMatch(e -> HlsCheck.listedSegments(e.getValue(), STREAM) >= expected.size()));
            Thread.sleep(2_000); // viewers poll at half the target duration: give the slowest one more poll
            viewers.forEach(HlsViewer::stop);
            for (Thread t : viewerThreads) {
                t.join(5_000);
            }
            report = report(controller, relays, gone, depthOf, expected, viewers, timeline);
        } finally {
            relays.values().forEach(JavaService::close);
            if (controller != null) {
                controller.close();
            }
        }
        if (scenario.baseline().equals("nginx")) {
            report = report.withComparison("nginx", nginxBaseline(viewers.size()));
        }
        return report;
    }

    private JavaService startController(Path logs) throws IOException {
        return startController(logs, FreePorts.next(), FreePorts.next());
    }

    private JavaService startController(Path logs, int httpPort, int grpcPort) throws IOException {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("stripecast.controller.heartbeat", "500ms");
        s.put("stripecast.controller.dead-after", "2s");
        s.put("stripecast.controller.adopt-for", "1s");
        s.put("stripecast.streams." + STREAM + ".k", Integer.toString(scenario.k()));
        s.put("stripecast.streams." + STREAM + ".m", Integer.toString(scenario.m()));
        s.put("stripecast.streams." + STREAM + ".window", (scenario.seconds() + 60) + "s");
        s.put("stripecast.streams." + STREAM + ".key", KEY);
        s.put("stripecast.streams." + STREAM + ".ingest-relay", "r0");
        return JavaService.controller("controller", httpPort, grpcPort, s, logs);
    }

    private Report report(JavaService controller, Map<String, JavaService> relays, String gone, Map<String, Integer> depthOf,
                          List<String> expected, List<HlsViewer> viewers, List<String> timeline) throws Exception {
        int missing = 0;
        Map<Integer, List<TreeMap<Double, Double>>> availabilityByDepth = new TreeMap<>();
        double shardBytesOut = 0;
        double playbackBytes = 0;
        double cpuSeconds = 0;
        double ingestBytes = 0;
        double originOut = 0;
        for (var e : relays.entrySet()) {
            JavaService relay = e.getValue();
            cpuSeconds += Math.max(0, relay.cpuSeconds() - cpuAtStart.getOrDefault(e.getKey(), 0.0));
            if (e.getKey().equals(gone)) {
                continue;
            }
            List<String> served = HlsCheck.servedHashes(relay, STREAM);
            for (String h : expected) {
                if (!served.contains(h)) {
                    missing++;
                }
            }
            PromText prom = new PromText(relay.getText("/q/metrics"));
            shardBytesOut += prom.sum("stripecast_relay_shard_bytes_out_total");
            playbackBytes += prom.sum("stripecast_relay_playback_bytes_total");
            if (e.getKey().equals("r0")) {
                ingestBytes = prom.sum("stripecast_relay_ingest_bytes_total");
                originOut = prom.sum("stripecast_relay_shard_bytes_out_total");
                continue;
            }
            availabilityByDepth.computeIfAbsent(depthOf.getOrDefault(e.getKey(), -1), d -> new ArrayList<>())
                    .add(prom.buckets("stripecast_relay_segment_availability_seconds"));
        }
        Map<String, Map<String, Double>> availability = new TreeMap<>();
        availabilityByDepth.forEach((depth, list) -> {
            TreeMap<Double, Double> merged = PromText.merge(list);
            availability.put(Integer.toString(depth), Map.of("p50", PromText.quantile(merged, 0.5) * 1000,
                    "p99", PromText.quantile(merged, 0.99) * 1000));
        });
        PromText ctl = new PromText(controller.getText("/q/metrics"));
        TreeMap<Double, Double> repairBuckets = ctl.buckets("stripecast_controller_repair_duration_seconds");
        Map<String, Double> repair = new LinkedHashMap<>();
        repair.put("count", ctl.sum("stripecast_controller_repairs_total"));
        repair.put("p50", PromText.quantile(repairBuckets, 0.5) * 1000);
        repair.put("p99", PromText.quantile(repairBuckets, 0.99) * 1000);
        repair.put("max", ctl.sum("stripecast_controller_repair_duration_seconds_max") * 1000);
        double controlBytes = ctl.sum("stripecast_controller_control_bytes_total");

        int onTime = 0;
        int seen = 0;
        int stalls = 0;
        List<Long> startups = new ArrayList<>();
        for (HlsViewer v : viewers) {
            HlsViewer.PlaybackStats p = v.playback();
            onTime += p.onTime();
            seen += p.onTime() + p.stalls() + p.missing();
            stalls += p.stalls();
            if (p.startupMillis() >= 0) {
                startups.add(p.startupMillis());
            }
        }
        return new Report(scenario.name(), scenario.relays(), 1, scenario.k(), scenario.m(), scenario.fault(), gone,
                expected.size(), missing, seen == 0 ? 0 : (double) onTime / seen, stalls, viewers.size(),
                startups.stream().mapToLong(Long::longValue).average().orElse(-1), repair, availability,
                ingestBytes == 0 ? 0 : originOut / ingestBytes, shardBytesOut == 0 ? 0 : controlBytes / shardBytesOut,
                (shardBytesOut + playbackBytes) == 0 ? 0 : cpuSeconds / ((shardBytesOut + playbackBytes) / 1e9), timeline,
                Map.of("stripecast", ViewerFigures.of(viewers, out.resolve("ffmpeg-out"), firstMediaSequence(relays.get("r0")),
                        cpuSeconds, shardBytesOut + playbackBytes)));
    }

    private static long firstMediaSequence(JavaService ingest) throws IOException, InterruptedException {
        for (String line : ingest.getText("/live/" + STREAM + "/index.m3u8").split("\n")) {
            if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
                return Long.parseLong(line.substring(22).strip());
            }
        }
        throw new IllegalStateException("ingest playlist without media sequence");
    }

    /** The same source and as many viewers through a stock nginx origin -> shield -> edge chain. */
    private Map<String, Double> nginxBaseline(int viewerCount) throws Exception {
        Path dir = out.resolve("nginx");
        Path source = Ffmpeg.source(out.getParent().resolve("media"));
        try (NginxChain chain = NginxChain.start(dir, FreePorts.next(), FreePorts.next(), FreePorts.next())) {
            String edge = "http://127.0.0.1:" + chain.edgePort + "/live/index.m3u8";
            await("nginx up").atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> JavaService.HTTP.send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + chain.originPort + "/")).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode() > 0);
            double cpuStart = chain.cpuSeconds();
            Process ffmpeg = Ffmpeg.push(source, scenario.seconds(), "http://127.0.0.1:" + chain.originPort + "/live/index.m3u8",
                    false, false, null, dir.resolve("ffmpeg-out"), dir.resolve("ffmpeg-push.log"));
            List<HlsViewer> viewers = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < viewerCount; i++) {
                HlsViewer v = new HlsViewer(edge, JavaService.HTTP);
                Thread t = new Thread(v, "nginx-viewer-" + i);
                t.setDaemon(true);
                t.start();
                viewers.add(v);
                threads.add(t);
            }
            if (!ffmpeg.waitFor(scenario.seconds() + 120L, TimeUnit.SECONDS)) {
                ffmpeg.destroyForcibly();
                throw new IllegalStateException("ffmpeg did not finish (nginx baseline)");
            }
            Thread.sleep(4_000); // two playlist cache periods: the last segment reaches the edge
            viewers.forEach(HlsViewer::stop);
            for (Thread t : threads) {
                t.join(5_000);
            }
            long bytes = viewers.stream().mapToLong(v -> v.segments().values().stream().mapToLong(HlsViewer.Got::bytes).sum()).sum();
            return ViewerFigures.of(viewers, dir.resolve("ffmpeg-out"), 0, chain.cpuSeconds() - cpuStart, bytes);
        }
    }

    private static JsonNode forest(JavaService controller) throws IOException, InterruptedException {
        return JSON.readTree(controller.getText("/api/v1/streams/" + STREAM + "/forest"));
    }

    /**
     * A relay rebuilds a segment once k shards are in: its depth for availability is the k-th
     * smallest of its depths over the stripe trees.
     */
    private Map<String, Integer> depths(JsonNode forest) {
        Map<String, List<Integer>> all = new TreeMap<>();
        for (JsonNode stripe : forest.get("stripes")) {
            for (Iterator<Map.Entry<String, JsonNode>> it = stripe.get("depths").fields(); it.hasNext(); ) {
                var e = it.next();
                all.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue().asInt());
            }
        }
        Map<String, Integer> out = new TreeMap<>();
        all.forEach((id, list) -> {
            list.sort(Integer::compare);
            out.put(id, list.get(Math.min(scenario.k(), list.size()) - 1));
        });
        return out;
    }

    private static String interiorRelay(JsonNode forest) {
        String root = forest.get("root").asText();
        for (JsonNode stripe : forest.get("stripes")) {
            for (Iterator<Map.Entry<String, JsonNode>> it = stripe.get("children").fields(); it.hasNext(); ) {
                var e = it.next();
                if (!e.getKey().equals(root) && e.getValue().asInt() > 0) {
                    return e.getKey();
                }
            }
        }
        throw new IllegalStateException("no interior relay below the ingest: raise relays or lower uplink-mbps");
    }

    private static String at(long t0) {
        return String.format("t+%.1fs", (System.currentTimeMillis() - t0) / 1000.0);
    }
}
