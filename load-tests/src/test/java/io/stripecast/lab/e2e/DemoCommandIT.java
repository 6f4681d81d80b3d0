package io.stripecast.lab.e2e;

import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.FreePorts;
import io.stripecast.lab.cluster.JavaService;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The README's first command: {@code bin/demo} starts, a player reads its playlist, Ctrl-C leaves nothing behind. */
class DemoCommandIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void demoStartsServesAPlayableStreamAndStopsCleanlyOnCtrlC() throws Exception {
        int base = FreePorts.range(21);
        int httpBase = base;
        int grpcBase = base + 6;
        int controllerHttp = base + 12;
        int controllerGrpc = base + 13;
        int managementBase = base + 14;
        int controllerManagement = base + 20;
        Path runDir = Path.of("target", "demo-run").toAbsolutePath();
        Path out = Path.of("target", "demo-stdout.log").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder("bash", "bin/demo").directory(ROOT.toFile())
                .redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().putAll(java.util.Map.of("HTTP_BASE", Integer.toString(httpBase), "GRPC_BASE", Integer.toString(grpcBase),
                "CONTROLLER_HTTP", Integer.toString(controllerHttp), "CONTROLLER_GRPC", Integer.toString(controllerGrpc),
                "RUN_DIR", runDir.toString(), "MANAGEMENT_BASE", Integer.toString(managementBase),
                "CONTROLLER_MANAGEMENT", Integer.toString(controllerManagement)));
        Process demo = pb.start();
        try {
            await("demo prints its URLs").atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
                    .until(() -> Files.exists(out) && Files.readString(out).contains("Ctrl-C stops everything"));
            String edge = "http://127.0.0.1:" + (httpBase + 5) + "/live/demo/index.m3u8";
            assertThat(Files.readString(out)).contains(edge, "http://127.0.0.1:" + controllerManagement + "/");
            await("edge playlist lists segments").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
                HttpResponse<String> r = get(edge);
                return r.statusCode() == 200 && r.body().split("#EXTINF", -1).length > 3;
            });
            Ffmpeg.play(edge, 2, runDir.resolve("player.log"));
            // The topology page is on the controller's management port, not the public one.
            HttpResponse<String> page = get("http://127.0.0.1:" + controllerManagement + "/");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("stripecast topology");
        } finally {
            new ProcessBuilder("kill", "-INT", Long.toString(demo.pid())).start().waitFor();
            assertThat(demo.waitFor(60, TimeUnit.SECONDS)).as("demo stops on Ctrl-C").isTrue();
        }
        assertThat(Files.readString(out)).contains("stopped.");
        for (int port : List.of(httpBase, httpBase + 5, controllerHttp)) {
            assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains("quarkus.http.port=" + port + " ")
                    || p.info().commandLine().orElse("").contains("-Dquarkus.http.port=" + port + " -")).count())
                    .as("no process left on port %d", port).isZero();
        }
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains("127.0.0.1:" + httpBase + "/ingest/demo"))
                .count()).as("no ffmpeg left").isZero();
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return JavaService.HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
