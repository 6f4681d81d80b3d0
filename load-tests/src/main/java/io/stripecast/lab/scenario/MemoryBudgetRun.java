package io.stripecast.lab.scenario;

import io.stripecast.lab.cluster.FreePorts;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import io.stripecast.lab.cluster.Placement;
import io.stripecast.lab.cluster.PromText;
import io.stripecast.lab.cluster.SyntheticSource;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The relay's window memory under load, without a forest: ONE relay process with a small heap ingests several
 * synthetic streams at a high bitrate (their windows together far over its budget) for minutes. It must never
 * throw an {@code OutOfMemoryError}, and every segment its playlists list at the end must be served
 * byte-identical to what the source sent, up to the source's newest. During the run, every
 * {@code check-every-seconds} the same is checked for each stream's live edge (its newest three listed segments);
 * older listed ones may leave for the budget between the playlist and the request, and are counted.
 *
 * <p>A scenario file with {@code runner=memory-budget} runs here ({@code Lab} dispatches); see
 * {@code scenarios/memory-4x8.properties}.
 */
public final class MemoryBudgetRun {
    private static final String KEY = "lab-publisher-key-0123";
    private static final int LIVE_EDGE = 3;

    public record Config(String name, int streams, int segmentBytes, int segmentMillis, int seconds, int heapMb, int k, int m,
                         Duration window, int checkEverySeconds, String windowMemory) {
        public static Config load(Path file, Map<String, String> overrides) throws IOException {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            }
            overrides.forEach(p::setProperty);
            String fallback = file.getFileName().toString().replaceFirst("\\.properties$", "");
            return new Config(p.getProperty("name", fallback),
                    Integer.parseInt(p.getProperty("streams", "4")),
                    Integer.parseInt(p.getProperty("segment-bytes", "1000000")),
                    Integer.parseInt(p.getProperty("segment-ms", "1000")),
                    Integer.parseInt(p.getProperty("seconds", "300")),
                    Integer.parseInt(p.getProperty("relay-heap-mb", "256")),
                    Integer.parseInt(p.getProperty("k", "3")),
                    Integer.parseInt(p.getProperty("m", "1")),
                    Duration.ofSeconds(Long.parseLong(p.getProperty("window-seconds", "30"))),
                    Integer.parseInt(p.getProperty("check-every-seconds", "60")),
                    p.getProperty("window-memory", ""));
        }

