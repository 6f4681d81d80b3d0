package io.stripecast.relay.topology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stripecast.protocol.Names;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import io.stripecast.relay.trust.AcceptedKeys;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The no-controller mode: a JSON file naming every relay's address and, per stream and stripe,
 * each relay's parent.
 *
 * <pre>
 * {
 *   "relays":  { "ingest": "127.0.0.1:9100", "a": "127.0.0.1:9101", ... },
 *   "streams": { "live": { "root": "ingest",
 *                          "stripes": [ { "a": "ingest", "e1": "a" }, ... ] } }
 * }
 * </pre>
 * Stripe {@code i}'s object maps child id to parent id. A stream may name {@code "ingestKeys"}: base64 raw Ed25519
 * public keys its segments must be signed with; a stream without them is not checked for signatures (this file has no
 * controller to learn an ingest's key from). The file is read once at start.
 */
public final class StaticTopology implements AssignmentSource {
    private static final int MAX_FILE_BYTES = 4 * 1024 * 1024;

    private final String selfId;
    private final Map<String, StreamAssignment> mine = new TreeMap<>();
    /** stream -> stripe -> child -> parent, for {@link #mayServe}. */
    private final Map<String, List<Map<String, String>>> parents = new HashMap<>();

    private StaticTopology(String selfId) {
        this.selfId = selfId;
    }

    public static StaticTopology read(Path file, String selfId) throws IOException {
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IllegalArgumentException("topology file larger than " + MAX_FILE_BYTES + " bytes: " + file);
        }
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        return parse(root, selfId);
    }

    static StaticTopology parse(JsonNode root, String selfId) {
        StaticTopology t = new StaticTopology(selfId);
        Map<String, String> addresses = new HashMap<>();
        JsonNode relays = required(root, "relays");
        for (Iterator<Map.Entry<String, JsonNode>> it = relays.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!Names.isRelayId(e.getKey()) || !e.getValue().isTextual() || !e.getValue().asText().matches("[A-Za-z0-9.:\\[\\]-]+:\\d{1,5}")) {
                throw new IllegalArgumentException("topology: bad relay entry " + e.getKey());
            }
            addresses.put(e.getKey(), e.getValue().asText());
        }
        JsonNode streams = required(root, "streams");
        for (Iterator<Map.Entry<String, JsonNode>> it = streams.fields(); it.hasNext(); ) {
            var e = it.next();
            String stream = e.getKey();
            if (!Names.isStreamName(stream)) {
                throw new IllegalArgumentException("topology: bad stream name " + stream);
            }
            String rootId = required(e.getValue(), "root").asText();
            if (!addresses.containsKey(rootId)) {
                throw new IllegalArgumentException("topology: stream " + stream + " root " + rootId + " is not a listed relay");
            }
            List<Map<String, String>> stripes = new ArrayList<>();
            List<ParentRef> myParents = new ArrayList<>();
            for (JsonNode stripe : required(e.getValue(), "stripes")) {
                Map<String, String> childToParent = new HashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> edges = stripe.fields(); edges.hasNext(); ) {
                    var edge = edges.next();
                    String child = edge.getKey();
                    String parent = edge.getValue().asText();
                    if (!addresses.containsKey(child) || !addresses.containsKey(parent) || child.equals(parent)) {
                        throw new IllegalArgumentException("topology: stream " + stream + " has a bad edge " + child + " -> " + parent);
                    }
                    childToParent.put(child, parent);
                }
                stripes.add(childToParent);
                String myParent = childToParent.get(selfId);
                myParents.add(myParent == null ? null : new ParentRef(myParent, addresses.get(myParent)));
            }
            t.parents.put(stream, stripes);
            AcceptedKeys keys = null;
            JsonNode ingestKeys = e.getValue().get("ingestKeys");
            if (ingestKeys != null) {
                List<byte[]> raw = new ArrayList<>();
                for (JsonNode k : ingestKeys) {
                    raw.add(Base64.getDecoder().decode(k.asText()));
                }
                keys = AcceptedKeys.of(raw);
                if (keys.keys().size() != raw.size()) {
                    throw new IllegalArgumentException("topology: stream " + stream + " has a bad ingest key");
                }
            }
            boolean isRoot = rootId.equals(selfId);
            if (isRoot || myParents.stream().anyMatch(p -> p != null)) {
                t.mine.put(stream, new StreamAssignment(stream, isRoot, myParents, null, false, keys));
            }
        }
        return t;
    }

    @Override
    public void start(Consumer<Map<String, StreamAssignment>> listener) {
        mine.values().stream().filter(a -> !a.root() && a.ingestKeys() == null).forEach(a -> org.jboss.logging.Logger
                .getLogger(StaticTopology.class).warnf("stream %s: the topology file names no ingestKeys; segment signatures"
                        + " are NOT checked on this relay", a.stream()));
        listener.accept(Map.copyOf(mine));
    }

    @Override
    public boolean mayServe(String stream, int stripe, String childId) {
        List<Map<String, String>> stripes = parents.get(stream);
        if (stripes == null || stripe >= stripes.size()) {
            return true;
        }
        String parent = stripes.get(stripe).get(childId);
        return parent == null || parent.equals(selfId);
    }

    private static JsonNode required(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("topology: missing field '" + field + "'");
        }
        return v;
    }
}
