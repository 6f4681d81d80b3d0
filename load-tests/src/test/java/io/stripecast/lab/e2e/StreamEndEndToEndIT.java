package io.stripecast.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.Forests;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A publisher's end, end to end: a controller and six packaged relays (k=2 m=1, trees of depth >= 2), real ffmpeg
 * pushing ~8 s and ending (its final playlist carries ENDLIST); every relay's playlist must end with ENDLIST within
 * 2 s of ffmpeg's last upload, ffmpeg players started while live must exit 0 on their own, every segment must be
 * byte-identical. Then the same stream is published again: a new run after a discontinuity, no ENDLIST, numbers
 * going on; that publisher ends by DELETE of its playlist instead, which must end every relay's playlist too.
 */
class StreamEndEndToEndIT {
    private static final Path WORK = Path.of("target", "e2e");
    private static final String KEY = "stream-end-key-0123456789";
    private static final String STREAM = "live";
    private static final int RELAYS = 6;
    /** With a 5 Mbit/s hint and k=2 a shard stripe is 2.5 Mbit/s: 14 Mbit/s uplinks give a fanout of 4 (the ingest feeds three trees with it), so trees go deeper than 1. */
    private static final double UPLINK_MBPS = 14;
    private static final long END_BOUND_MILLIS = 2_000;
    private static Path source;

    private ControllerCluster cluster;

    @BeforeAll
    static void encodeSource() throws Exception {
        source = Ffmpeg.source(WORK.resolve("media"));
    }

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aPublishersEndReachesEveryRelayInTimeAndALaterPublishStartsANewRun() throws Exception {
        Path dir = WORK.resolve("stream-end");
        cluster = ControllerCluster.start(dir, RELAYS, Map.of(
                "stripecast.streams.live.k", "2", "stripecast.streams.live.m", "1", "stripecast.streams.live.window", "120s",
                "stripecast.streams.live.key", KEY, "stripecast.streams.live.ingest-relay", "r0"), UPLINK_MBPS);
        await("forest of every relay, sound").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).ignoreExceptions()
                .until(() -> cluster.forest(STREAM).get("relays").asInt() == RELAYS && cluster.forest(STREAM).get("check").get("ok").asBoolean());
        JsonNode forest = cluster.forest(STREAM);
        Map<String, Integer> depthOf = Forests.availabilityDepths(forest, 2);
        assertThat(Forests.treeDepths(forest).stream().mapToInt(Integer::intValue).max().orElse(0)).as("tree depths")
                .isGreaterThanOrEqualTo(2);
        String ingest = cluster.relays.keySet().iterator().next();
        String deepest = depthOf.entrySet().stream().filter(e -> !e.getKey().equals(ingest))
                .max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        String shallow = depthOf.entrySet().stream().filter(e -> !e.getKey().equals(ingest) && !e.getKey().equals(deepest))
                .min(Map.Entry.comparingByValue()).orElseThrow().getKey();

        // Run 1: ffmpeg ends it with its final playlist (ENDLIST).
        Path run1 = dir.resolve("run1");
        Process push = Ffmpeg.push(source, 8, ingestUrl(), KEY, List.of(), run1.resolve("ffmpeg-out"), dir.resolve("push-1.log"));
        awaitListedEverywhere(3);
        List<Process> players = List.of(
                Ffmpeg.follow(cluster.relay(deepest).base() + "/live/live/index.m3u8", dir.resolve("follow-" + deepest + ".log")),
                Ffmpeg.follow(cluster.relay(shallow).base() + "/live/live/index.m3u8", dir.resolve("follow-" + shallow + ".log")));
        EndWatch watch = EndWatch.start(cluster);
        assertThat(push.waitFor(60, TimeUnit.SECONDS)).as("ffmpeg finished").isTrue();
        assertThat(push.exitValue()).as("ffmpeg exit code").isZero();
        Path localPlaylist = run1.resolve("ffmpeg-out").resolve("index.m3u8");
        assertThat(Files.readString(localPlaylist)).contains("#EXT-X-ENDLIST");
        // The local muxer writes its final playlist with the same packet as the upload: its time is ffmpeg's last upload.
        long lastUpload = Files.getLastModifiedTime(localPlaylist).toMillis();
        Map<String, Long> endSeen = watch.awaitAll(Duration.ofSeconds(30));
        assertThat(endSeen.keySet()).as("relays whose playlist ended").containsExactlyInAnyOrderElementsOf(cluster.relays.keySet());
        List<String> timings = new ArrayList<>();
        timings.add("run 1 (ENDLIST): ENDLIST seen at each relay, ms after ffmpeg's last upload, by availability depth");
        for (var e : endSeen.entrySet()) {
            long latency = e.getValue() - lastUpload;
            double atRelay = cluster.relay(e.getKey()).metric("stripecast_relay_stream_end_delay_seconds_max");
            timings.add("  " + e.getKey() + " depth " + depthOf.get(e.getKey()) + ": " + latency + " ms (relay's own ingest-to-end: "
                    + Math.round(atRelay * 1000) + " ms)");
            assertThat(latency).as("ENDLIST at %s after ffmpeg's last upload, ms", e.getKey()).isLessThanOrEqualTo(END_BOUND_MILLIS);
        }
        for (Process player : players) {
            assertThat(player.waitFor(60, TimeUnit.SECONDS)).as("ffmpeg reading an edge exits on its own").isTrue();
            assertThat(player.exitValue()).as("ffmpeg player exit code").isZero();
        }
        List<String> expected1 = HlsCheck.localHashes(run1.resolve("ffmpeg-out"));
        assertThat(expected1).hasSizeGreaterThanOrEqualTo(6);
        for (var e : cluster.relays.entrySet()) {
            assertThat(HlsCheck.servedHashes(e.getValue(), STREAM)).as("segments served by %s", e.getKey()).containsExactlyElementsOf(expected1);
        }

