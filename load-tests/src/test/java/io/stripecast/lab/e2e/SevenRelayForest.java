package io.stripecast.lab.e2e;

import io.stripecast.lab.cluster.FreePorts;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Seven relay processes wired by a static topology file into k = 2, m = 1 interior-disjoint
 * stripe trees for stream {@code live}:
 * <pre>
 * stripe 0:  ingest -> a -> {a2, b, c};  a2 -> {e1, e2}     (interior: a, a2)
 * stripe 1:  ingest -> b -> {a, a2, c, e1, e2}              (interior: b)
 * stripe 2:  ingest -> c -> {a, a2, b, e1, e2}              (interior: c)
 * </pre>
 * Killing {@code a} orphans {@code a2} in stripe 0 while a2 still feeds e1 and e2 there: a2 must
 * regenerate stripe 0 from stripes 1 and 2.
 */
final class SevenRelayForest implements AutoCloseable {
    static final String STREAM = "live";
    static final String KEY = "e2e-publisher-key";
    static final List<String> IDS = List.of("ingest", "a", "a2", "b", "c", "e1", "e2");

    final Map<String, JavaService> relays = new LinkedHashMap<>();

    static SevenRelayForest start(Path dir, Map<String, String> ingestExtra) throws IOException {
        Map<String, int[]> ports = new LinkedHashMap<>();
        for (String id : IDS) {
            ports.put(id, new int[]{FreePorts.next(), FreePorts.next()});
        }
        Path topology = dir.resolve("topology.json");
        HlsCheck.deleteRecursively(dir);
        Files.createDirectories(dir);
        Files.writeString(topology, topologyJson(ports));
        SevenRelayForest forest = new SevenRelayForest();
        for (String id : IDS) {
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("stripecast.relay.topology-file", topology.toString());
            settings.put("stripecast.streams." + STREAM + ".k", "2");
            settings.put("stripecast.streams." + STREAM + ".m", "1");
            settings.put("stripecast.streams." + STREAM + ".window", "120s");
            settings.put("stripecast.streams." + STREAM + ".key", KEY);
            if (id.equals("ingest")) {
                settings.putAll(ingestExtra);
            }
            int[] p = ports.get(id);
            forest.relays.put(id, JavaService.relay(id, p[0], p[1], settings, dir.resolve("logs")));
        }
        forest.relays.values().forEach(JavaService::awaitReady);
        return forest;
    }

    JavaService relay(String id) {
        return relays.get(id);
    }

    private static String topologyJson(Map<String, int[]> ports) {
        StringBuilder relays = new StringBuilder();
        ports.forEach((id, p) -> relays.append(relays.length() == 0 ? "" : ", ").append('"').append(id).append("\": \"127.0.0.1:")
                .append(p[1]).append('"'));
        return """
                {"relays": {%s},
                 "streams": {"live": {"root": "ingest", "stripes": [
                   {"a": "ingest", "a2": "a", "b": "a", "c": "a", "e1": "a2", "e2": "a2"},
                   {"b": "ingest", "a": "b", "a2": "b", "c": "b", "e1": "b", "e2": "b"},
                   {"c": "ingest", "a": "c", "a2": "c", "b": "c", "e1": "c", "e2": "c"}
                 ]}}}
                """.formatted(relays);
    }

    @Override
    public void close() {
        relays.values().forEach(JavaService::close);
    }
}
