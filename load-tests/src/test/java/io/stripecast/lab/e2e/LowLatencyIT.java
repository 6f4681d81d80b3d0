package io.stripecast.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 18 in CI: ffmpeg's DASH muxer (low-latency flags, two renditions) pushes CMAF parts for 36 s into the ingest of
 * a controller-planned forest of eight relays at least three deep. While it plays, every edge serves the master playlist
 * and both media playlists with parts (LL-HLS); an interior relay is SIGKILLed; Chromium with hls.js in low-latency mode
 * plays one edge. At the end every segment of both renditions (the init too) is byte-identical at every surviving relay
 * to what ffmpeg uploaded (a second DASH muxer fed the same packets through the tee muxer wrote the same files locally),
 * so no part of any segment was lost to the kill, and the browser played without a stall.
 */
class LowLatencyIT {
    private static final Path WORK = Path.of("target", "e2e");
    private static final String STREAM = "ll";
    private static final String KEY = "low-latency-publisher-key-0123";
    private static final int SECONDS = 36;
    private static final int RENDITIONS = 2;
    /** Every relay may feed three children (the ingest one per tree): 7 relays below the ingest then need depth 3. */
    private static final double UPLINK_MBPS = 2.4;
    private static final Pattern STREAM_INF = Pattern.compile("#EXT-X-STREAM-INF:([^\\n]+)\\n([^\\n#]+)");
    private static final Pattern MAP = Pattern.compile("#EXT-X-MAP:URI=\"([^\"]+)\"");

    private ControllerCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void twoRenditionsInPartsReachEveryEdgeAndAnInteriorKillLosesNoPart() throws Exception {
        Path dir = WORK.resolve("low-latency");
        List<Path> ladder = Ffmpeg.ladder(WORK.resolve("media"));
        cluster = ControllerCluster.start(dir, 8, Map.of(
                "stripecast.streams." + STREAM + ".k", "2", "stripecast.streams." + STREAM + ".m", "1",
                "stripecast.streams." + STREAM + ".window", "120s", "stripecast.streams." + STREAM + ".key", KEY,
                "stripecast.streams." + STREAM + ".ingest-relay", "r0",
                "stripecast.streams." + STREAM + ".bitrate-hint-mbps", "1.2"), UPLINK_MBPS);
        await("forest sound").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                .until(() -> cluster.forest(STREAM).get("check").get("ok").asBoolean());
        int depth = depth(cluster.parents(STREAM));
        assertThat(depth).as("the deepest relay's depth in the forest %s", cluster.parents(STREAM)).isGreaterThanOrEqualTo(3);

        Path local = dir.resolve("ffmpeg-out");
        Process ffmpeg = Ffmpeg.pushLowLatency(ladder, SECONDS, cluster.relay("r0").base() + "/ingest/" + STREAM + "/manifest.mpd",
                KEY, local, dir.resolve("ffmpeg-push.log"));
        // Every relay serves the ladder and LL-HLS media playlists with parts while the stream is live.
        for (var e : cluster.relays.entrySet()) {
            JavaService relay = e.getValue();
            await(e.getKey() + " serves the master and both media playlists with parts").atMost(Duration.ofSeconds(40))
                    .pollInterval(Duration.ofMillis(250)).ignoreExceptions().untilAsserted(() -> assertLowLatency(relay));
        }
        var victim = cluster.anInteriorRelay(STREAM);
        String edge = deepestBut(cluster.parents(STREAM), victim.getKey());
        Process browser = startBrowser(dir, cluster.relay(edge).base() + "/live/" + STREAM + "/", 24);
        cluster.relay(victim.getKey()).kill();
        long killedAtMillis = System.currentTimeMillis();
        await("victim out of the forest").atMost(Duration.ofSeconds(20))
                .until(() -> !cluster.forest(STREAM).get("stripes").get(0).get("parents").has(victim.getKey()));

        assertThat(ffmpeg.waitFor(SECONDS + 60, TimeUnit.SECONDS)).as("ffmpeg finished").isTrue();
        assertThat(ffmpeg.exitValue()).as("ffmpeg exit code (%s)", dir.resolve("ffmpeg-push.log")).isZero();
        assertThat(browser.waitFor(90, TimeUnit.SECONDS)).as("browser run finished").isTrue();
        assertThat(browser.exitValue()).as("browser run exit code (%s)", dir.resolve("browser.log")).isZero();

        List<List<String>> expected = new ArrayList<>();
        for (int r = 0; r < RENDITIONS; r++) {
            expected.add(localHashes(local, r));
            assertThat(expected.get(r)).as("rendition %d: init and segments ffmpeg wrote", r).hasSizeGreaterThanOrEqualTo(1 + SECONDS / 2 - 1);
        }
        for (var e : cluster.relays.entrySet()) {
            if (e.getKey().equals(victim.getKey())) {
                continue;
            }
            JavaService relay = e.getValue();
            for (int r = 0; r < RENDITIONS; r++) {
                int rendition = r;
                String playlist = mediaPlaylist(r);
                await(e.getKey() + " ends rendition " + r).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                        .ignoreExceptions().until(() -> relay.getText("/live/" + STREAM + "/" + playlist).contains("#EXT-X-ENDLIST"));
                assertThat(servedHashes(relay, playlist)).as("%s, rendition %d: init and every segment vs what ffmpeg uploaded",
                        e.getKey(), rendition).containsExactlyElementsOf(expected.get(r));
            }
        }

        JsonNode page = new ObjectMapper().readTree(dir.resolve("browser.json").toFile()).get("pages").get(0);
        assertThat(page.get("errors")).as("hls.js fatal errors").isEmpty();
        assertThat(page.get("consoleErrors")).as("page errors").isEmpty();
        assertThat(page.get("videoErrors").asInt()).as("video errors").isZero();
        assertThat(page.get("lowLatency").asBoolean()).as("the page played in hls.js' low-latency mode").isTrue();
        assertThat(page.get("partsLoaded").asInt()).as("parts hls.js loaded").isPositive();
        assertThat(page.get("currentTime").asDouble()).as("played").isGreaterThan(12);
        assertThat(page.get("waiting").asInt()).as("stalls on %s through the kill of %s and a switch of rendition: %s", edge, victim.getKey(),
                stallReport(page, killedAtMillis)).isZero();
        // The viewer picked the other rendition from the page's menu after 14 s: hls.js switched to it and played on.
        assertThat(page.get("levels")).as("the ladder hls.js read from the master").hasSize(RENDITIONS);
        assertThat(page.get("switchedTo").isNull()).as("a rendition was picked from the menu").isFalse();
        JsonNode switches = page.get("levelSwitches");
        assertThat(switches.size()).as("levels played: the first, then the one picked (%s)", switches).isGreaterThanOrEqualTo(2);
        assertThat(switches.get(switches.size() - 1).get(1).asInt()).as("the level playing at the end (%s)", switches)
                .isEqualTo(page.get("switchedTo").asInt());
    }