        // Run 2: published again; a new run after a discontinuity, no ENDLIST, numbering going on. It ends by DELETE.
        Path run2 = dir.resolve("run2");
        push = Ffmpeg.push(source, 6, ingestUrl(), KEY, List.of("-hls_flags", "omit_endlist"), run2.resolve("ffmpeg-out"),
                dir.resolve("push-2.log"));
        awaitListedEverywhere(expected1.size() + 2);
        for (var e : cluster.relays.entrySet()) {
            String playlist = e.getValue().getText("/live/live/index.m3u8");
            assertThat(playlist).as("%s's playlist during run 2", e.getKey()).contains("#EXT-X-DISCONTINUITY\n").doesNotContain("ENDLIST");
            assertContiguous(e.getKey(), playlist);
        }
        assertThat(push.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(push.exitValue()).isZero();
        List<String> expected2 = new ArrayList<>(expected1);
        expected2.addAll(HlsCheck.localHashes(run2.resolve("ffmpeg-out")));
        awaitListedEverywhere(expected2.size());
        assertThat(cluster.relay(ingest).getText("/live/live/index.m3u8")).doesNotContain("ENDLIST");
        watch = EndWatch.start(cluster);
        long deleted = System.currentTimeMillis();
        HttpResponse<Void> delete = JavaService.HTTP.send(HttpRequest.newBuilder(URI.create(cluster.relay(ingest).base() + "/ingest/live/index.m3u8"))
                .header("Authorization", "Bearer " + KEY).DELETE().build(), HttpResponse.BodyHandlers.discarding());
        assertThat(delete.statusCode()).isEqualTo(204);
        endSeen = watch.awaitAll(Duration.ofSeconds(30));
        assertThat(endSeen.keySet()).as("relays whose playlist ended").containsExactlyInAnyOrderElementsOf(cluster.relays.keySet());
        timings.add("run 2 (DELETE of the playlist): ENDLIST seen at each relay, ms after the DELETE was sent");
        for (var e : endSeen.entrySet()) {
            long latency = e.getValue() - deleted;
            timings.add("  " + e.getKey() + " depth " + depthOf.get(e.getKey()) + ": " + latency + " ms");
            assertThat(latency).as("ENDLIST at %s after the DELETE, ms", e.getKey()).isLessThanOrEqualTo(END_BOUND_MILLIS);
        }
        for (var e : cluster.relays.entrySet()) {
            assertThat(HlsCheck.servedHashes(e.getValue(), STREAM)).as("both runs' segments served by %s", e.getKey())
                    .containsExactlyElementsOf(expected2);
            assertThat(e.getValue().metric("stripecast_relay_stream_ended")).as("%s: stream ended", e.getKey()).isEqualTo(1);
        }
        assertThat(cluster.relay(ingest).metric("stripecast_relay_stream_ends_total", "cause=\"endlist\"")).isEqualTo(1);
        assertThat(cluster.relay(ingest).metric("stripecast_relay_stream_ends_total", "cause=\"delete\"")).isEqualTo(1);
        Files.write(dir.resolve("timings.txt"), timings);
        timings.forEach(System.out::println);
    }

    private String ingestUrl() {
        return cluster.relay("r0").base() + "/ingest/live/index.m3u8";
    }

    private void awaitListedEverywhere(int segments) {
        await(segments + " segments at every relay").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> cluster.relays.values().stream().allMatch(r -> HlsCheck.listedSegments(r, STREAM) >= segments));
    }

    /** Media sequence numbers never restart: the second run's segments follow the first's, one up. */
    private static void assertContiguous(String relay, String playlist) {
        List<Long> numbers = playlist.lines().filter(l -> !l.startsWith("#") && !l.isBlank())
                .map(l -> Long.parseLong(l.substring(0, l.indexOf('.')))).toList();
        for (int i = 1; i < numbers.size(); i++) {
            assertThat(numbers.get(i)).as("%s: media sequence after %d", relay, numbers.get(i - 1)).isEqualTo(numbers.get(i - 1) + 1);
        }
    }

    /** Polls every relay's playlist (one round every ~20 ms) and notes when each first ends with ENDLIST. */
    private static final class EndWatch {
        private final Map<String, Long> seen = new ConcurrentHashMap<>();
        private final Thread thread;

        private EndWatch(ControllerCluster cluster) {
            thread = new Thread(() -> {
                while (seen.size() < cluster.relays.size() && !Thread.currentThread().isInterrupted()) {
                    for (var e : cluster.relays.entrySet()) {
                        if (seen.containsKey(e.getKey())) {
                            continue;
                        }
                        try {
                            if (e.getValue().getText("/live/live/index.m3u8").endsWith("#EXT-X-ENDLIST\n")) {
                                seen.put(e.getKey(), System.currentTimeMillis());
                            }
                        } catch (Exception ignored) {
                            // not answerable right now: polled again next round
                        }
                    }
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException ex) {
                        return;
                    }
                }
            }, "end-watch");
            thread.setDaemon(true);
        }

        static EndWatch start(ControllerCluster cluster) {
            EndWatch w = new EndWatch(cluster);
            w.thread.start();
            return w;
        }

        Map<String, Long> awaitAll(Duration atMost) throws InterruptedException {
            thread.join(atMost.toMillis());
            thread.interrupt();
            return new TreeMap<>(seen);
        }
    }
}
