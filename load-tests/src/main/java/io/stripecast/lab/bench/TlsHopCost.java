package io.stripecast.lab.bench;

import io.stripecast.lab.cluster.FreePorts;
import io.stripecast.lab.cluster.JavaService;
import io.stripecast.lab.cluster.Placement;
import io.stripecast.lab.cluster.SyntheticSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/**
 * What mutual TLS costs on one relay hop, in CPU seconds per GB forwarded: an ingest relay and one child (static
 * topology, every stripe from the ingest) as processes with full JIT, a synthetic source pushing segments at a high
 * bitrate; the CPU both processes use in a steady window, divided by the shard bytes the ingest sent, with TLS and
 * with plaintext, alternating so both see the same machine. Writes a Markdown table; asserts nothing.
 *
 * <pre>java -cp load-tests/target/benchmarks.jar io.stripecast.lab.bench.TlsHopCost [rounds] [seconds] [MB/s]</pre>
 */
public final class TlsHopCost {
    private static final String KEY = "tls-hop-publisher-key-0123";

    record Sample(boolean tls, double ingestCpu, double childCpu, double bytes, double seconds) {
        double perGb(double cpu) {
            return cpu / (bytes / 1e9);
        }
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        double mbPerSecond = args.length > 2 ? Double.parseDouble(args[2]) : 8;
        Path dir = Files.createTempDirectory("tls-hop");
        List<Sample> samples = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            for (boolean tls : new boolean[]{false, true}) {
                Sample s = run(dir.resolve("round-" + r + (tls ? "-tls" : "-plain")), tls, seconds, mbPerSecond);
                samples.add(s);
                System.out.printf(Locale.ROOT, "round %d %s: ingest %.2f s, child %.2f s CPU for %.2f GB in %.0f s%n", r,
                        tls ? "TLS" : "plaintext", s.ingestCpu, s.childCpu, s.bytes / 1e9, s.seconds);
            }
        }
        System.out.println();
        System.out.println("| mode | GB forwarded | ingest CPU s/GB | child CPU s/GB | hop (both) CPU s/GB |");
        System.out.println("|---|---|---|---|---|");
        for (Sample s : samples) {
            System.out.printf(Locale.ROOT, "| %s | %.2f | %.1f | %.1f | %.1f |%n", s.tls ? "mutual TLS" : "plaintext", s.bytes / 1e9,
                    s.perGb(s.ingestCpu), s.perGb(s.childCpu), s.perGb(s.ingestCpu + s.childCpu));
        }
    }

    static Sample run(Path dir, boolean tls, int seconds, double mbPerSecond) throws Exception {
        Files.createDirectories(dir);
        int[] ingestPorts = {FreePorts.next(), FreePorts.next()};
        int[] childPorts = {FreePorts.next(), FreePorts.next()};
        Path topology = dir.resolve("topology.json");
        Files.writeString(topology, "{\"relays\": {\"r0\": \"127.0.0.1:" + ingestPorts[1] + "\", \"r1\": \"127.0.0.1:" + childPorts[1]
                + "\"}, \"streams\": {\"live\": {\"root\": \"r0\", \"stripes\": [{\"r1\": \"r0\"}, {\"r1\": \"r0\"}, {\"r1\": \"r0\"}]}}}");
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("stripecast.relay.topology-file", topology.toString());
        settings.put("stripecast.streams.live.k", "2");
        settings.put("stripecast.streams.live.m", "1");
        settings.put("stripecast.streams.live.key", KEY);
        settings.put("stripecast.streams.live.window", "10s");
        if (!tls) {
            settings.put("stripecast.tls.plaintext", "true");
        }
        try (JavaService ingest = JavaService.relay("r0", Placement.LOOPBACK, ingestPorts[0], ingestPorts[1], settings, dir, JavaService.STEADY);
             JavaService child = JavaService.relay("r1", Placement.LOOPBACK, childPorts[0], childPorts[1], settings, dir, JavaService.STEADY)) {
            ingest.awaitReady();
            child.awaitReady();
            int segmentMillis = 500;
            int segmentBytes = (int) (mbPerSecond * 1e6 * segmentMillis / 1000);
            int warmup = 10;
            SyntheticSource source = new SyntheticSource(ingest.base(), List.of("live"), KEY, segmentBytes, segmentMillis, warmup + seconds + 2);
            Thread t = new Thread(source, "synthetic-source");
            t.start();
            await("child receiving").atMost(Duration.ofSeconds(60))
                    .until(() -> child.metric("stripecast_relay_shards_in_total") > 0);
            Thread.sleep(warmup * 1000L); // a fixed measuring window, not synchronisation: JIT warm-up before it
            double ingestCpu0 = ingest.cpuSeconds();
            double childCpu0 = child.cpuSeconds();
            double bytes0 = ingest.metric("stripecast_relay_shard_bytes_out_total");
            long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            double ingestCpu = ingest.cpuSeconds() - ingestCpu0;
            double childCpu = child.cpuSeconds() - childCpu0;
            double bytes = ingest.metric("stripecast_relay_shard_bytes_out_total") - bytes0;
            double elapsed = (System.nanoTime() - t0) / 1e9;
            t.join();
            return new Sample(tls, ingestCpu, childCpu, bytes, elapsed);
        }
    }
}