    /**
     * What the page saw around each stall, for a failure to explain itself: when it stalled and with how much buffered,
     * when the relay was killed and the rendition picked (all in the page's clock), every seek ([ms, from, to, hls.js'
     * live sync position, buffered ranges]), and the loads that ended from 3 s before each stall to 1 s after it ([ms,
     * what, level, media sequence, part, ms from request to end]).
     */
    private static String stallReport(JsonNode page, long killedAtMillis) {
        StringBuilder out = new StringBuilder();
        out.append("waitingAt=").append(page.get("waitingAt")).append(" aheadAtWaitingMs=").append(page.get("aheadAtWaiting"))
                .append(" seeking=").append(page.get("seekingAtWaiting")).append(" stalledMs=").append(page.get("stalledMs"))
                .append(" killedAt=").append(killedAtMillis - page.path("openedAt").asLong())
                .append(" switchedAt=").append(page.get("switchedAtMs")).append(" levelSwitches=").append(page.get("levelSwitches"))
                .append(" bufferStalls=").append(page.get("bufferStalls")).append(" targetLatency=").append(page.get("targetLatency"))
                .append(" seeks=").append(page.get("seeks")).append(" playingAt=").append(page.get("playingAt"));
        for (JsonNode at : page.path("waitingAt")) {
            long stall = at.asLong();
            out.append("\nloads around ").append(stall).append(':');
            for (JsonNode load : page.path("loads")) {
                long ended = load.get(0).asLong();
                if (ended >= stall - 3000 && ended <= stall + 1000) {
                    out.append(' ').append(load);
                }
            }
        }
        return out.toString();
    }