        public static boolean isMemoryBudget(Path file) throws IOException {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            }
            return "memory-budget".equals(p.getProperty("runner"));
        }

        double mbitPerStream() {
            return segmentBytes * 8.0 / segmentMillis / 1000.0;
        }
    }

    /** Figures read from the relay's metrics at one moment. */
    public record Sample(long atSeconds, double heapUsed, double heapLiveAfterGc, double heapMax, double windowBytes, double budget,
                         double evictions, double evictedBytes, double refused, double incompleteExpired, Map<String, Double> perStream) {
    }

    /** One stream's playlist checked: how many listed, served identical, missing, wrong; how far behind the source. */
    public record Check(long atSeconds, String stream, int listed, int identical, int missing, int wrong, boolean consecutive,
                        boolean liveEdgeServed, int behindSource) {
        boolean strictlyGood() {
            return listed >= LIVE_EDGE && missing == 0 && wrong == 0 && consecutive && behindSource == 0;
        }
    }

    public record Result(Config config, boolean passed, List<String> failures, boolean outOfMemory, boolean relayAlive,
                         List<Sample> samples, List<Check> checks, long sourceMaxLagMillis, int sourceFailures, String relayLogTail) {
    }

    private final Config config;

    public MemoryBudgetRun(Config config) {
        this.config = config;
    }

    public Result run(Path out) throws Exception {
        HlsCheck.deleteRecursively(out);
        Files.createDirectories(out);
        List<String> streams = new ArrayList<>();
        for (int i = 1; i <= config.streams(); i++) {
            streams.add(i == 1 ? "live" : "live" + i);
        }
        Map<String, String> settings = new LinkedHashMap<>();
        for (String s : streams) {
            String p = "stripecast.streams." + s + ".";
            settings.put(p + "k", Integer.toString(config.k()));
            settings.put(p + "m", Integer.toString(config.m()));
            settings.put(p + "window", config.window().toSeconds() + "s");
            settings.put(p + "key", KEY);
        }
        if (!config.windowMemory().isBlank()) {
            settings.put("stripecast.limits.window-memory", config.windowMemory());
        }
        // The lab's quick-start flags (serial GC, C1), with the heap under test.
        List<String> jvm = new ArrayList<>(JavaService.FAST_START);
        jvm.removeIf(f -> f.startsWith("-Xmx"));
        jvm.add("-Xmx" + config.heapMb() + "m");
        int http = FreePorts.next();
        int grpc = FreePorts.next();
        List<Sample> samples = new ArrayList<>();
        List<Check> checks = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        boolean oom;
        boolean alive;
        String tail;
        SyntheticSource source;
        try (JavaService relay = JavaService.relay("r0", Placement.LOOPBACK, http, grpc, settings, out.resolve("logs"), jvm)) {
            relay.awaitReady();
            source = new SyntheticSource(relay.base(), streams, KEY, config.segmentBytes(), config.segmentMillis(), config.seconds());
            Thread feeder = new Thread(source, "synthetic-source");
            long start = System.currentTimeMillis();
            feeder.start();
            long nextSample = start;
            long nextCheck = start + config.checkEverySeconds() * 1000L;
            while (feeder.isAlive()) {
                long now = System.currentTimeMillis();
                if (now >= nextSample) {
                    samples.add(sample(relay, streams, (now - start) / 1000));
                    nextSample += 5_000;
                }
                if (now >= nextCheck) {
                    for (String s : streams) {
                        Check c = check(relay, source, s, (now - start) / 1000);
                        checks.add(c);
                        if (!c.liveEdgeServed()) {
                            failures.add("at " + c.atSeconds() + " s stream " + s + ": live edge not served byte-identical: " + c);
                        }
                    }
                    nextCheck += config.checkEverySeconds() * 1000L;
                }
                feeder.join(200);
            }
            Thread.sleep(2_000); // the last segment's commit
            long end = (System.currentTimeMillis() - start) / 1000;
            samples.add(sample(relay, streams, end));
            for (String s : streams) {
                Check c = check(relay, source, s, end);
                checks.add(c);
                if (!c.strictlyGood()) {
                    failures.add("at the end, stream " + s + ": not every listed segment served byte-identical up to the newest: " + c);
                }
            }
            alive = relay.isAlive();
            String log = Files.readString(relay.log);
            oom = log.contains("OutOfMemoryError");
            tail = log.length() > 4000 ? log.substring(log.length() - 4000) : log;
        }
        if (oom) {
            failures.add("OutOfMemoryError in the relay's log");
        }
        if (!alive) {
            failures.add("the relay exited");
        }
        Result result = new Result(config, failures.isEmpty(), failures, oom, alive, samples, checks, source.maxLagMillis(),
                source.failures(), tail);
        write(result, out);
        return result;
    }

    private static Sample sample(JavaService relay, List<String> streams, long at) {
        try {
            PromText t = new PromText(relay.getText("/q/metrics"));
            Map<String, Double> per = new LinkedHashMap<>();
            for (String s : streams) {
                per.put(s, t.sum("stripecast_relay_window_bytes", "stream=\"" + s + "\""));
            }
            return new Sample(at, t.sum("jvm_memory_used_bytes", "area=\"heap\""), t.sum("jvm_gc_live_data_size_bytes"),
                    t.sum("jvm_memory_max_bytes", "area=\"heap\""), t.sum("stripecast_relay_window_memory_bytes"),
                    t.sum("stripecast_relay_window_memory_budget_bytes"), t.sum("stripecast_relay_window_budget_evictions_total"),
                    t.sum("stripecast_relay_window_budget_evicted_bytes_total"), t.sum("stripecast_relay_window_refused_total"),
                    t.sum("stripecast_relay_window_incomplete_expired_total"), per);
        } catch (IOException e) {
            return new Sample(at, -1, -1, -1, -1, -1, -1, -1, -1, -1, Map.of());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Sample(at, -1, -1, -1, -1, -1, -1, -1, -1, -1, Map.of());
        }
    }

    /** Fetches the playlist, then every listed segment newest first (the live edge before what may leave). */
    private static Check check(JavaService relay, SyntheticSource source, String stream, long at) {
        List<String> expected = source.expectedHashes(stream);
        Map<String, Integer> position = new HashMap<>();
        for (int i = 0; i < expected.size(); i++) {
            position.put(expected.get(i), i);
        }
        List<String> uris;
        try {
            uris = relay.getText("/live/" + stream + "/index.m3u8").lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            return new Check(at, stream, 0, 0, 0, 0, false, false, expected.size());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Check(at, stream, 0, 0, 0, 0, false, false, expected.size());
        }
        int identical = 0;
        int missing = 0;
        int wrong = 0;
        boolean edgeGood = uris.size() >= LIVE_EDGE;
        int[] at2 = new int[uris.size()];
        for (int i = uris.size() - 1; i >= 0; i--) {
            boolean inEdge = i >= uris.size() - LIVE_EDGE;
            byte[] body = fetch(relay, "/live/" + stream + "/" + uris.get(i));
            if (body == null) {
                missing++;
                at2[i] = -1;
                edgeGood &= !inEdge;
                continue;
            }
            Integer p = position.get(HlsCheck.sha256(body));
            if (p == null) {
                wrong++;
                at2[i] = -2;
                edgeGood &= !inEdge;
                continue;
            }
            identical++;
            at2[i] = p;
        }
        boolean consecutive = true;
        int last = -1;
        for (int v : at2) {
            if (v < 0) {
                continue;
            }
            consecutive &= last < 0 || v == last + 1;
            last = v;
        }
        int behind = last < 0 ? expected.size() : expected.size() - 1 - last;
        return new Check(at, stream, uris.size(), identical, missing, wrong, consecutive, edgeGood, behind);
    }

    private static byte[] fetch(JavaService relay, String path) {
        try {
            HttpResponse<byte[]> r = JavaService.HTTP.send(HttpRequest.newBuilder(URI.create(relay.base() + path))
                    .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofByteArray());
            return r.statusCode() == 200 ? r.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static void write(Result r, Path out) throws IOException {
        StringBuilder csv = new StringBuilder("seconds,heap_used_bytes,heap_live_after_gc_bytes,heap_max_bytes,window_bytes,budget_bytes,"
                + "budget_evictions,budget_evicted_bytes,refused,incomplete_expired\n");
        for (Sample s : r.samples()) {
            csv.append(String.format(Locale.ROOT, "%d,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f%n", s.atSeconds(), s.heapUsed(),
                    s.heapLiveAfterGc(), s.heapMax(), s.windowBytes(), s.budget(), s.evictions(), s.evictedBytes(), s.refused(),
                    s.incompleteExpired()));
        }
        Files.writeString(out.resolve("samples.csv"), csv);
        Files.writeString(out.resolve("report.md"), markdown(r));
    }

    static String markdown(Result r) {
        Config c = r.config();
        double mb = 1 << 20;
        double maxHeap = r.samples().stream().mapToDouble(Sample::heapUsed).max().orElse(0);
        double maxLive = r.samples().stream().mapToDouble(Sample::heapLiveAfterGc).max().orElse(0);
        double maxWindow = r.samples().stream().mapToDouble(Sample::windowBytes).max().orElse(0);
        Sample last = r.samples().isEmpty() ? null : r.samples().get(r.samples().size() - 1);
        StringBuilder b = new StringBuilder();
        b.append("# ").append(c.name()).append("\n\n");
        b.append(String.format(Locale.ROOT, "One relay, -Xmx%dm, %d streams of %.1f Mbit/s (%d-byte segments every %d ms, k=%d m=%d, "
                        + "window %d s) for %d s. %s%n%n", c.heapMb(), c.streams(), c.mbitPerStream(), c.segmentBytes(), c.segmentMillis(),
                c.k(), c.m(), c.window().toSeconds(), c.seconds(), r.passed() ? "**Passed.**" : "**Failed:** " + String.join("; ", r.failures())));
        b.append("| figure | value |\n|---|---|\n");
        b.append("| OutOfMemoryError in the relay's log | ").append(r.outOfMemory() ? "yes" : "no").append(" |\n");
        b.append("| relay alive at the end | ").append(r.relayAlive() ? "yes" : "no").append(" |\n");
        if (last != null) {
            b.append(String.format(Locale.ROOT, "| window budget | %.1f MB |%n", last.budget() / mb));
            b.append(String.format(Locale.ROOT, "| window bytes, max of samples / at the end | %.1f / %.1f MB |%n", maxWindow / mb,
                    last.windowBytes() / mb));
            b.append(String.format(Locale.ROOT, "| heap used (sampled every 5 s), max | %.1f of %.1f MB |%n", maxHeap / mb, last.heapMax() / mb));
            b.append(String.format(Locale.ROOT, "| live heap after the last major GC, max | %.1f MB |%n", maxLive / mb));
            b.append(String.format(Locale.ROOT, "| segments evicted for the budget | %.0f (%.0f MB) |%n", last.evictions(),
                    last.evictedBytes() / mb));
            b.append(String.format(Locale.ROOT, "| refused (no room even after evicting) | %.0f |%n", last.refused()));
            b.append(String.format(Locale.ROOT, "| incomplete segments expired | %.0f |%n", last.incompleteExpired()));
            for (var e : last.perStream().entrySet()) {
                b.append(String.format(Locale.ROOT, "| window bytes of %s at the end | %.1f MB |%n", e.getKey(), e.getValue() / mb));
            }
        }
        b.append(String.format(Locale.ROOT, "| source: worst lag behind real time, failed PUTs | %d ms, %d |%n", r.sourceMaxLagMillis(),
                r.sourceFailures()));
        b.append("\n## Playlist checks\n\n| s | stream | listed | identical | missing | wrong | consecutive | live edge served | behind source |\n"
                + "|---|---|---|---|---|---|---|---|---|\n");
        for (Check k : r.checks()) {
            b.append(String.format(Locale.ROOT, "| %d | %s | %d | %d | %d | %d | %s | %s | %d |%n", k.atSeconds(), k.stream(), k.listed(),
                    k.identical(), k.missing(), k.wrong(), k.consecutive(), k.liveEdgeServed(), k.behindSource()));
        }
        return b.toString();
    }
}
