package io.stripecast.lab.scenario;

import io.stripecast.lab.cluster.LinkMechanism;
import io.stripecast.lab.cluster.LinkShape;
import io.stripecast.lab.scenario.fault.FaultSpec;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;

/**
 * A lab scenario, read from a {@code .properties} file under {@code load-tests/scenarios/} (every key is
 * described in {@code load-tests/LAB.md}).
 *
 * @param uplinkMbps       each relay's advertised uplink: with the stream's shard rate it sets the fanout,
 *                         so small uplinks make deep trees
 * @param ingestUplinkMbps the ingest's own uplink; {@code (k+m) * shardRate / 0.8} gives it one child per tree,
 *                         so the origin sends {@code (k+m)/k} of the stream
 * @param bitrateHintMbps  what the controller plans with until it measures more
 * @param heartbeat        the controller's report interval; {@code deadAfter} its silence-is-death bound
 * @param ingestStarts     together (every relay at once) | first (the ingest is ready before the others start:
 *                         they join one by one) | last (the others are registered first, so the controller
 *                         builds the forest in one step over all of them; see LAB.md: joins one at a time into
 *                         a forest whose ingest has one slot per tree are refused by the planner)
 * @param childQueueShards the relays' per-child queue (0: the relay's default)
 * @param steadyJvm        relays run with full JIT (C2) as deployed, for CPU figures; else the lab's quick-start
 *                         flags (C1 only), which cost more CPU per byte
 * @param relayHeapMb      the relays' heap; 0: 192 MB quick, 256 MB steady, or twice what the whole-run window
 *                         every relay keeps (segments and their shards) plus 128 MB, whichever is larger
 * @param viewersPerRelay  HLS players per non-ingest relay
 * @param viewersAtSegment viewers start once the ingest has this many segments (0: at once); a flash crowd
 *                         is many viewers per relay starting together
 * @param probePollMillis  0, or one extra player per relay polling this often: availability per depth at the
 *                         serving node, the same way for stripecast and the baseline (excluded from continuity)
 * @param probeBlocking    probes use LL-HLS blocking reload where a playlist offers it (stripecast does, stock
 *                         nginx does not), as hls.js does by default; false: they poll every server alike
 * @param warmupSegments   availability figures at players and probes leave out the source's first this many
 *                         segments, for both systems: deployed relays are long-running JVMs, and a run's first
 *                         minute measures 16 of them compiling their hot code on 2 cores. Continuity, stalls and
 *                         missing segments still count the whole run
 * @param baseline         none | nginx: afterwards, the same source and viewers through a stock nginx chain
 * @param baselineDepth    proxy tiers below the nginx origin (2: origin -> shield -> edge); 0: the forest's depth
 * @param endFollowers     ffmpeg players ({@code ffmpeg -i edge -c copy -f null -}, no duration) started while live on the
 *                         deepest relays; each must exit 0 on its own once the stream ends
 * @param standbyIngest    a relay that is the stream's standby ingest (ffmpeg then pushes to the ingest and to it
 *                         through the tee muxer); empty for none
 */
