package io.stripecast.lab.scenario;

import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.LocalCluster;
import io.stripecast.lab.cluster.PromText;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The publisher's end as viewers see it: from the source's start, every relay's playlist is polled (a round every
 * ~25 ms) and the first moment it ends with {@code #EXT-X-ENDLIST} is noted; ffmpeg players ({@code ffmpeg -i
 * edge -c copy -f null -}, no duration), started on the chosen relays once they list three segments, must exit 0 on
 * their own.
 */
final class StreamEndCheck {
    private final LocalCluster cluster;
    private final RunContext ctx;
    private final String stream;
    private final Map<String, Integer> depthOf;
    private final Map<String, Long> endedAt = new ConcurrentHashMap<>();
    private final Map<String, Process> followers = new ConcurrentHashMap<>();
    /** Relays to start a follower on once they serve the stream live (three segments: ffmpeg starts at the live edge). */
    private final List<String> toFollow = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Path logDir;
    private final Thread watch;
    private volatile boolean stop;

    private StreamEndCheck(LocalCluster cluster, RunContext ctx, String stream, Map<String, Integer> depthOf) {
        this.cluster = cluster;
        this.ctx = ctx;
        this.stream = stream;
        this.depthOf = depthOf;
        this.watch = new Thread(this::poll, "stream-end-watch");
        watch.setDaemon(true);
    }

    /** Starts the watch, and {@code followers} ffmpeg players on the deepest relays (not the ingest). */
    static StreamEndCheck start(LocalCluster cluster, RunContext ctx, String stream, Map<String, Integer> depthOf, int followers,
                                Path logDir) throws IOException {
        StreamEndCheck c = new StreamEndCheck(cluster, ctx, stream, depthOf);
        List<String> deepestFirst = depthOf.entrySet().stream().filter(e -> !e.getKey().equals(cluster.ingestId()))
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .map(Map.Entry::getKey).toList();
        c.toFollow.addAll(deepestFirst.subList(0, Math.min(followers, deepestFirst.size())));
        c.logDir = logDir;
        c.watch.start();
        return c;
    }

    private void poll() {
        while (!stop) {
            for (var e : cluster.relays().entrySet()) {
                if (endedAt.containsKey(e.getKey()) || ctx.left().contains(e.getKey())) {
                    continue;
                }
                try {
                    String playlist = e.getValue().getText("/live/" + stream + "/index.m3u8");
                    if (playlist.endsWith("#EXT-X-ENDLIST\n")) {
                        endedAt.put(e.getKey(), System.currentTimeMillis());
                    } else if (toFollow.contains(e.getKey()) && playlist.split("#EXTINF:", -1).length > 3) {
                        toFollow.remove(e.getKey());
                        followers.put(e.getKey(), Ffmpeg.follow(e.getValue().base() + "/live/" + stream + "/index.m3u8",
                                logDir.resolve("follow-" + e.getKey() + ".log")));
                    }
                } catch (Exception ignored) {
                    // not answerable now (darkness is the viewers' figure); polled again next round
                }
            }
            try {
                Thread.sleep(25);
            } catch (InterruptedException ex) {
                return;
            }
        }
    }

    /**
     * Waits (bounded) for every relay still in the run to end its playlist and every follower to exit, then
     * gives the report's {@code stream_end}. {@code sourceEndMillis}: the source's last upload, -1 when the source
     * never ends its stream (the synthetic one).
     */
    Map<String, Object> finish(long sourceEndMillis, Duration atMost) throws InterruptedException {
        Map<String, Object> out = new LinkedHashMap<>();
        List<String> present = cluster.relays().keySet().stream().filter(id -> !ctx.left().contains(id)).toList();
        long deadline = System.currentTimeMillis() + atMost.toMillis();
        if (sourceEndMillis > 0) {
            while (!endedAt.keySet().containsAll(present) && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
        }
        stop = true;
        watch.join(5_000);
        out.put("source_ended", sourceEndMillis > 0);
        out.put("relays", present.size());
        out.put("ended", present.stream().filter(endedAt::containsKey).count());
        out.put("not_ended", present.stream().filter(id -> !endedAt.containsKey(id)).toList());
        Map<String, List<Long>> byDepth = new TreeMap<>();
        Map<String, Long> byRelay = new TreeMap<>();
        for (String id : present) {
            Long at = endedAt.get(id);
            if (at != null && sourceEndMillis > 0) {
                byRelay.put(id, at - sourceEndMillis);
                byDepth.computeIfAbsent(Integer.toString(depthOf.getOrDefault(id, -1)), d -> new ArrayList<>()).add(at - sourceEndMillis);
            }
        }
        Map<String, Map<String, Double>> endMs = new TreeMap<>();
        byDepth.forEach((depth, list) -> {
            List<Long> sorted = list.stream().sorted().toList();
            Map<String, Double> q = new LinkedHashMap<>();
            q.put("p50", (double) sorted.get((sorted.size() - 1) / 2));
            q.put("max", (double) sorted.get(sorted.size() - 1));
            q.put("relays", (double) sorted.size());
            endMs.put(depth, q);
        });
        out.put("end_ms", endMs);
        out.put("end_ms_by_relay", byRelay);
        // The relays' own figure: the ingest's clock at the end to the marker rebuilt here (no polling in it).
        Map<String, Double> atRelay = new TreeMap<>();
        for (String id : present) {
            try {
                double max = new PromText(cluster.relay(id).getText("/q/metrics")).sum("stripecast_relay_stream_end_delay_seconds_max");
                atRelay.put(id, max * 1000);
            } catch (IOException e) {
                atRelay.put(id, -1.0);
            }
        }
        out.put("end_delay_at_relay_ms", atRelay);
        Map<String, Object> exits = new TreeMap<>();
        toFollow.forEach(id -> exits.put(id, "never live here"));
        for (var f : followers.entrySet()) {
            Process p = f.getValue();
            if (ctx.left().contains(f.getKey())) {
                p.destroyForcibly();
                exits.put(f.getKey(), "relay left");
            } else if (p.waitFor(Math.max(1, deadline + 30_000 - System.currentTimeMillis()), TimeUnit.MILLISECONDS)) {
                exits.put(f.getKey(), p.exitValue());
            } else {
                p.destroyForcibly();
                exits.put(f.getKey(), "did not exit");
            }
        }
        out.put("followers_exit", exits);
        return out;
    }
}
