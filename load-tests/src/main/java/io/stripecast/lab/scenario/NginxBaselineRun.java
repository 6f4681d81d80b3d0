package io.stripecast.lab.scenario;

import io.stripecast.lab.baseline.NginxChain;
import io.stripecast.lab.cluster.FreePorts;
import io.stripecast.lab.cluster.JavaService;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/**
 * The same source and as many viewers through a stock nginx chain of {@code depth} proxy tiers, measured
 * the same way: viewers at the edge (the last tier), and, when the scenario probes, a fast-polling probe at
 * the origin (depth 0) and one at the edge (depth {@code depth}). Not at the tiers between: their caches
 * would then refresh on the probe's clock instead of the chain's, which flatters nginx.
 */
final class NginxBaselineRun {
    /** Viewer figures and availability per depth. */
    record Result(Map<String, Double> figures, Map<String, Map<String, Double>> byDepth, String probeReloads) {
    }

    private NginxBaselineRun() {
    }

    static Result run(Scenario scenario, Path dir, Path media, int depth, int viewerCount) throws Exception {
        List<Integer> tiers = new ArrayList<>();
        for (int i = 0; i < depth; i++) {
            tiers.add(FreePorts.next());
        }
        try (NginxChain chain = NginxChain.start(dir, FreePorts.next(), tiers)) {
            await("nginx up").atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> JavaService.HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + chain.originPort + "/")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() > 0);
            double cpuStart = chain.cpuSeconds();
            RunSource source = RunSource.ffmpeg(media, scenario.seconds(), "http://127.0.0.1:" + chain.originPort + "/live/index.m3u8",
                    null, dir.resolve("ffmpeg-out"), dir.resolve("ffmpeg-push.log"));
            ViewerSet viewers = new ViewerSet();
            for (int i = 0; i < viewerCount; i++) {
                viewers.add("edge", depth, url(chain.edgePort), HlsViewer.Reload.PLAYER, JavaService.HTTP);
            }
            if (scenario.probePollMillis() > 0) {
                viewers.add("origin", 0, url(chain.originPort), scenario.probeReload(), JavaService.HTTP);
                viewers.add("edge", depth, url(chain.edgePort), scenario.probeReload(), JavaService.HTTP);
            }
            source.awaitEnd(scenario.seconds());
            // Each tier holds the playlist up to 2 s (1 s validity, 1 s clock granularity): let the last segment come down.
            Thread.sleep(2_000L * depth + 1_000);
            viewers.stopAll();
            long bytes = viewers.bytesReceived();
            SegmentClock clock = source.clock("live", 0).from(scenario.warmupSegments());
            long last = source.expected("live").size() - 1; // the origin numbers ffmpeg's segments from 0
            return new Result(ViewerFigures.of(viewers.viewers(), clock, chain.cpuSeconds() - cpuStart, bytes, last),
                    ViewerFigures.byDepth(viewers.probeDepths(), clock), viewers.probeReloads(scenario.probePollMillis()));
        }
    }

    private static String url(int port) {
        return "http://127.0.0.1:" + port + "/live/index.m3u8";
    }
}
