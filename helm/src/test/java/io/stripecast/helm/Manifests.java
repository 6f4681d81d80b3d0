package io.stripecast.helm;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** The objects one rendering produced, looked up by kind and name. */
record Manifests(List<JsonNode> objects) {

    static Manifests parse(String yaml) {
        return new Manifests(Yaml.documents(yaml));
    }

    List<JsonNode> ofKind(String kind) {
        return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
    }

    JsonNode get(String kind, String name) {
        return objects.stream()
                .filter(o -> kind.equals(o.path("kind").asText()) && name.equals(o.at("/metadata/name").asText()))
                .findFirst()
                .orElseThrow(() -> new NoSuchElementException(kind + "/" + name + " not rendered; have " + names()));
    }

    /** kind -> number of objects of that kind. */
    Map<String, Long> kindCounts() {
        return objects.stream().collect(Collectors.groupingBy(o -> o.path("kind").asText(), TreeMap::new, Collectors.counting()));
    }

    Set<String> names() {
        return objects.stream().map(o -> o.path("kind").asText() + "/" + o.at("/metadata/name").asText())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** A label map (or matchLabels) as a plain map. */
    static Map<String, String> labels(JsonNode labelMap) {
        Map<String, String> out = new TreeMap<>();
        labelMap.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }
}
