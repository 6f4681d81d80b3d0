package io.stripecast.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stripecast.lab.cluster.FreePorts;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A controller and relays r0..r(n-1) as processes on loopback; r0 ingests every stream. */
final class ControllerCluster implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    /** The relays' drain token (GET /admin/drain on the management port). */
    static final String DRAIN_TOKEN = "e2e-drain-token";

    final Path dir;
    final int controllerHttp = FreePorts.next();
    final int controllerGrpc = FreePorts.next();
    final Map<String, String> controllerSettings;
    final Map<String, JavaService> relays = new LinkedHashMap<>();
    JavaService controller;

    private ControllerCluster(Path dir, Map<String, String> controllerSettings) {
        this.dir = dir;
        this.controllerSettings = controllerSettings;
    }

    /**
     * @param streams   controller settings for the streams (stripecast.streams.*)
     * @param uplinkMbps each relay's advertised uplink: small enough that trees get interior relays
     */
    static ControllerCluster start(Path dir, int relayCount, Map<String, String> streams, double uplinkMbps) throws IOException {
        HlsCheck.deleteRecursively(dir);
        Map<String, String> settings = new LinkedHashMap<>(streams);
        settings.put("stripecast.controller.heartbeat", "500ms");
        settings.put("stripecast.controller.dead-after", "2s");
        settings.put("stripecast.controller.adopt-for", "3s");
        ControllerCluster c = new ControllerCluster(dir, settings);
        c.controller = c.startController("controller-1");
        for (int i = 0; i < relayCount; i++) {
            c.addRelay("r" + i, uplinkMbps);
        }
        c.controller.awaitReady();
        c.relays.values().forEach(JavaService::awaitReady);
        return c;
    }

    /** Starts one more relay process on this cluster's controller (not waited for). */
    JavaService addRelay(String id, double uplinkMbps) throws IOException {
        Map<String, String> relay = new LinkedHashMap<>();
        relay.put("stripecast.relay.controller", "127.0.0.1:" + controllerGrpc);
        relay.put("stripecast.relay.uplink-mbps", Double.toString(uplinkMbps));
        relay.put("stripecast.relay.reconnect-max", "1s");
        relay.put("stripecast.relay.on-demand-wait", "20s");
        relay.put("stripecast.relay.on-demand-idle", "5s");
        relay.put("stripecast.relay.drain-token", DRAIN_TOKEN);
        JavaService service = JavaService.relay(id, FreePorts.next(), FreePorts.next(), relay, dir.resolve("logs"));
        relays.put(id, service);
        return service;
    }

    JavaService startController(String id) throws IOException {
        return JavaService.controller(id, controllerHttp, controllerGrpc, controllerSettings, dir.resolve("logs"));
    }

    JavaService relay(String id) {
        return relays.get(id);
    }

    JsonNode forest(String stream) throws IOException, InterruptedException {
        return JSON.readTree(controller.getText("/api/v1/streams/" + stream + "/forest"));
    }

    /** Per stripe, child -> parent, as the controller's topology API shows it. */
    List<Map<String, String>> parents(String stream) throws IOException, InterruptedException {
        List<Map<String, String>> out = new ArrayList<>();
        for (JsonNode stripe : forest(stream).get("stripes")) {
            Map<String, String> m = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = stripe.get("parents").fields(); it.hasNext(); ) {
                var e = it.next();
                m.put(e.getKey(), e.getValue().asText());
            }
            out.add(m);
        }
        return out;
    }

    /** An interior relay (one with children) other than the ingest, and the stripe it is interior in. */
    Map.Entry<String, Integer> anInteriorRelay(String stream) throws IOException, InterruptedException {
        JsonNode f = forest(stream);
        for (JsonNode stripe : f.get("stripes")) {
            for (Iterator<Map.Entry<String, JsonNode>> it = stripe.get("children").fields(); it.hasNext(); ) {
                var e = it.next();
                if (!e.getKey().equals(f.get("root").asText()) && e.getValue().asInt() > 0) {
                    return Map.entry(e.getKey(), stripe.get("stripe").asInt());
                }
            }
        }
        throw new AssertionError("no interior relay besides the root in " + f);
    }

    @Override
    public void close() {
        relays.values().forEach(JavaService::close);
        if (controller != null) {
            controller.close();
        }
    }
}