public record Scenario(String name, int relays, int k, int m, int seconds, double uplinkMbps, double ingestUplinkMbps,
                       double bitrateHintMbps, Duration heartbeat, Duration deadAfter, String ingestStarts, int childQueueShards, boolean steadyJvm, int relayHeapMb,
                       SourceSpec source, FaultSpec fault, NetworkSpec network, int viewersPerRelay, int viewersAtSegment,
                       int probePollMillis, boolean probeBlocking, int warmupSegments, String baseline, int baselineDepth,
                       int endFollowers, String standbyIngest) {

    /**
     * @param kind           pattern (test pattern, ~0.35 Mbit/s) | pattern-3m (the same at a constant ~3 Mbit/s) |
     *                       synthetic (generated segments PUT by the lab)
     * @param streams        streams (synthetic only; ffmpeg pushes one)
     * @param segmentBytes   synthetic segment size
     * @param segmentMillis  synthetic segment duration (one is PUT per duration)
     */
    public record SourceSpec(String kind, int streams, int segmentBytes, int segmentMillis) {
        public SourceSpec {
            if (!Set.of("pattern", "pattern-3m", "synthetic").contains(kind)) {
                throw new IllegalArgumentException("unknown source " + kind);
            }
            if (streams < 1 || (!kind.equals("synthetic") && streams != 1) || segmentBytes < 1 || segmentMillis < 100) {
                throw new IllegalArgumentException("source out of range (ffmpeg sources push one stream)");
            }
        }

        public boolean synthetic() {
            return kind.equals("synthetic");
        }

        /** What the source sends per second, all streams together (ffmpeg's patterns as measured, see LAB.md). */
        public double bytesPerSecond() {
            return switch (kind) {
                case "pattern" -> 0.35e6 / 8;
                case "pattern-3m" -> 3.1e6 / 8;
                default -> (double) segmentBytes * streams * 1000 / segmentMillis;
            };
        }
    }

    /**
     * @param mode loopback (every process on 127.0.0.1) | netns (each relay in its own network namespace on a
     *             private bridge; needs root, else the run is skipped and says so)
     * @param link every relay link's shape (netns only)
     * @param linkEmulator what shapes and cuts the links in namespaces: auto (the userspace emulator when the shape
     *             needs delay or loss and the kernel has no netem, else tc) | tc | userspace ({@link LinkMechanism})
     */
    public record NetworkSpec(String mode, LinkShape link, String linkEmulator) {
        public NetworkSpec {
            if (!Set.of("loopback", "netns").contains(mode)) {
                throw new IllegalArgumentException("unknown network " + mode);
            }
            if (mode.equals("loopback") && !link.isNone()) {
                throw new IllegalArgumentException("link shaping needs network=netns");
            }
            if (!LinkMechanism.SETTINGS.contains(linkEmulator)) {
                throw new IllegalArgumentException("link-emulator is one of " + LinkMechanism.SETTINGS + ": " + linkEmulator);
            }
            if (mode.equals("loopback") && !linkEmulator.equals("auto")) {
                throw new IllegalArgumentException("link-emulator needs network=netns");
            }
        }

        public boolean netns() {
            return mode.equals("netns");
        }
    }

    public Scenario {
        if (relays < 2 || k < 1 || m < 0 || k + m > 32 || seconds < 5 || uplinkMbps <= 0 || ingestUplinkMbps <= 0
                || bitrateHintMbps <= 0 || viewersPerRelay < 0 || probePollMillis < 0 || warmupSegments < 0 || warmupSegments >= seconds
                || childQueueShards < 0 || baselineDepth < 0 || relayHeapMb < 0) {
            throw new IllegalArgumentException("scenario " + name + ": out-of-range setting");
        }
        if (!Set.of("together", "first", "last").contains(ingestStarts)) {
            throw new IllegalArgumentException("scenario " + name + ": ingest-starts is together, first or last");
        }
        if (!Set.of("none", "nginx").contains(baseline)) {
            throw new IllegalArgumentException("scenario " + name + ": unknown baseline " + baseline);
        }
        if (fault.kind().equals("partition") && !network.netns()) {
            throw new IllegalArgumentException("scenario " + name + ": a partition cuts a relay's link: set network=netns");
        }
        if (fault.kind().equals("slow-child") && fault.slowMode().equals("rate") && !network.netns()) {
            throw new IllegalArgumentException("scenario " + name + ": slow-mode=rate shapes a relay's link: set network=netns");
        }
    }

    /** How the availability probes reload their playlists. */
    HlsViewer.Reload probeReload() {
        return new HlsViewer.Reload(probePollMillis, probeBlocking);
    }

    /** The window every relay keeps: the whole run and a minute, so the end check can compare every segment. */
    public Duration relayWindow() {
        return Duration.ofSeconds(seconds + 60L);
    }

    /**
     * The relays' heap, MB. A window that fills most of the heap turns the run into a garbage collector's benchmark:
     * at 270 s of a 300 s run in 256 MB, the relays' GC thread used 79% of their CPU.
     */
    public int relayHeapMbOrSized() {
        if (relayHeapMb > 0) {
            return relayHeapMb;
        }
        double windowBytes = source.bytesPerSecond() * relayWindow().toSeconds() * (1 + (double) (k + m) / k);
        long sized = (long) Math.ceil(2 * windowBytes / (64 << 20)) * 64 + 128;
        return (int) Math.max(steadyJvm ? 256 : 192, sized);
    }

    /** Shard rate the controller plans with until it measures more. */
    public double plannedShardRateMbps() {
        return bitrateHintMbps / k;
    }

    public static Scenario load(Path file) throws IOException {
        return load(file, java.util.Map.of());
    }

    /** The file's scenario with some keys replaced (the CLI's {@code --set key=value}). */
    public static Scenario load(Path file, java.util.Map<String, String> overrides) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        overrides.forEach(p::setProperty);
        String fallbackName = file.getFileName().toString().replaceFirst("\\.properties$", "");
        double uplink = Double.parseDouble(p.getProperty("uplink-mbps", "20"));
        int seconds = Integer.parseInt(p.getProperty("seconds", "30"));
        SourceSpec source = new SourceSpec(p.getProperty("source", "pattern"), Integer.parseInt(p.getProperty("streams", "1")),
                Integer.parseInt(p.getProperty("segment-bytes", "400000")), Integer.parseInt(p.getProperty("segment-ms", "1000")));
        FaultSpec fault = new FaultSpec(p.getProperty("fault", "none"),
                Integer.parseInt(p.getProperty("fault-at-segment", "10")),
                Integer.parseInt(p.getProperty("chain-length", "3")),
                Integer.parseInt(p.getProperty("chain-gap-ms", "3000")),
                Double.parseDouble(p.getProperty("churn-percent-per-minute", "30")),
                p.getProperty("churn-leave", "mixed"),
                Long.parseLong(p.getProperty("churn-seed", "1")),
                Integer.parseInt(p.getProperty("slow-seconds", "6")),
                p.getProperty("slow-mode", "sigstop"),
                Double.parseDouble(p.getProperty("slow-rate-mbit", "0.5")),
                Integer.parseInt(p.getProperty("partition-seconds", "10")));
        NetworkSpec network = new NetworkSpec(p.getProperty("network", "loopback"), new LinkShape(
                Double.parseDouble(p.getProperty("link-delay-ms", "0")),
                Double.parseDouble(p.getProperty("link-loss-percent", "0")),
                Double.parseDouble(p.getProperty("link-rate-mbit", "0"))), p.getProperty("link-emulator", "auto"));
        return new Scenario(p.getProperty("name", fallbackName),
                Integer.parseInt(p.getProperty("relays", "8")),
                Integer.parseInt(p.getProperty("k", "3")),
                Integer.parseInt(p.getProperty("m", "1")),
                seconds,
                uplink,
                Double.parseDouble(p.getProperty("ingest-uplink-mbps", Double.toString(uplink))),
                Double.parseDouble(p.getProperty("bitrate-hint-mbps", "5")),
                duration(p.getProperty("heartbeat", "500ms")),
                duration(p.getProperty("dead-after", "2s")),
                p.getProperty("ingest-starts", "together"),
                Integer.parseInt(p.getProperty("child-queue-shards", "0")),
                switch (p.getProperty("relay-jvm", "quick")) {
                    case "quick" -> false;
                    case "steady" -> true;
                    default -> throw new IllegalArgumentException("relay-jvm: quick | steady");
                },
                Integer.parseInt(p.getProperty("relay-heap-mb", "0")),
                source, fault, network,
                Integer.parseInt(p.getProperty("viewers-per-relay", "1")),
                Integer.parseInt(p.getProperty("viewers-at-segment", "0")),
                Integer.parseInt(p.getProperty("probe-poll-ms", "0")),
                switch (p.getProperty("probe-reload", "block")) {
                    case "block" -> true;
                    case "poll" -> false;
                    default -> throw new IllegalArgumentException("probe-reload: block | poll");
                },
                Integer.parseInt(p.getProperty("warmup-segments", "0")),
                p.getProperty("baseline", "none"),
                Integer.parseInt(p.getProperty("baseline-depth", "2")),
                Integer.parseInt(p.getProperty("end-followers", "0")),
                p.getProperty("standby-ingest", ""));
    }

    /** {@code 500ms}, {@code 1s}, {@code 1.5s}: the forms Quarkus takes for the same settings. */
    static Duration duration(String text) {
        String t = text.strip();
        if (t.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
        }
        if (t.endsWith("s")) {
            return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
        }
        throw new IllegalArgumentException("duration needs ms or s: " + text);
    }
}
