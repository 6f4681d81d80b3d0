package io.stripecast.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stripecast.crds.Limits;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.regex.Pattern;

/**
 * A structural validator for the subset of OpenAPI v3 that the generated CRDs use, applied the way the API server
 * applies it: defaults first (for fields of objects that are present), then type, properties, required,
 * unknown fields (rejected, as kubectl's strict field validation does), minimum/maximum with the boolean
 * exclusiveMinimum/exclusiveMaximum, pattern, minLength/maxLength, items, maxItems, additionalProperties, anyOf with x-kubernetes-int-or-string.
 * <p>
 * CEL rules (x-kubernetes-validations) cannot be evaluated in Java. Each rule the CRDs hold has a hand-written
 * Java equivalent in {@link #CEL_BY_HAND}, keyed by the exact rule text; a rule with no equivalent is reported as an
 * error, so a new rule in the model makes this validator fail until someone writes its check here.
 */
final class CrdSchema {
    /** The CEL rules of the LiveStream and RelayPool CRDs, checked by hand on the defaulted object. */
    static final Map<String, BiFunction<JsonNode, String, String>> CEL_BY_HAND = Map.of(
            "self.k + self.m <= " + Limits.MAX_STRIPES,
            (spec, path) -> spec.path("k").asInt() + spec.path("m").asInt() <= Limits.MAX_STRIPES
                    ? null : path + ": k + m must be at most " + Limits.MAX_STRIPES,
            "has(self.push) != has(self.pull)",
            (ingest, path) -> ingest.has("push") != ingest.has("pull")
                    ? null : path + ": set exactly one of ingest.push and ingest.pull",
            "self.minReplicas <= self.maxReplicas",
            (autoscaling, path) -> autoscaling.path("minReplicas").asInt() <= autoscaling.path("maxReplicas").asInt()
                    ? null : path + ": minReplicas must not exceed maxReplicas");

    final String group;
    final String version;
    final String kind;
    final JsonNode openApi;

    private CrdSchema(String group, String version, String kind, JsonNode openApi) {
        this.group = group;
        this.version = version;
        this.kind = kind;
        this.openApi = openApi;
    }

    /** The schema of the one served version of a generated CRD. */
    static CrdSchema of(JsonNode crd) {
        JsonNode spec = crd.path("spec");
        JsonNode versions = spec.path("versions");
        if (versions.size() != 1) {
            throw new IllegalStateException("expected one version in " + crd.at("/metadata/name"));
        }
        JsonNode v = versions.get(0);
        return new CrdSchema(spec.path("group").asText(), v.path("name").asText(), spec.at("/names/kind").asText(),
                v.at("/schema/openAPIV3Schema"));
    }

    /** Every CEL rule text in a schema, wherever it sits. */
    static List<String> celRules(JsonNode schema) {
        List<String> rules = new ArrayList<>();
        schema.findValues("x-kubernetes-validations").forEach(list -> list.forEach(r -> rules.add(r.path("rule").asText())));
        return rules;
    }

    /** Errors of one custom resource as the API server would see it; empty when it is valid. */
    List<String> validate(JsonNode resource) {
        List<String> errors = new ArrayList<>();
        String apiVersion = group + "/" + version;
        if (!apiVersion.equals(resource.path("apiVersion").asText())) {
            errors.add("apiVersion: expected " + apiVersion + ", got " + resource.path("apiVersion"));
        }
        if (!kind.equals(resource.path("kind").asText())) {
            errors.add("kind: expected " + kind + ", got " + resource.path("kind"));
        }
        String name = resource.at("/metadata/name").asText("");
        if (!Pattern.matches(Limits.DNS_SUBDOMAIN, name)) {
            errors.add("metadata.name: '" + name + "' is not a DNS subdomain");
        }
        // apiVersion, kind and metadata are the API server's; the schema covers the rest.
        ObjectNode body = resource.deepCopy();
        body.remove(List.of("apiVersion", "kind", "metadata"));
        applyDefaults(body, openApi);
        check(body, openApi, "", errors);
        return errors;
    }

    /** Errors of a value against a (sub)schema, after defaulting; path prefixes the messages. */
    static List<String> validateValue(JsonNode value, JsonNode schema, String path) {
        JsonNode copy = value.deepCopy();
        applyDefaults(copy, schema);
        List<String> errors = new ArrayList<>();
        check(copy, schema, path, errors);
        return errors;
    }

    /** Fills in defaults for missing fields of every object present, as the API server does before validating. */
    static void applyDefaults(JsonNode value, JsonNode schema) {
        if (value instanceof ObjectNode obj && schema.has("properties")) {
            Iterator<Map.Entry<String, JsonNode>> props = schema.path("properties").fields();
            while (props.hasNext()) {
                Map.Entry<String, JsonNode> p = props.next();
                if (!obj.has(p.getKey()) && p.getValue().has("default")) {
                    obj.set(p.getKey(), p.getValue().get("default").deepCopy());
                }
                if (obj.has(p.getKey())) {
                    applyDefaults(obj.get(p.getKey()), p.getValue());
                }
            }
        } else if (value != null && value.isArray() && schema.has("items")) {
            value.forEach(item -> applyDefaults(item, schema.get("items")));
        }
    }

