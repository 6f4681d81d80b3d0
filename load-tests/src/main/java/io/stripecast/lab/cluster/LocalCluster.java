package io.stripecast.lab.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A controller and its relays as processes, placed by a {@link RelayNetwork}: the launcher the lab's
 * scenarios drive. It starts, kills, stops and restarts them and reads the controller's topology API;
 * it never decides what to do (that is the scenario's job). Closing it kills whatever still runs and
 * removes the network.
 *
 * @see Settings
 */
public final class LocalCluster implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param controller       controller system properties (streams, heartbeat, ...)
     * @param relay            properties every relay gets (besides id, ports, controller address and uplink)
     * @param uplinkMbps       each relay's advertised uplink
     * @param ingestId         the relay publishers push to
     * @param ingestUplinkMbps the ingest's own uplink (how many children the planner gives it)
     * @param relayJvm         the relays' JVM flags ({@link JavaService#FAST_START} or {@link JavaService#STEADY})
     */
    public record Settings(Map<String, String> controller, Map<String, String> relay, double uplinkMbps, String ingestId,
                           double ingestUplinkMbps, java.util.List<String> relayJvm) {
        public Settings {
            controller = Map.copyOf(controller);
            relay = Map.copyOf(relay);
            relayJvm = java.util.List.copyOf(relayJvm);
        }
    }

    private final Settings settings;
    private final RelayNetwork network;
    private final Path logs;
    private final Map<String, JavaService> relays = new ConcurrentHashMap<>();
    private final int controllerHttp = FreePorts.next();
    private final int controllerGrpc = FreePorts.next();
    private volatile JavaService controller;
    /** The relay that roots the streams now: the configured ingest, or its standby once that took over. */
    private volatile String ingestId;

    public LocalCluster(Settings settings, RelayNetwork network, Path logs) {
        this.settings = settings;
        this.network = network;
        this.logs = logs;
        this.ingestId = settings.ingestId();
    }

    /** The standby ingest took over from the lost ingest: from now on it is the cluster's ingest. */
    public void ingestFailedOver(String standby) {
        relay(standby);
        ingestId = standby;
    }

    /** Starts (or, after {@link #killController()}, restarts on the same ports) the controller; does not wait. */
    public JavaService startController() throws IOException {
        controller = JavaService.controller("controller", network.controller(), controllerHttp, controllerGrpc, settings.controller(), logs);
        return controller;
    }

    public JavaService controller() {
        return controller;
    }

    public void killController() {
        controller.kill();
    }

    /** Starts relay {@code id} in its place on the network; does not wait for it to be ready. */
    public JavaService startRelay(String id) throws IOException, InterruptedException {
        Placement place = network.relay(id);
        Map<String, String> s = new LinkedHashMap<>(settings.relay());
        s.put("stripecast.relay.controller", network.controller().host() + ":" + controllerGrpc);
        double uplink = id.equals(settings.ingestId()) ? settings.ingestUplinkMbps() : settings.uplinkMbps();
        s.put("stripecast.relay.uplink-mbps", Double.toString(uplink));
        // As relay pods of a plaintext pool run: watched segments are copied and sent to viewers with sendfile, so
        // every scenario's players (and their checks of every byte) go through that path as well as the window.
        s.putIfAbsent("stripecast.playback.segment-files-dir", logs.toAbsolutePath().resolveSibling("segment-files").resolve(id).toString());
        // A scenario's relays have a viewer or two each: copied from the first, or the path would never run here.
        s.putIfAbsent("stripecast.playback.segment-files-min-viewers", "1");
        JavaService r = JavaService.relay(id, place, FreePorts.next(), FreePorts.next(), s, logs, settings.relayJvm());
        relays.put(id, r);
        return r;
    }

    public JavaService relay(String id) {
        JavaService r = relays.get(id);
        if (r == null) {
            throw new IllegalArgumentException("no relay " + id);
        }
        return r;
    }

    /** Every relay started so far, alive or not, by id. */
    public Map<String, JavaService> relays() {
        return Map.copyOf(relays);
    }

    public JavaService ingest() {
        return relay(ingestId);
    }

    public String ingestId() {
        return ingestId;
    }

    /** Where every process of the cluster writes its log, one file each. */
    public Path logs() {
        return logs;
    }

    public RelayNetwork network() {
        return network;
    }

    /** The controller's view of a stream's forest ({@code /api/v1/streams/{s}/forest}). */
    public JsonNode forest(String stream) throws IOException, InterruptedException {
        return JSON.readTree(controller.getText("/api/v1/streams/" + stream + "/forest"));
    }

    @Override
    public void close() {
        relays.values().forEach(JavaService::close);
        if (controller != null) {
            controller.close();
        }
        network.close();
    }
}
