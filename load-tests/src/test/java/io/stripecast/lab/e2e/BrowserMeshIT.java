package io.stripecast.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import io.stripecast.lab.cluster.PromText;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The leaf mesh in real Chromium: four headless pages play a relay's player page inside a
 * loopback-only network namespace (no WebRTC packet leaves the host), share segments over WebRTC
 * through the relay's tracker, and one page leaves mid-stream. The same pages with the mesh off are the baseline for
 * stalls: every page gets bytes from peers and none stalls more than the worst page without the mesh.
 */
class BrowserMeshIT {
    private static final int PAGES = 4;
    private static final int SECONDS = 30;

    @Test
    void pagesPlayShareSegmentsAndSurviveAPeerLeaving() throws Exception {
        // The same four pages with the mesh off first: the stalls every mesh page is held to.
        Path offOut = run("browser-mesh-off", 0, false);
        JsonNode off = new ObjectMapper().readTree(offOut.resolve("pages.json").toFile());
        int worstOff = off.get("closed").get("waiting").asInt();
        for (JsonNode page : off.get("pages")) {
            assertPlayedWithoutStall(page);
            worstOff = Math.max(worstOff, page.get("waiting").asInt());
        }

        Path out = run("browser-mesh", 0);
        JsonNode result = new ObjectMapper().readTree(out.resolve("pages.json").toFile());
        long p2p = result.get("closed").get("p2p").asLong();
        for (JsonNode page : result.get("pages")) {
            assertPlayedWithoutStall(page);
            p2p += page.get("p2p").asLong();
        }
        assertThat(p2p).as("bytes the pages got from peers").isPositive();
        for (JsonNode page : all(result)) {
            assertThat(page.get("p2p").asLong()).as("page %d: bytes from peers (every page gets some)", page.get("index").asInt()).isPositive();
            // Every peer segment's metadata was checked against the ingest's Ed25519 signature (WebCrypto) before its
            // SHA-256: with honest peers and the edge's own signed metadata, none fails.
            assertThat(page.get("badSignatures").asLong()).as("page %d: segments whose signature did not verify",
                    page.get("index").asInt()).isZero();
            assertThat(page.get("signaturesVerified").asLong()).as("page %d: peer segments whose signature verified",
                    page.get("index").asInt()).isPositive();
            assertThat(page.get("waiting").asInt()).as("page %d: stalls with the mesh on, at most the worst page's with it off (%d)",
                    page.get("index").asInt(), worstOff).isLessThanOrEqualTo(worstOff);
        }

        PromText metrics = new PromText(Files.readString(out.resolve("metrics.txt")));
        double edgeP2p = metrics.sum("stripecast_relay_mesh_p2p_bytes_total");
        double served = metrics.sum("stripecast_relay_playback_bytes_total");
        double stream = metrics.sum("stripecast_relay_ingest_bytes_total");
        assertThat(edgeP2p).as("P2P bytes the pages reported to the edge").isPositive();
        assertThat(served).as("the edge served fewer bytes than %d x the stream", PAGES).isLessThan(PAGES * stream);
        Files.writeString(out.resolve("offload.txt"), String.format("pages=%d p2p=%.0f http(edge)=%.0f stream=%.0f offload=%.3f%n",
                PAGES, edgeP2p, served, stream, metrics.sum("stripecast_relay_mesh_offload_ratio")));
    }

    @Test
    void peersSendingGarbageCostOnlyTheHttpFallback() throws Exception {
        // Three of four pages corrupt every segment chunk they upload over WebRTC.
        Path out = run("browser-mesh-hostile", 3);
        JsonNode result = new ObjectMapper().readTree(out.resolve("pages.json").toFile());
        long garbageSent = 0;
        long rejected = result.get("closed").get("rejected").asLong();
        for (JsonNode page : result.get("pages")) {
            assertPlayedWithoutStall(page);
            rejected += page.get("rejected").asLong();
            if (page.get("hostile").asBoolean()) {
                garbageSent += page.get("uploaded").asLong();
            }
        }
        if (garbageSent > 0) {
            assertThat(rejected).as("garbage from peers is refused by its SHA-256 and fetched over HTTP").isPositive();
        }
    }

    @Test
    void pagesAllowedOnlyRelayedCandidatesShareThroughTheTurnServer() throws Exception {
        assumeTrue(new ProcessBuilder("sh", "-c", "command -v turnserver").start().waitFor() == 0,
                "needs coturn's turnserver (.ci/run installs it)");
        // coturn on loopback checking TURN REST API credentials; the relay derives each page's from the shared secret and
        // hands them to the pages with ice-transport-policy=relay.
        Path out = run("browser-mesh-turn", 0, true, Map.of("MESH_TURN", "1"));
        JsonNode result = new ObjectMapper().readTree(out.resolve("pages.json").toFile());
        long p2p = result.get("closed").get("p2p").asLong();
        long relayed = 0;
        for (JsonNode page : result.get("pages")) {
            assertPlayedWithoutStall(page);
            p2p += page.get("p2p").asLong();
            JsonNode types = page.get("candidateTypes");
            types.fieldNames().forEachRemaining(type -> assertThat(type)
                    .as("page %d: only relayed candidates carry data (%s)", page.get("index").asInt(), types).isEqualTo("relay"));
            relayed += types.path("relay").asLong();
        }
        assertThat(p2p).as("bytes the pages got from peers through the TURN relay").isPositive();
        assertThat(relayed).as("connections over a relayed candidate").isPositive();
        assertThat(Files.readString(out.resolve("turnserver.log")))
                .as("coturn allocated relays for users derived from the secret (<expiry>:<stream>)")
                .containsPattern("user <\\d{10}:mesh>[^\\n]*ALLOCATE processed, success");
    }