    /** The master lists both renditions with what was ingested; each media playlist is LL-HLS with parts. */
    private static void assertLowLatency(JavaService relay) throws IOException, InterruptedException {
        String master = relay.getText("/live/" + STREAM + "/master.m3u8");
        Matcher m = STREAM_INF.matcher(master);
        List<String> uris = new ArrayList<>();
        while (m.find()) {
            assertThat(m.group(1)).contains("BANDWIDTH=", "RESOLUTION=", "CODECS=\"avc1.");
            uris.add(m.group(2).strip());
        }
        assertThat(uris).containsExactlyInAnyOrder(mediaPlaylist(0), mediaPlaylist(1));
        assertThat(master).contains("RESOLUTION=640x360", "RESOLUTION=320x180");
        for (int r = 0; r < RENDITIONS; r++) {
            String media = relay.getText("/live/" + STREAM + "/" + mediaPlaylist(r));
            assertThat(media).contains("#EXT-X-PART-INF:PART-TARGET=", "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES",
                    "PART-HOLD-BACK=", "#EXT-X-PROGRAM-DATE-TIME:", "#EXT-X-PART:DURATION=", "INDEPENDENT=YES",
                    "#EXT-X-PRELOAD-HINT:TYPE=PART", "#EXT-X-MAP:URI=");
        }
    }

    private static String mediaPlaylist(int rendition) {
        return rendition == 0 ? "index.m3u8" : "index-" + rendition + ".m3u8";
    }

    /** Init, then each segment of one rendition, as ffmpeg's DASH muxer wrote them locally, in order. */
    private static List<String> localHashes(Path local, int rendition) throws IOException {
        List<String> out = new ArrayList<>();
        out.add(HlsCheck.sha256(Files.readAllBytes(local.resolve("init-stream" + rendition + ".m4s"))));
        for (int n = 1; Files.exists(local.resolve(String.format("chunk-stream%d-%05d.m4s", rendition, n))); n++) {
            out.add(HlsCheck.sha256(Files.readAllBytes(local.resolve(String.format("chunk-stream%d-%05d.m4s", rendition, n)))));
        }
        return out;
    }

    /** Init, then each whole segment a relay lists in a media playlist, in order. */
    private static List<String> servedHashes(JavaService relay, String playlist) throws IOException, InterruptedException {
        String text = relay.getText("/live/" + STREAM + "/" + playlist);
        List<String> out = new ArrayList<>();
        Matcher map = MAP.matcher(text);
        if (map.find()) {
            out.add(HlsCheck.sha256(relay.get("/live/" + STREAM + "/" + map.group(1))));
        }
        for (String uri : text.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).map(String::strip).toList()) {
            out.add(HlsCheck.sha256(relay.get("/live/" + STREAM + "/" + uri)));
        }
        return out;
    }

    /** The deepest relay's depth over all trees (the root is at 0). */
    private static int depth(List<Map<String, String>> parents) {
        int deepest = 0;
        for (Map<String, String> tree : parents) {
            for (String relay : tree.keySet()) {
                deepest = Math.max(deepest, depthOf(relay, tree));
            }
        }
        return deepest;
    }

    private static int depthOf(String relay, Map<String, String> tree) {
        int d = 0;
        for (String at = relay; tree.containsKey(at) && d <= tree.size(); at = tree.get(at)) {
            d++;
        }
        return d;
    }

    /** The relay deepest in some tree, other than {@code not} (the one about to be killed). */
    private static String deepestBut(List<Map<String, String>> parents, String not) {
        Map<String, Integer> deepest = new HashMap<>();
        for (Map<String, String> tree : parents) {
            for (String relay : tree.keySet()) {
                deepest.merge(relay, depthOf(relay, tree), Math::max);
            }
        }
        return deepest.entrySet().stream().filter(e -> !e.getKey().equals(not))
                .max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }

    private static Process startBrowser(Path dir, String pageUrl, int seconds) throws IOException {
        Path script = Path.of("src", "test", "browser", "lowlatency.mjs").toAbsolutePath();
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", "node \"$0\" \"$1\" \"$2\" > \"$3\"", script.toString(),
                Integer.toString(seconds), pageUrl, dir.resolve("browser.json").toAbsolutePath().toString())
                .directory(script.getParent().toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("browser.log").toFile());
        builder.environment().put("SWITCH_AFTER_S", Integer.toString(seconds - 10));
        return builder.start();
    }
}
