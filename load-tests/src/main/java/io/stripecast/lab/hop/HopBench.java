package io.stripecast.lab.hop;

import io.stripecast.lab.baseline.NginxTier;
import io.stripecast.lab.cluster.FreePorts;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import io.stripecast.lab.cluster.Placement;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The honest relay benchmark (issue #17, point 1): what one relay hop costs in CPU per GB of stream, beside
 * nginx doing the same jobs in the same run. Not a test and not part of {@code mvn verify}; run it with
 * {@code load-tests/bench-hop.sh} (see BENCHMARKS.md).
 *
 * <p>The process under test runs alone on one core ({@code taskset -c 0}); everything that feeds it or reads
 * from it runs as other processes on the other core: the parent relay (the ingest, fed by {@link PacedSource}
 * in this JVM), the two child relays, the viewers ({@link PollingViewer} threads in this JVM). Its CPU is
 * utime + stime from {@code /proc/<pid>/stat} over a measured window only, after a warm-up at the same rates
 * (JIT compiled; the JIT's own threads' CPU inside each window is printed to show it settled).
 *
 * <p>Jobs, per shape (k+m) and with or without a missing data stripe (the relay has no parent for stripe 1, so
 * it decodes every segment from parity):
 * <ul>
 *   <li><b>hop</b>: receive every stripe from the parent, rebuild the segment, feed stripe 0 to two children.
 *       nginx's job: a shield ({@code proxy_cache}) fetching each segment once from an origin and serving two
 *       child caches, which the benchmark's readers ask for every segment and playlist;</li>
 *   <li><b>serve</b>: the same plus viewers on the relay (resp. the shield: cache hits). The serving figure is
 *       the CPU added by the viewers per GB they received (CPU with viewers minus the hop's CPU over the same
 *       time);</li>
 *   <li><b>idle</b>: the relay carrying the stream (configured, connected to its parent and children, its
 *       playlist served) with no viewers and no new segments, in ms of CPU per second.</li>
 * </ul>
 */
public final class HopBench {
    private static final String STREAM = "live";
    private static final String KEY = "hop-bench-publisher-key"; // the relay wants 16..256 characters

    /**
     * One measured window. {@code streamBytes} is the stream the process under test carried in it (the relay: segments
     * it completed x segment size; the nginx shield: what its two children fetched, halved), not what the source
     * sent: on a busy machine the other core may not keep up, and CPU per GB must divide by the work done.
     * {@code copierSeconds}: of {@code cpuSeconds}, the relay's segment-copy writer thread's.
     */
    record Window(double seconds, double cpuSeconds, double compilerSeconds, double copierSeconds, long streamBytes,
                  long viewerBytes, double load, long sourceBytes) {
        double streamGb() {
            return streamBytes / 1e9;
        }

        double achievedMbit() {
            return streamBytes * 8 / 1e6 / seconds;
        }

        double sourceMbit() {
            return sourceBytes * 8 / 1e6 / seconds;
        }

        /** Both windows as one: the hop measured before and after the viewers' window, so drift does not pose as serving. */
        Window plus(Window w) {
            return new Window(seconds + w.seconds, cpuSeconds + w.cpuSeconds, compilerSeconds + w.compilerSeconds,
                    copierSeconds + w.copierSeconds, streamBytes + w.streamBytes, viewerBytes + w.viewerBytes,
                    Math.max(load, w.load), sourceBytes + w.sourceBytes);
        }
    }

    /** One line of the result: a system's hop and serve windows at one rate. */
    record Row(String system, String shape, boolean missing, double mbit, int segmentMillis, Window hop, Window serve,
               String delivery) {
        double hopCpuPerGb() {
            return hop.streamBytes == 0 ? Double.NaN : hop.cpuSeconds / hop.streamGb();
        }

        /** CPU the viewers added, per GB they received. */
        double serveCpuPerGb() {
            return addedPerGbToViewers(serve.cpuSeconds, hop.cpuSeconds);
        }

        /**
         * What the viewers' window spent beyond the hop's rate ({@code hopSeconds} over the hop's windows, scaled to
         * the viewers' window), per GB the viewers received.
         */
        private double addedPerGbToViewers(double serveSeconds, double hopSeconds) {
            double added = serveSeconds - hopSeconds / hop.seconds * serve.seconds;
            return serve.viewerBytes == 0 ? Double.NaN : added / (serve.viewerBytes / 1e9);
        }

        /**
         * {@link #hopCpuPerGb} without the JIT's threads: a JVM compiles code run once per segment for minutes after
         * any warm-up (a method called once a second reaches C1 after ~200 calls and C2 after thousands), work a
         * relay that runs for days does once.
         */
        double hopCpuPerGbWithoutJit() {
            return hop.streamBytes == 0 ? Double.NaN : (hop.cpuSeconds - hop.compilerSeconds) / hop.streamGb();
        }

        /** {@link #serveCpuPerGb} without the JIT's threads (in either window). */
        double serveCpuPerGbWithoutJit() {
            return addedPerGbToViewers(serve.cpuSeconds - serve.compilerSeconds, hop.cpuSeconds - hop.compilerSeconds);
        }

        /** Of {@link #serveCpuPerGb}, the copies' writer's (one copy per segment, however many viewers). */
        double copierCpuPerGb() {
            return addedPerGbToViewers(serve.copierSeconds, hop.copierSeconds);
        }

        /** The process's CPU per second in the viewers' window: the hop and the viewers together. */
        double servingWindowCpuPerSecond() {
            return serve.cpuSeconds / serve.seconds;
        }
    }

    /** Every process started, closed by a shutdown hook too, so an interrupted run leaves nothing behind. */
    private static final List<AutoCloseable> STARTED = java.util.Collections.synchronizedList(new ArrayList<>());

    private final Options o;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> idle = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    /** The relay forgets a stream's viewers 10 s after their last request (SegmentCopies.WATCHED_MILLIS), plus a margin. */
    private static final long VIEWERS_FORGOTTEN_MILLIS = 12_000;
    private long viewersLeftNanos = System.nanoTime() - VIEWERS_FORGOTTEN_MILLIS * 1_000_000;
    /** Segments the relay under test copied for viewers so far (0 for nginx). */
    private java.util.function.DoubleSupplier segmentCopies = () -> 0;

    private HopBench(Options o) {
        this.o = o;
    }

    /** Settings, as {@code key=value} arguments. */
    record Options(List<Double> rates, List<String> shapes, int seconds, int warmupSeconds, int settleSeconds, int idleSeconds,
                   int viewers, String coreUnderTest, String otherCores, Path out, boolean nginx, boolean relay, String relayHeap,
                   boolean tls, String jfr, List<String> relayJvm, List<Boolean> files, List<Boolean> missing) {
        static Options parse(String[] args) {
            Map<String, String> a = new LinkedHashMap<>();
            for (String arg : args) {
                int eq = arg.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("arguments are key=value, got " + arg);
                }
                a.put(arg.substring(0, eq).replaceFirst("^--", ""), arg.substring(eq + 1));
            }
            List<Double> rates = new ArrayList<>();
            for (String r : a.getOrDefault("rates", "10,80,300").split(",")) {
                rates.add(Double.parseDouble(r));
            }
            return new Options(rates, List.of(a.getOrDefault("shapes", "2+1,3+2").split(",")),
                    Integer.parseInt(a.getOrDefault("seconds", "20")), Integer.parseInt(a.getOrDefault("warmup", "40")),
                    Integer.parseInt(a.getOrDefault("settle", "4")), Integer.parseInt(a.getOrDefault("idle-seconds", "30")),
                    Integer.parseInt(a.getOrDefault("viewers", "4")), a.getOrDefault("core", "0"), a.getOrDefault("others", "1"),
                    Path.of(a.getOrDefault("out", "load-tests/target/hop-bench")),
                    !a.getOrDefault("systems", "relay,nginx").contains("nginx") ? false : true,
                    a.getOrDefault("systems", "relay,nginx").contains("relay"), a.getOrDefault("relay-heap", "2g"),
                    // The relays' data planes speak mutual TLS as shipped; tls=off compares like with like against
                    // nginx's tiers, which talk plain HTTP to each other.
                    !a.getOrDefault("tls", "on").equals("off"),
                    // jfr=<dir>: the relay under test records a JFR profile, written there (jcmd JFR.dump) before it
                    // is stopped (where its CPU goes; not for figures).
                    a.getOrDefault("jfr", ""),
                    // relay-jvm=<flag>,<flag>: more JVM flags for the relay under test, e.g. -XX:+PreserveFramePointer
                    // for perf's call graphs through JIT-compiled code (a profile, not figures).
                    a.getOrDefault("relay-jvm", "").isEmpty() ? List.of() : List.of(a.get("relay-jvm").split(",")),
                    // files=off: viewers are served from the relay's window only, not from its segment copies
                    // (stripecast.playback.segment-files-dir); files=both runs each case both ways.
                    choice(a.getOrDefault("files", "on"), "on", "off"),
                    // missing=no|yes|both: without, with, or both without and with a missing data stripe.
                    choice(a.getOrDefault("missing", "both"), "yes", "no"));
        }

        private static List<Boolean> choice(String value, String yes, String no) {
            if (value.equals("both")) {
                return List.of(true, false);
            }
            if (!value.equals(yes) && !value.equals(no)) {
                throw new IllegalArgumentException("expected " + yes + ", " + no + " or both, got " + value);
            }
            return List.of(value.equals(yes));
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (STARTED) {
                for (AutoCloseable c : STARTED) {
                    try {
                        c.close();
                    } catch (Exception ignored) {
                        // best effort on the way out
                    }
                }
            }
        }));
        HopBench bench = new HopBench(o);
        Files.createDirectories(o.out);
        bench.notes.add("started " + Instant.now() + ", load average " + ProcCpu.loadAverage() + ", "
                + Runtime.getRuntime().availableProcessors() + " CPUs visible to the driver, its affinity: " + ownAffinity());
        bench.notes.add("relay data planes: " + (o.tls ? "mutual TLS (as shipped)" : "plaintext (tls=off)")
                + "; nginx tiers: plain HTTP");
        bench.notes.add("relay viewers: " + (o.files.contains(true) ? "served from segment copies in " + segmentFilesDir(o.out)
                + " (sendfile) once watched (relay: copies)" : "") + (o.files.size() > 1 ? "; and " : "")
                + (o.files.contains(false) ? "served from the window only (relay: window)" : ""));
        if (o.relay) {
            for (String shape : o.shapes) {
                for (boolean missing : new boolean[]{false, true}) {
                    for (boolean files : o.files) {
                        if (o.missing.contains(missing)) {
                            bench.relayRun(shape, missing, files);
                        }
                    }
                }
            }
        }
        if (o.nginx) {
            bench.nginxRun();
        }
        bench.notes.add("ended " + Instant.now() + ", load average " + ProcCpu.loadAverage());
        String md = bench.markdown();
        Files.writeString(o.out.resolve("hop-bench.md"), md);
        System.out.println(md);
        System.out.println("written to " + o.out.resolve("hop-bench.md").toAbsolutePath());
    }

    private static int segmentMillis(double mbit) {
        // The relay bounds a segment at 32 MiB: at 300 Mbit/s a 1 s segment (37.5 MB) is over it.
        return mbit * 1e6 / 8 > 16 * 1024 * 1024 ? 500 : 1000;
    }

    private List<String> pinned(String cores) {
        return List.of("taskset", "-c", cores);
    }

    // ---------------------------------------------------------------- relay

    private void relayRun(String shape, boolean missing, boolean files) throws Exception {
        String[] km = shape.split("\\+");
        int k = Integer.parseInt(km[0]);
        int m = Integer.parseInt(km[1]);
        String tag = "relay-" + k + "+" + m + (missing ? "-missing" : "") + (files ? "" : "-window");
        Path dir = o.out.resolve(tag);
        Files.createDirectories(dir);
        List<String> ids = List.of("parent", "relay", "child1", "child2");
        Map<String, int[]> ports = new LinkedHashMap<>();
        for (String id : ids) {
            ports.put(id, new int[]{FreePorts.next(), FreePorts.next()});
        }
        Path topology = dir.resolve("topology.json");
        Files.writeString(topology, topologyJson(ports, k + m, missing));
        Map<String, JavaService> relays = new LinkedHashMap<>();
        // -XX:-UsePerfData as relay pods run (RelayJvmOptions): the JVM's 50 ms perf-data sampling was a third of idle CPU.
        List<String> jvm = List.of("-Xms" + o.relayHeap, "-Xmx" + o.relayHeap, "-XX:+UseSerialGC", "-XX:-UsePerfData",
                "-XX:+UnlockDiagnosticVMOptions", "-XX:AsyncDeflationInterval=5000");
        System.out.printf(Locale.ROOT, "%s: starting 4 relays%n", tag);
        try {
            for (String id : ids) {
                Map<String, String> settings = new LinkedHashMap<>();
                settings.put("stripecast.relay.topology-file", topology.toString());
                settings.put("stripecast.streams." + STREAM + ".k", Integer.toString(k));
                settings.put("stripecast.streams." + STREAM + ".m", Integer.toString(m));
                // Short window: at 300 Mbit/s each second of window holds ~90 MB (segment + shards).
                settings.put("stripecast.streams." + STREAM + ".window", "6s");
                settings.put("stripecast.streams." + STREAM + ".key", KEY);
                if (!o.tls) {
                    settings.put("stripecast.tls.plaintext", "true");
                }
                if (files) {
                    settings.put("stripecast.playback.segment-files-dir", segmentFilesDir(o.out).resolve(tag).resolve(id).toString());
                    // A 6 s window at 300 Mbit/s is 225 MB of segments: room for all of it.
                    settings.put("stripecast.playback.segment-files-max-bytes", Long.toString(1L << 30));
                }
                Placement where = new Placement("127.0.0.1", pinned(id.equals("relay") ? o.coreUnderTest : o.otherCores));
                int[] p = ports.get(id);
                List<String> flags = jvm;
                if (id.equals("relay")) {
                    flags = new ArrayList<>(jvm);
                    flags.addAll(o.relayJvm);
                    if (!o.jfr.isEmpty()) {
                        flags.add("-XX:StartFlightRecording=settings=profile");
                    }
                }
                JavaService started = JavaService.relay(id, where, p[0], p[1], settings, dir.resolve("logs"), flags);
                STARTED.add(started);
                relays.put(id, started);
            }
            relays.values().forEach(JavaService::awaitReady);
            JavaService relay = relays.get("relay");
            String playback = relay.base() + "/live/" + STREAM + "/";
            try (PacedSource source = new PacedSource(relays.get("parent").base() + "/ingest/" + STREAM + "/",
                    Map.of("Authorization", "Bearer " + KEY))) {
                double warmRate = o.rates.get(o.rates.size() - 1);
                source.rate(warmRate, segmentMillis(warmRate));
                source.start();
                segmentCopies = () -> metricOrNaN(relay, "stripecast_relay_segment_files_written_total");
                warmUp(tag, relay.pid(), playback, source);
                for (double rate : o.rates) {
                    double c1 = completed(relays.get("child1"));
                    double c2 = completed(relays.get("child2"));
                    int seq0 = source.sequence();
                    JavaService parent = relays.get("parent");
                    // The relay lists the parent's sequence numbers: caught up when it lists the parent's newest (or the one before).
                    Row row = measure(files ? "stripecast relay" : "relay, window", shape, missing, rate, relay.pid(), playback, source,
                            () -> (long) (completed(relay) * source.segmentBytes()),
                            () -> newestListed(relay) >= newestListed(parent) - 1);
                    int sent = source.sequence() - seq0;
                    String delivery = String.format(Locale.ROOT, "children completed %.0f and %.0f of the %d segments put meanwhile",
                            completed(relays.get("child1")) - c1, completed(relays.get("child2")) - c2, sent);
                    rows.add(new Row(row.system, row.shape, row.missing, row.mbit, row.segmentMillis, row.hop, row.serve, delivery));
                    print(rows.get(rows.size() - 1));
                }
                source.pause(true);
                // Long enough for a relay behind at the highest rate to catch up and its last segment to settle.
                sleepSeconds(Math.max(15, o.settleSeconds));
                Window w = window(relay.pid(), source, () -> 0L, List.of(), o.idleSeconds);
                idle.add(String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.1f |", files ? shape : shape + ", window only",
                        missing ? "yes" : "no",
                        w.cpuSeconds / w.seconds * 1000, w.compilerSeconds / w.seconds * 1000, w.load));
                System.out.println("idle " + idle.get(idle.size() - 1));
                if (source.failures() > 0) {
                    notes.add(tag + ": " + source.failures() + " PUTs of the source failed");
                }
            }
            for (JavaService r : relays.values()) {
                if (!r.isAlive()) {
                    notes.add(tag + ": relay " + r.id + " died during the run, see " + r.log);
                }
            }
        } finally {
            JavaService underTest = relays.get("relay");
            if (underTest != null && !o.jfr.isEmpty()) {
                dumpFlightRecording(underTest, Path.of(o.jfr).toAbsolutePath().resolve(tag + ".jfr"));
            }
            relays.values().forEach(JavaService::close);
            segmentCopies = () -> 0;
            HlsCheck.deleteRecursively(segmentFilesDir(o.out).resolve(tag));
        }
    }

    /** Where relays keep segment copies: a tmpfs as in a pod (an emptyDir of medium Memory) when the machine has one. */
    private static Path segmentFilesDir(Path out) {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm.resolve("stripecast-hop-bench") : out.resolve("segment-files");
    }

    private static double metricOrNaN(JavaService relay, String name) {
        try {
            return relay.metric(name);
        } catch (IOException e) {
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    private static double completed(JavaService relay) {
        try {
            return relay.metric("stripecast_relay_segments_completed_total");
        } catch (IOException e) {
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    /**
     * parent -> relay in every stripe (but stripe 1 when a data stripe is missing); relay -> child1, child2 in
     * stripe 0; the children's other stripes straight from the parent.
     */
    static String topologyJson(Map<String, int[]> ports, int stripes, boolean missing) {
        StringBuilder relays = new StringBuilder();
        ports.forEach((id, p) -> relays.append(relays.length() == 0 ? "" : ", ").append('"').append(id).append("\": \"127.0.0.1:")
                .append(p[1]).append('"'));
        StringBuilder trees = new StringBuilder();
        for (int s = 0; s < stripes; s++) {
            List<String> edges = new ArrayList<>();
            if (!(missing && s == 1)) {
                edges.add("\"relay\": \"parent\"");
            }
            String childParent = s == 0 ? "relay" : "parent";
            edges.add("\"child1\": \"" + childParent + "\"");
            edges.add("\"child2\": \"" + childParent + "\"");
            trees.append(s == 0 ? "" : ",\n   ").append('{').append(String.join(", ", edges)).append('}');
        }
        return """
                {"relays": {%s},
                 "streams": {"%s": {"root": "parent", "stripes": [
                   %s
                 ]}}}
                """.formatted(relays, STREAM, trees);
    }

    // ---------------------------------------------------------------- nginx

    private void nginxRun() throws Exception {
        Path dir = o.out.resolve("nginx");
        if (!Files.exists(Path.of("/usr/sbin/nginx")) && !Files.exists(Path.of("/usr/bin/nginx"))) {
            notes.add("nginx not found: no baseline");
            return;
        }
        int originPort = FreePorts.next();
        int shieldPort = FreePorts.next();
        int child1Port = FreePorts.next();
        int child2Port = FreePorts.next();
        System.out.println("nginx: origin, shield (under test), two child caches");
        try (NginxTier origin = NginxTier.origin(dir.resolve("origin"), originPort, pinned(o.otherCores));
             NginxTier shield = NginxTier.cache(dir.resolve("shield"), shieldPort, originPort, pinned(o.coreUnderTest));
             NginxTier child1 = NginxTier.cache(dir.resolve("child1"), child1Port, shieldPort, pinned(o.otherCores));
             NginxTier child2 = NginxTier.cache(dir.resolve("child2"), child2Port, shieldPort, pinned(o.otherCores));
             PacedSource source = new PacedSource("http://127.0.0.1:" + originPort + "/live/" + STREAM + "/", Map.of(), true)) {
            STARTED.addAll(List.of(origin, shield, child1, child2));
            awaitListening(originPort, shieldPort, child1Port, child2Port);
            double warmRate = o.rates.get(o.rates.size() - 1);
            source.rate(warmRate, segmentMillis(warmRate));
            source.start();
            // The children's readers run throughout: a child cache only fetches when asked.
            try (PollingViewer r1 = new PollingViewer("child1-reader", "http://127.0.0.1:" + child1Port + "/live/" + STREAM + "/",
                    segmentMillis(warmRate) / 2).start();
                 PollingViewer r2 = new PollingViewer("child2-reader", "http://127.0.0.1:" + child2Port + "/live/" + STREAM + "/",
                         segmentMillis(warmRate) / 2).start()) {
                sleepSeconds(Math.min(10, o.warmupSeconds)); // nothing to compile; fills caches and page cache
                String playback = "http://127.0.0.1:" + shieldPort + "/live/" + STREAM + "/";
                for (double rate : o.rates) {
                    long s1 = r1.segments();
                    long s2 = r2.segments();
                    int seq0 = source.sequence();
                    Row row = measure("nginx shield", "-", false, rate, shield.pid(), playback, source,
                            () -> (r1.segmentBytes() + r2.segmentBytes()) / 2,
                            () -> Math.min(r1.lastSequence(), r2.lastSequence()) >= source.sequence() - 1);
                    String delivery = String.format(Locale.ROOT, "child caches' readers got %d and %d of the %d segments put meanwhile",
                            r1.segments() - s1, r2.segments() - s2, source.sequence() - seq0);
                    rows.add(new Row(row.system, row.shape, row.missing, row.mbit, row.segmentMillis, row.hop, row.serve, delivery));
                    print(rows.get(rows.size() - 1));
                }
                if (r1.errors() + r2.errors() > 0) {
                    notes.add("nginx child readers: " + (r1.errors() + r2.errors()) + " failed requests (a playlist listing a segment"
                            + " the cache chain could not serve yet)");
                }
            }
            if (source.failures() > 0) {
                notes.add("nginx: " + source.failures() + " PUTs of the source failed");
            }
        } finally {
            // The tiers' files (segments, cache, temp) are gigabytes after a 300 Mbit/s run; configurations and logs stay.
            for (String tier : List.of("origin", "shield", "child1", "child2")) {
                for (String data : List.of("origin", "cache", "tmp")) {
                    HlsCheck.deleteRecursively(dir.resolve(tier).resolve(data));
                }
            }
        }
    }

    private static void awaitListening(int... ports) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (int port : ports) {
            while (true) {
                try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                    break;
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("nginx not listening on " + port);
                    }
                    Thread.sleep(50);
                }
            }
        }
    }

    // ---------------------------------------------------------------- windows

    /** Warm-up at every rate, viewers included, so the measured windows find the JIT settled. */
    private void warmUp(String tag, long pid, String playback, PacedSource source) throws InterruptedException {
        System.out.printf(Locale.ROOT, "%s: warm-up %d s%n", tag, o.warmupSeconds);
        double cpu0 = ProcCpu.seconds(pid);
        double jit0 = ProcCpu.compilerSeconds(pid);
        int per = Math.max(1, o.warmupSeconds / o.rates.size());
        List<PollingViewer> viewers = startViewers(playback, 1000);
        try {
            for (int i = o.rates.size() - 1; i >= 0; i--) {
                double rate = o.rates.get(i);
                source.rate(rate, segmentMillis(rate));
                sleepSeconds(per);
            }
            // Then until the JIT has settled, viewers still on: the warm-up's length is a floor, not a guess.
            long settled = awaitJitSettled(pid, 180);
            notes.add(settled < 0 ? tag + ": the JIT's threads were still compiling 180 s after the warm-up (figures provisional)"
                    : tag + ": JIT settled " + settled + " s after the fixed warm-up");
        } finally {
            viewers.forEach(PollingViewer::close);
            viewersLeftNanos = System.nanoTime();
        }
        notes.add(String.format(Locale.ROOT, "%s: warm-up used %.1f s of CPU, %.1f s of it the JIT's threads (left out of every figure)",
                tag, ProcCpu.seconds(pid) - cpu0, ProcCpu.compilerSeconds(pid) - jit0));
    }

    private Row measure(String system, String shape, boolean missing, double rate, long pid, String playback, PacedSource source,
                        java.util.function.LongSupplier carried, java.util.function.BooleanSupplier caughtUp) throws InterruptedException {
        int segMs = segmentMillis(rate);
        source.rate(rate, segMs);
        sleepSeconds(o.settleSeconds);
        // A process still working off a backlog (from the warm-up's or the previous rate's bigger segments) would be
        // measured at another rate than the one in the table: wait until it lists what the source put.
        long waited = awaitCaughtUp(caughtUp, 60);
        if (waited < 0) {
            notes.add(String.format(Locale.ROOT, "%s %s%s at %.0f Mbit/s: not caught up with the source within 60 s before the"
                    + " window: its figure is that of a process behind", system, shape, missing ? " (stripe 1 missing)" : "", rate));
        }
        if (awaitJitSettled(pid, 60) < 0) {
            notes.add(String.format(Locale.ROOT, "%s %s%s at %.0f Mbit/s: the JIT was still compiling 60 s after the rate change",
                    system, shape, missing ? " (stripe 1 missing)" : "", rate));
        }
        source.maxLateMillisAndReset();
        String what = String.format(Locale.ROOT, "%s %s%s at %.0f Mbit/s", system, shape, missing ? " (stripe 1 missing)" : "", rate);
        Window hop = hopWindow(pid, source, carried, what);
        List<PollingViewer> viewers = startViewers(playback, segMs);
        Window serve;
        try {
            sleepSeconds(o.settleSeconds);
            // Viewers take paths the hop window did not (and a JVM may have let their compiled code go meanwhile): a
            // profile of the first run with this wait missing had the C2 compiler at 15 % of the viewers' window.
            if (awaitJitSettled(pid, 60) < 0) {
                notes.add(what + ": the JIT was still compiling 60 s after the viewers came (their figure includes it)");
            }
            serve = window(pid, source, carried, viewers, o.seconds);
        } finally {
            viewers.forEach(PollingViewer::close);
            viewersLeftNanos = System.nanoTime();
        }
        // The hop again after the viewers: serving is what the viewers' window used beyond the hop's rate, and a hop
        // measured on both sides of it keeps a drift (a backlog worked off, a collector's cycle) out of that difference.
        hop = hop.plus(hopWindow(pid, source, carried, what));
        long late = source.maxLateMillisAndReset();
        if (late > segMs) {
            notes.add(String.format(Locale.ROOT, "%s %s at %.0f Mbit/s: the source fell %d ms behind its schedule (the other core"
                    + " could not keep up)", system, shape, rate, late));
        }
        return new Row(system, shape, missing, rate, segMs, hop, serve, "");
    }

    /** A window without viewers, once the relay has forgotten the last ones (it copies segments while watched). */
    private Window hopWindow(long pid, PacedSource source, java.util.function.LongSupplier carried, String what)
            throws InterruptedException {
        // A relay copies a watched stream's segments for viewers (SegmentCopies) until 10 s after their last request.
        long sinceViewers = (System.nanoTime() - viewersLeftNanos) / 1_000_000;
        if (sinceViewers < VIEWERS_FORGOTTEN_MILLIS) {
            Thread.sleep(VIEWERS_FORGOTTEN_MILLIS - sinceViewers); // a known horizon, not a synchronisation
        }
        double copies0 = segmentCopies.getAsDouble();
        Window hop = window(pid, source, carried, List.of(), o.seconds);
        double copied = segmentCopies.getAsDouble() - copies0;
        if (copied > 0) {
            notes.add(String.format(Locale.ROOT, "%s: %.0f segments copied for viewers inside a hop window", what, copied));
        }
        return hop;
    }

    /**
     * Waits until the JVM's compiler threads used at most 20 ms of CPU over 5 s (two clock ticks: the JIT has
     * settled); returns the seconds waited, or -1 after {@code maxSeconds}.
     */
    static long awaitJitSettled(long pid, int maxSeconds) throws InterruptedException {
        long start = System.nanoTime();
        double before = ProcCpu.compilerSeconds(pid);
        while (true) {
            Thread.sleep(5000); // an observation interval, not a synchronisation
            double now = ProcCpu.compilerSeconds(pid);
            if (now - before <= 0.02) {
                return (System.nanoTime() - start) / 1_000_000_000L;
            }
            if (System.nanoTime() - start > maxSeconds * 1_000_000_000L) {
                return -1;
            }
            before = now;
        }
    }

    /** Seconds waited, or -1 when still behind after {@code maxSeconds}. */
    private static long awaitCaughtUp(java.util.function.BooleanSupplier caughtUp, int maxSeconds) throws InterruptedException {
        long start = System.nanoTime();
        while (!caughtUp.getAsBoolean()) {
            if (System.nanoTime() - start > maxSeconds * 1_000_000_000L) {
                return -1;
            }
            Thread.sleep(250);
        }
        return (System.nanoTime() - start) / 1_000_000_000L;
    }

    /** The newest media sequence a relay's playlist lists (-1 when it answers none). */
    private static long newestListed(JavaService relay) {
        try {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.ts$", java.util.regex.Pattern.MULTILINE)
                    .matcher(relay.getText("/live/" + STREAM + "/index.m3u8"));
            long n = -1;
            while (m.find()) {
                n = Math.max(n, Long.parseLong(m.group(1)));
            }
            return n;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private List<PollingViewer> startViewers(String playback, int segmentMillis) {
        List<PollingViewer> out = new ArrayList<>();
        for (int i = 0; i < o.viewers; i++) {
            out.add(new PollingViewer("viewer-" + i, playback, Math.max(100, segmentMillis / 2)).start());
        }
        return out;
    }

    private static Window window(long pid, PacedSource source, java.util.function.LongSupplier carried, List<PollingViewer> viewers,
                                 int seconds) throws InterruptedException {
        double load = ProcCpu.loadAverage();
        long v0 = viewers.stream().mapToLong(PollingViewer::bytes).sum();
        long b0 = source.bytesPut();
        long c0 = carried.getAsLong();
        double jit0 = ProcCpu.compilerSeconds(pid);
        double copier0 = ProcCpu.copierSeconds(pid);
        double cpu0 = ProcCpu.seconds(pid);
        long t0 = System.nanoTime();
        sleepSeconds(seconds); // the measured window: a benchmark's clock, not a synchronisation
        double cpu1 = ProcCpu.seconds(pid);
        long t1 = System.nanoTime();
        double jit1 = ProcCpu.compilerSeconds(pid);
        double copier1 = ProcCpu.copierSeconds(pid);
        long b1 = source.bytesPut();
        long c1 = carried.getAsLong();
        long v1 = viewers.stream().mapToLong(PollingViewer::bytes).sum();
        return new Window((t1 - t0) / 1e9, cpu1 - cpu0, jit1 - jit0, copier1 - copier0, c1 - c0, v1 - v0,
                Math.max(load, ProcCpu.loadAverage()), b1 - b0);
    }

    /**
     * Writes the relay's flight recording with jcmd while it still runs: a relay is stopped without the JVM's exit
     * dump (the file named in -XX:StartFlightRecording stayed empty).
     */
    private void dumpFlightRecording(JavaService relay, Path file) {
        try {
            Files.createDirectories(file.getParent());
            relay.jcmd("JFR.dump", "filename=" + file);
        } catch (IOException e) {
            notes.add("the relay's flight recording could not be written to " + file + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleepSeconds(int s) throws InterruptedException {
        Thread.sleep(s * 1000L);
    }

    private static String ownAffinity() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Cpus_allowed_list"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }

    // ---------------------------------------------------------------- output

    private static void print(Row r) {
        System.out.printf(Locale.ROOT, "%-17s %-4s missing=%-5s %5.0f Mbit/s (carried %6.1f, source %6.1f): hop %6.2f CPU s/GB of stream"
                        + " (jit %.2f s, %.2f without, load %.1f); serving %6.2f CPU s/GB to viewers (copies %.2f, jit %.2f s, %.2f without,"
                        + " load %.1f); %s%n",
                r.system, r.shape, r.missing, r.mbit, r.hop.achievedMbit(), r.hop.sourceMbit(), r.hopCpuPerGb(), r.hop.compilerSeconds,
                r.hopCpuPerGbWithoutJit(), r.hop.load, r.serveCpuPerGb(), r.copierCpuPerGb(), r.serve.compilerSeconds,
                r.serveCpuPerGbWithoutJit(), r.serve.load, r.delivery);
    }

    /** The k+m column: a relay serving viewers from its window only (files=off) says so. */
    private static String shapeOf(Row r) {
        return r.system.equals("relay, window") ? r.shape + ", window only" : r.shape;
    }

    private Row nginxAt(double mbit) {
        return rows.stream().filter(r -> r.system.startsWith("nginx") && r.mbit == mbit).findFirst().orElse(null);
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("### Hop: CPU seconds per GB of stream (process under test alone on core ").append(o.coreUnderTest).append(")\n\n");
        b.append("| k+m | data stripe missing | Mbit/s (carried) | segment | relay s/GB | JIT s in window | load | nginx shield s/GB"
                + " | load | relay / nginx | JIT left out: relay s/GB, relay / nginx |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            if (r.system.startsWith("nginx")) {
                continue;
            }
            Row n = nginxAt(r.mbit);
            b.append(String.format(Locale.ROOT, "| %s | %s | %.0f (%.1f) | %d ms | %.2f | %.2f | %.1f | %s | %s | %s | %.2f, %s |%n", shapeOf(r),
                    r.missing ? "yes" : "no", r.mbit, r.hop.achievedMbit(), r.segmentMillis, r.hopCpuPerGb(), r.hop.compilerSeconds,
                    r.hop.load, n == null ? "-" : String.format(Locale.ROOT, "%.2f (%.1f Mbit/s)", n.hopCpuPerGb(), n.hop.achievedMbit()),
                    n == null ? "-" : String.format(Locale.ROOT, "%.1f", n.hop.load),
                    n == null ? "-" : String.format(Locale.ROOT, "%.1fx", r.hopCpuPerGb() / n.hopCpuPerGb()),
                    r.hopCpuPerGbWithoutJit(), n == null ? "-" : String.format(Locale.ROOT, "%.1fx", r.hopCpuPerGbWithoutJit() / n.hopCpuPerGb())));
        }
        b.append("\n### Serving viewers: CPU added per GB delivered to ").append(o.viewers).append(" viewers\n\n");
        b.append("| k+m | data stripe missing | Mbit/s | relay s/GB to viewers | of it copying | JIT s in window | GB to viewers | load"
                + " | nginx cache hit s/GB to viewers | load | relay / nginx | JIT left out: relay s/GB, relay / nginx"
                + " | whole window: relay / nginx CPU |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            if (r.system.startsWith("nginx")) {
                continue;
            }
            Row n = nginxAt(r.mbit);
            b.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.2f | %.2f | %.2f | %.2f | %.1f | %s | %s | %s | %.2f, %s | %s |%n", shapeOf(r),
                    r.missing ? "yes" : "no", r.mbit, r.serveCpuPerGb(), r.copierCpuPerGb(), r.serve.compilerSeconds,
                    r.serve.viewerBytes / 1e9, r.serve.load,
                    n == null ? "-" : String.format(Locale.ROOT, "%.2f", n.serveCpuPerGb()),
                    n == null ? "-" : String.format(Locale.ROOT, "%.1f", n.serve.load),
                    n == null ? "-" : String.format(Locale.ROOT, "%.2fx", r.serveCpuPerGb() / n.serveCpuPerGb()),
                    r.serveCpuPerGbWithoutJit(),
                    n == null ? "-" : String.format(Locale.ROOT, "%.2fx", r.serveCpuPerGbWithoutJit() / n.serveCpuPerGb()),
                    n == null ? "-" : String.format(Locale.ROOT, "%.0f / %.0f ms/s (%.2fx)", r.servingWindowCpuPerSecond() * 1000,
                            n.servingWindowCpuPerSecond() * 1000, r.servingWindowCpuPerSecond() / n.servingWindowCpuPerSecond())));
        }
        b.append("\nThe whole window: CPU per second of the process under test while it carries the stream and serves the viewers"
                + " (hop and serving together, the JIT's threads included).\n");
        b.append("\n### Idle: a relay carrying the stream, no viewers, no new segments\n\n");
        b.append("| k+m | data stripe missing | ms of CPU per s | of it JIT | load |\n|---|---|---|---|---|\n");
        idle.forEach(l -> b.append(l).append('\n'));
        b.append("\n### Delivery checks and notes\n\n");
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "- %s %s%s at %.0f Mbit/s: %s; viewers got %.2f GB%n", r.system, r.shape,
                    r.missing ? " (stripe 1 missing)" : "", r.mbit, r.delivery, r.serve.viewerBytes / 1e9));
        }
        notes.forEach(n -> b.append("- ").append(n).append('\n'));
        return b.toString();
    }
}