    private static void check(JsonNode value, JsonNode schema, String path, List<String> errors) {
        String at = path.isEmpty() ? "<root>" : path;
        if (schema.has("anyOf")) {
            boolean intOrString = schema.path("x-kubernetes-int-or-string").asBoolean(false);
            if (intOrString ? !(value.isIntegralNumber() || value.isTextual()) : noneMatches(value, schema.get("anyOf"), path)) {
                errors.add(at + ": matches none of anyOf");
            }
            return;
        }
        String type = schema.path("type").asText("");
        switch (type) {
            case "object" -> checkObject(value, schema, path, errors);
            case "array" -> {
                if (!value.isArray()) {
                    errors.add(at + ": expected an array");
                    return;
                }
                if (schema.has("maxItems") && value.size() > schema.get("maxItems").asInt()) {
                    errors.add(at + ": more than " + schema.get("maxItems").asInt() + " items");
                }
                for (int i = 0; i < value.size(); i++) {
                    check(value.get(i), schema.path("items"), path + "[" + i + "]", errors);
                }
            }
            case "string" -> {
                if (!value.isTextual()) {
                    errors.add(at + ": expected a string, got " + value.getNodeType());
                    return;
                }
                if (schema.has("pattern") && !Pattern.compile(schema.get("pattern").asText()).matcher(value.asText()).find()) {
                    errors.add(at + ": '" + value.asText() + "' does not match pattern " + schema.get("pattern").asText());
                }
                // The API server counts characters (code points), as Go's utf8.RuneCountInString does.
                int length = value.asText().codePointCount(0, value.asText().length());
                if (schema.has("maxLength") && length > schema.get("maxLength").asInt()) {
                    errors.add(at + ": longer than " + schema.get("maxLength").asInt() + " characters");
                }
                if (schema.has("minLength") && length < schema.get("minLength").asInt()) {
                    errors.add(at + ": shorter than " + schema.get("minLength").asInt() + " characters");
                }
            }
            case "integer" -> {
                if (!value.isIntegralNumber()) {
                    errors.add(at + ": expected an integer, got " + value);
                    return;
                }
                checkRange(value.asDouble(), schema, at, errors);
            }
            case "number" -> {
                if (!value.isNumber()) {
                    errors.add(at + ": expected a number, got " + value);
                    return;
                }
                checkRange(value.asDouble(), schema, at, errors);
            }
            case "boolean" -> {
                if (!value.isBoolean()) {
                    errors.add(at + ": expected a boolean, got " + value);
                }
            }
            default -> errors.add(at + ": schema type '" + type + "' is outside the subset this validator knows");
        }
        for (JsonNode rule : schema.path("x-kubernetes-validations")) {
            BiFunction<JsonNode, String, String> byHand = CEL_BY_HAND.get(rule.path("rule").asText());
            if (byHand == null) {
                errors.add(at + ": CEL rule '" + rule.path("rule").asText() + "' has no hand-written check in CrdSchema");
            } else {
                String error = byHand.apply(value, at);
                if (error != null) {
                    errors.add(error);
                }
            }
        }
    }

    private static void checkObject(JsonNode value, JsonNode schema, String path, List<String> errors) {
        String at = path.isEmpty() ? "<root>" : path;
        if (!value.isObject()) {
            errors.add(at + ": expected an object, got " + value.getNodeType());
            return;
        }
        for (JsonNode required : schema.path("required")) {
            if (!value.has(required.asText())) {
                errors.add(prefix(path) + required.asText() + ": required");
            }
        }
        JsonNode props = schema.path("properties");
        JsonNode additional = schema.get("additionalProperties");
        boolean preserveUnknown = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        value.fields().forEachRemaining(field -> {
            String fieldPath = prefix(path) + field.getKey();
            if (props.has(field.getKey())) {
                check(field.getValue(), props.get(field.getKey()), fieldPath, errors);
            } else if (additional != null && additional.isObject()) {
                check(field.getValue(), additional, fieldPath, errors);
            } else if (!preserveUnknown) {
                errors.add(fieldPath + ": unknown field");
            }
        });
    }

    private static void checkRange(double v, JsonNode schema, String at, List<String> errors) {
        if (schema.has("minimum")) {
            double min = schema.get("minimum").asDouble();
            boolean exclusive = schema.path("exclusiveMinimum").asBoolean(false);
            if (exclusive ? v <= min : v < min) {
                errors.add(at + ": " + v + " must be " + (exclusive ? "> " : ">= ") + min);
            }
        }
        if (schema.has("maximum")) {
            double max = schema.get("maximum").asDouble();
            boolean exclusive = schema.path("exclusiveMaximum").asBoolean(false);
            if (exclusive ? v >= max : v > max) {
                errors.add(at + ": " + v + " must be " + (exclusive ? "< " : "<= ") + max);
            }
        }
    }

    private static boolean noneMatches(JsonNode value, JsonNode alternatives, String path) {
        for (JsonNode alt : alternatives) {
            List<String> errs = new ArrayList<>();
            check(value, alt, path, errs);
            if (errs.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private static String prefix(String path) {
        return path.isEmpty() ? "" : path + ".";
    }
}