    /**
     * Issue 16, signed playback URLs: every page opens the player page with a token of its own (another expiry, so
     * another signature), the edge carries each page's token on in its playlist, and the pages still share one swarm
     * (p2p-media-loader's swarmId and segment sequence numbers, not URLs, name what peers exchange): each gets bytes
     * from peers, plays without a stall, and nothing is refused.
     */
    @Test
    void pagesWithDifferentSignedUrlsStillShareOneSwarm() throws Exception {
        Path out = run("browser-mesh-signed", 0, true, Map.of("MESH_SIGNING_KEY", "browser-mesh-signing-key-0123456789abcdef"));
        JsonNode result = new ObjectMapper().readTree(out.resolve("pages.json").toFile());
        for (JsonNode page : result.get("pages")) {
            assertPlayedWithoutStall(page);
        }
        for (JsonNode page : all(result)) {
            assertThat(page.get("p2p").asLong()).as("page %d: bytes from peers with signed URLs", page.get("index").asInt()).isPositive();
        }
        PromText metrics = new PromText(Files.readString(out.resolve("metrics.txt")));
        assertThat(Files.readAllLines(out.resolve("page-urls.txt"))).as("a token of its own per page").hasSize(PAGES)
                .doesNotHaveDuplicates().allMatch(u -> u.matches("http://127\\.0\\.0\\.1:18480/live/mesh/\\?exp=\\d+&sig=[A-Za-z0-9_-]{43}"));
        // Signing was on: the run's one unsigned probe was refused, and nothing the pages asked for.
        assertThat(Files.readString(out.resolve("unsigned-status.txt")).strip()).as("an unsigned playlist request").isEqualTo("403");
        assertThat(metrics.sum("stripecast_relay_playback_refused_total")).as("requests refused for their token").isEqualTo(1);
        assertThat(metrics.sum("stripecast_relay_playback_refused_total", "reason=\"missing\"")).isEqualTo(1);
        assertThat(metrics.sum("stripecast_relay_playback_requests_total", "kind=\"segment\"", "status=\"200\"")).isPositive();
    }

    /** The pages still open at the end and the one that left mid-stream. */
    private static java.util.List<JsonNode> all(JsonNode result) {
        java.util.List<JsonNode> pages = new java.util.ArrayList<>();
        result.get("pages").forEach(pages::add);
        pages.add(result.get("closed"));
        return pages;
    }

    private Path run(String name, int hostile) throws Exception {
        return run(name, hostile, true);
    }

    private Path run(String name, int hostile, boolean mesh) throws Exception {
        return run(name, hostile, mesh, Map.of());
    }

    private Path run(String name, int hostile, boolean mesh, Map<String, String> env) throws Exception {
        assumeTrue(new ProcessBuilder("unshare", "-n", "true").start().waitFor() == 0,
                "needs root for a network namespace (CI runs as root)");
        Path out = Path.of("target", "e2e", name).toAbsolutePath();
        HlsCheck.deleteRecursively(out);
        Files.createDirectories(out);
        Path source = Ffmpeg.source(Path.of("target", "e2e", "media")).toAbsolutePath();
        ProcessBuilder builder = new ProcessBuilder("unshare", "-n", "bash", Path.of("src", "test", "browser", "run-mesh.sh").toString(),
                Path.of(JavaService.relayJar()).toAbsolutePath().toString(), source.toString(), Integer.toString(PAGES),
                Integer.toString(SECONDS), out.toString(), Integer.toString(hostile), Boolean.toString(mesh))
                .redirectErrorStream(true).redirectOutput(out.resolve("run.log").toFile());
        builder.environment().putAll(env);
        Process run = builder.start();
        assertThat(run.waitFor(240, TimeUnit.SECONDS)).as("browser run finished (see %s)", out).isTrue();
        assertThat(run.exitValue()).as("browser run exit code (see %s)", out.resolve("run.log")).isZero();
        return out;
    }

    private static void assertPlayedWithoutStall(JsonNode page) {
        String which = "page " + page.get("index").asInt();
        assertThat(page.get("errors")).as("%s: hls.js fatal errors", which).isEmpty();
        assertThat(page.get("videoErrors").asInt()).as("%s: video errors", which).isZero();
        assertThat(page.get("consoleErrors")).as("%s: page errors", which).isEmpty();
        assertThat(page.get("currentTime").asDouble()).as("%s played", which).isGreaterThan(15);
        assertThat(page.get("currentTime").asDouble() - page.get("currentTimeAtClose").asDouble())
                .as("%s kept playing after a peer left", which).isGreaterThan(8);
        assertThat(page.get("waiting").asInt() - page.get("waitingAtClose").asInt())
                .as("%s never stalled after a peer left", which).isZero();
    }
}
