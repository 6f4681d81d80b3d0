package io.stripecast.lab.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.stripecast.lab.cluster.LocalCluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One uplink, many streams, seen from outside: polls the controller's {@code GET /api/v1/relays} about once a second
 * while the source runs and keeps, per relay, the highest planned egress (shards to children in every stream plus
 * measured playback) and the highest measured egress it reports, against its {@code uplink x utilisation}. Writes
 * {@code uplink.json} and a note for the report; the figures are what the controller says, the lab checks them.
 */
final class UplinkWatch implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final LocalCluster cluster;
    private final Thread thread;
    private final Map<String, double[]> byRelay = new TreeMap<>(); // planned max, measured max, limit
    private volatile boolean running = true;
    private int polls;
    private int failedPolls;

    private UplinkWatch(LocalCluster cluster) {
        this.cluster = cluster;
        this.thread = new Thread(this::loop, "uplink-watch");
        this.thread.setDaemon(true);
    }

    static UplinkWatch start(LocalCluster cluster) {
        UplinkWatch w = new UplinkWatch(cluster);
        w.thread.start();
        return w;
    }

    private void loop() {
        long next = System.currentTimeMillis();
        while (running) {
            poll();
            next += 1000;
            long wait = next - System.currentTimeMillis();
            if (wait > 0) {
                // A poll period, not a wait for something to happen: close() interrupts it.
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private void poll() {
        try {
            JsonNode relays = JSON.readTree(cluster.controller().getText("/api/v1/relays"));
            synchronized (byRelay) {
                polls++;
                for (JsonNode r : relays) {
                    double[] f = byRelay.computeIfAbsent(r.path("id").asText(), id -> new double[3]);
                    f[0] = Math.max(f[0], r.path("plannedEgressMbps").asDouble());
                    f[1] = Math.max(f[1], r.path("measuredEgressMbps").asDouble());
                    f[2] = r.path("egressLimitMbps").asDouble();
                }
            }
        } catch (IOException e) {
            synchronized (byRelay) {
                failedPolls++;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Stops polling, writes {@code uplink.json} into {@code dir} and returns the report's note. */
    String finish(Path dir) throws IOException {
        close();
        Map<String, Object> out = new LinkedHashMap<>();
        List<String> plannedOver = new ArrayList<>();
        List<String> measuredOver = new ArrayList<>();
        double plannedRatio = 0;
        double measuredRatio = 0;
        synchronized (byRelay) {
            Map<String, Map<String, Double>> relays = new TreeMap<>();
            for (var e : byRelay.entrySet()) {
                double[] f = e.getValue();
                relays.put(e.getKey(), Map.of("planned_max_mbps", f[0], "measured_max_mbps", f[1], "limit_mbps", f[2]));
                if (f[2] > 0) {
                    plannedRatio = Math.max(plannedRatio, f[0] / f[2]);
                    measuredRatio = Math.max(measuredRatio, f[1] / f[2]);
                }
                if (f[0] > f[2] + 1e-6) {
                    plannedOver.add(e.getKey());
                }
                if (f[1] > f[2]) {
                    measuredOver.add(e.getKey());
                }
            }
            out.put("polls", polls);
            out.put("failed_polls", failedPolls);
            out.put("max_planned_to_limit", plannedRatio);
            out.put("max_measured_to_limit", measuredRatio);
            out.put("planned_over_limit", plannedOver);
            out.put("measured_over_limit", measuredOver);
            out.put("relays", relays);
        }
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve("uplink.json").toFile(), out);
        return String.format("uplink budget (%d polls of /api/v1/relays): highest planned egress %.0f %% of uplink x utilisation, "
                        + "highest measured %.0f %%; relays over, planned %s, measured %s", out.get("polls"), plannedRatio * 100,
                measuredRatio * 100, plannedOver, measuredOver);
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
