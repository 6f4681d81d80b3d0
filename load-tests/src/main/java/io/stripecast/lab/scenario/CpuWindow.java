package io.stripecast.lab.scenario;

import io.stripecast.lab.cluster.JavaService;
import io.stripecast.lab.cluster.LocalCluster;
import io.stripecast.lab.cluster.PromText;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the lab's {@code cpu_seconds_per_gb} counts: the relays' CPU (utime + stime) and the shard and playback
 * bytes they sent between two snapshots, the first once the warm-up is over (the source's first
 * {@code warmup-segments}; at the source's start when there is none), the second once the source ended and
 * every relay listed every segment, before the lab's own end-of-run checks download every relay's segments to
 * compare checksums. So the figure leaves out the JVMs' start, the warm-up (C2 compiling the hot path) and the
 * verification traffic, which were up to half of the relays' CPU in a short run (LAB.md, "What the CPU figure
 * counts").
 */
final class CpuWindow {

    /** Per relay id, at one moment: CPU seconds, shard bytes out, playback bytes out; and the players' bytes. */
    record Snapshot(long atMillis, Map<String, Double> cpu, Map<String, Double> shardBytes, Map<String, Double> playbackBytes,
                    long playerBytes) {
    }

    private CpuWindow() {
    }

    static Snapshot take(LocalCluster cluster, ViewerSet viewers) {
        Map<String, Double> cpu = new TreeMap<>();
        Map<String, Double> shards = new TreeMap<>();
        Map<String, Double> playback = new TreeMap<>();
        for (var e : cluster.relays().entrySet()) {
            JavaService relay = e.getValue();
            if (!relay.isAlive()) {
                continue;
            }
            cpu.put(e.getKey(), relay.cpuSeconds());
            try {
                PromText prom = new PromText(relay.getText("/q/metrics"));
                shards.put(e.getKey(), prom.sum("stripecast_relay_shard_bytes_out_total"));
                playback.put(e.getKey(), prom.sum("stripecast_relay_playback_bytes_total"));
            } catch (IOException unreachable) {
                // A relay frozen or cut off by the fault: its bytes count from its next snapshot.
            } catch (InterruptedException e2) {
                Thread.currentThread().interrupt();
            }
        }
        return new Snapshot(System.currentTimeMillis(), cpu, shards, playback, viewers.bytesReceived());
    }

    /**
     * The window's totals over the relays alive at its end: CPU seconds, bytes sent (shards + playback) and
     * bytes the players received. A relay that started inside the window counts from its start (JVM start
     * included); one that died inside it counts nothing (its CPU is gone with its process).
     */
    record Totals(double cpuSeconds, double bytesSent, double playerBytes, double seconds) {
        double cpuSecondsPerGb() {
            return bytesSent == 0 ? 0 : cpuSeconds / (bytesSent / 1e9);
        }
    }

    static Totals between(Snapshot start, Snapshot end) {
        double cpu = 0;
        double bytes = 0;
        for (var e : end.cpu().entrySet()) {
            cpu += Math.max(0, e.getValue() - start.cpu().getOrDefault(e.getKey(), 0.0));
        }
        for (var e : end.shardBytes().entrySet()) {
            bytes += Math.max(0, e.getValue() - start.shardBytes().getOrDefault(e.getKey(), 0.0));
        }
        for (var e : end.playbackBytes().entrySet()) {
            bytes += Math.max(0, e.getValue() - start.playbackBytes().getOrDefault(e.getKey(), 0.0));
        }
        return new Totals(cpu, bytes, Math.max(0, end.playerBytes() - start.playerBytes()), (end.atMillis() - start.atMillis()) / 1000.0);
    }
}
