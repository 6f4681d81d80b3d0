package io.stripecast.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stripecast.crds.Limits;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample custom resources (k8s/samples and the chart's optional RelayPool and LiveStream) against the
 * openAPIV3Schema the build generated, through {@link CrdSchema}; negative cases show that the validator catches
 * what the API server would reject.
 */
class SampleResourcesTest {
    static CrdSchema liveStream;
    static CrdSchema relayPool;
    static List<JsonNode> crds = new ArrayList<>();

    @BeforeAll
    static void loadGeneratedSchemas() {
        for (String crd : GeneratedCrds.files().values()) {
            JsonNode node = Yaml.documents(crd).get(0);
            crds.add(node);
            CrdSchema schema = CrdSchema.of(node);
            switch (schema.kind) {
                case "LiveStream" -> liveStream = schema;
                case "RelayPool" -> relayPool = schema;
                default -> throw new IllegalStateException("unexpected CRD " + schema.kind);
            }
        }
        assertThat(liveStream).isNotNull();
        assertThat(relayPool).isNotNull();
    }

    static List<JsonNode> k8sSamples() throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (Stream<Path> files = Files.list(Repo.K8S.resolve("samples"))) {
            for (Path p : (Iterable<Path>) files.sorted()::iterator) {
                docs.addAll(Yaml.documents(Repo.read(p)));
            }
        }
        return docs;
    }

    @Test
    void everyCelRuleInTheCrdsHasAHandWrittenCheck() {
        Set<String> rules = new TreeSet<>();
        crds.forEach(crd -> rules.addAll(CrdSchema.celRules(crd)));
        assertThat(rules).isEqualTo(CrdSchema.CEL_BY_HAND.keySet());
    }

    @Test
    void everyDefaultInTheSchemasSatisfiesItsOwnSchema() {
        for (JsonNode crd : crds) {
            CrdSchema schema = CrdSchema.of(crd);
            List<String> errors = new ArrayList<>();
            walkDefaults(schema.openApi, "", errors);
            assertThat(errors).as(schema.kind).isEmpty();
        }
    }

    @Test
    void k8sSamplesHoldAPoolAPushAndAPullStreamAndTheKeySecret() throws IOException {
        List<JsonNode> docs = k8sSamples();
        assertThat(kinds(docs, "RelayPool")).hasSize(1);
        assertThat(kinds(docs, "Secret")).hasSize(1);
        assertThat(kinds(docs, "LiveStream")).extracting(ls -> ls.at("/spec/ingest").fieldNames().next())
                .containsExactlyInAnyOrder("push", "pull");
        assertThat(docs).allSatisfy(d -> assertThat(d.at("/metadata/namespace").isMissingNode())
                .as("samples take the namespace from kubectl -n").isTrue());
    }

    @Test
    void k8sSampleResourcesValidateAgainstTheGeneratedSchemas() throws IOException {
        for (JsonNode doc : k8sSamples()) {
            assertValid(doc);
        }
    }

    @Test
    void k8sSampleStreamsReferToTheSamplePoolAndKeySecret() throws IOException {
        assertReferencesResolve(k8sSamples());
    }

    @Test
    void chartSampleResourcesValidateAndReferToEachOther() {
        Manifests m = Chart.render(Chart.allOn());
        assertThat(m.ofKind("RelayPool")).hasSize(1);
        assertThat(m.ofKind("LiveStream")).hasSize(1);
        m.objects().forEach(SampleResourcesTest::assertValid);
        assertReferencesResolve(m.objects());
    }

    @Test
    void chartRelayPoolTakesAnySpecTheCrdAllows() {
        Manifests m = Chart.render(Map.of("relayPool.create", true, "relayPool.name", "big",
                "relayPool.spec.autoscaling.enabled", true, "relayPool.spec.autoscaling.maxReplicas", 50,
                "relayPool.spec.zones.maxSkew", 2, "relayPool.spec.serviceType", "LoadBalancer"));
        JsonNode pool = m.get("RelayPool", "big");
        assertValid(pool);
        assertThat(pool.at("/spec/autoscaling/maxReplicas").asInt()).isEqualTo(50);
    }

    @Test
    void chartSampleStreamTakesItsCodeAndMeshFromValues() {
        Manifests m = Chart.render(Map.of("sampleStream.create", true, "sampleStream.publisherKey.value", "k",
                "sampleStream.k", 6, "sampleStream.m", 2, "sampleStream.carriage", "on-demand",
                "sampleStream.mesh.enabled", true, "sampleStream.mesh.maxPeers", 4));
        JsonNode stream = m.get("LiveStream", "demo");
        assertValid(stream);
        assertThat(stream.at("/spec/k").asInt()).isEqualTo(6);
        assertThat(stream.at("/spec/mesh/maxPeers").asInt()).isEqualTo(4);
    }

    // ---- the validator catches what the API server rejects

    static Stream<Arguments> badLiveStreams() {
        return Stream.of(
                bad("k below its minimum", s -> s.put("k", 0), "spec.k: 0.0 must be >= 1.0"),
                bad("k above its maximum", s -> s.put("k", 33), "spec.k: 33.0 must be <= 32.0"),
                bad("k not an integer", s -> s.put("k", "3"), "spec.k: expected an integer"),
                bad("k a fraction", s -> s.put("k", 2.5), "spec.k: expected an integer"),
                bad("an unknown field", s -> s.put("stripes", 4), "spec.stripes: unknown field"),
                bad("an unknown nested field", s -> ((ObjectNode) s.at("/ingest/push")).put("key", "inline"),
                        "spec.ingest.push.key: unknown field"),
                bad("a pool name that is no DNS label", s -> s.put("relayPool", "Edge_Pool"),
                        "spec.relayPool: 'Edge_Pool' does not match pattern"),
                bad("a pool name over 40 characters", s -> s.put("relayPool", "a".repeat(41)),
                        "spec.relayPool: '" + "a".repeat(41) + "' does not match pattern"),
                bad("a carriage that does not exist", s -> s.put("carriage", "some"), "spec.carriage: 'some' does not match"),
                bad("a missing required field", s -> s.remove("relayPool"), "spec.relayPool: required"),
                bad("a zero bitrate (exclusive minimum)", s -> s.put("bitrateHintMbps", 0), "spec.bitrateHintMbps: 0.0 must be > 0.0"),
                bad("a window below 4 s", s -> s.put("windowSeconds", 3), "spec.windowSeconds: 3.0 must be >= 4.0"),
                bad("k + m above 32 (CEL)", s -> s.put("k", 30).put("m", 3), "spec: k + m must be at most 32"),
                bad("k = 32 with the defaulted m = 1 (CEL after defaults)", s -> {
                    s.put("k", 32);
                    s.remove("m");
                }, "spec: k + m must be at most 32"),
                bad("both push and pull (CEL)", s -> ((ObjectNode) s.get("ingest")).putObject("pull").put("url", "http://o/x.m3u8"),
                        "spec.ingest: set exactly one of ingest.push and ingest.pull"),
                bad("neither push nor pull (CEL)", s -> ((ObjectNode) s.get("ingest")).remove("push"),
                        "spec.ingest: set exactly one of ingest.push and ingest.pull"),
                bad("a pull URL that is not http(s)", s -> {
                    ObjectNode ingest = (ObjectNode) s.get("ingest");
                    ingest.remove("push");
                    ingest.putObject("pull").put("url", "ftp://origin/x.m3u8");
                }, "spec.ingest.pull.url: 'ftp://origin/x.m3u8' does not match"),
                bad("a pull URL over 2048 characters", s -> {
                    ObjectNode ingest = (ObjectNode) s.get("ingest");
                    ingest.remove("push");
                    ingest.putObject("pull").put("url", "http://origin/" + "a".repeat(2030) + ".m3u8");
                }, "spec.ingest.pull.url: longer than 2048 characters"),
                bad("a secret key name with a slash", s -> ((ObjectNode) s.at("/ingest/push/keySecretRef")).put("key", "a/b"),
                        "spec.ingest.push.keySecretRef.key: 'a/b' does not match"),
                bad("an ICE server that is no stun:/turn: URL", s -> s.putObject("mesh").putArray("iceServers").addObject()
                        .put("url", "http://169.254.169.254/"), "spec.mesh.iceServers[0].url: 'http://169.254.169.254/' does not match"),
                bad("more than 8 ICE servers", s -> {
                    var servers = s.putObject("mesh").putArray("iceServers");
                    for (int i = 0; i < 9; i++) {
                        servers.addObject().put("url", "stun:stun" + i + ".example.com");
                    }
                }, "spec.mesh.iceServers: more than 8 items"),
                bad("an ICE transport policy that does not exist", s -> s.putObject("mesh").put("iceTransportPolicy", "none"),
                        "spec.mesh.iceTransportPolicy: 'none' does not match"),
                bad("a TURN credential lifetime below 60 s", s -> s.putObject("mesh").put("turnCredentialTtlSeconds", 30),
                        "spec.mesh.turnCredentialTtlSeconds: 30.0 must be >= 60.0"),
                bad("playback signing without a Secret", s -> s.putObject("playback").putObject("signing"),
                        "spec.playback.signing.secretRef: required"),
                bad("a playback signing Secret name that is no DNS name", s -> s.putObject("playback").putObject("signing")
                        .putObject("secretRef").put("name", "Signing_Key"), "spec.playback.signing.secretRef.name: 'Signing_Key' does not match"),
                bad("an unknown playback field", s -> s.putObject("playback").put("open", true), "spec.playback.open: unknown field"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badLiveStreams")
    void validatorRejectsABadLiveStream(String what, Consumer<ObjectNode> breakIt, String expectedError) throws IOException {
        JsonNode good = sample("livestream-push.yaml");
        assertThat(liveStream.validate(good)).isEmpty();
        ObjectNode bad = good.deepCopy();
        breakIt.accept((ObjectNode) bad.get("spec"));
        assertThat(liveStream.validate(bad)).as(what).anySatisfy(e -> assertThat(e).contains(expectedError));
    }

    static Stream<Arguments> badRelayPools() {
        return Stream.of(
                bad("negative replicas", s -> s.put("replicas", -1), "spec.replicas: -1.0 must be >= 0.0"),
                bad("a zero uplink (exclusive minimum)", s -> s.put("uplinkMbps", 0), "spec.uplinkMbps: 0.0 must be > 0.0"),
                bad("a Service type Kubernetes has but the pool does not take", s -> s.put("serviceType", "ExternalName"),
                        "spec.serviceType: 'ExternalName' does not match"),
                bad("minReplicas above maxReplicas (CEL)", s -> ((ObjectNode) s.get("autoscaling")).put("minReplicas", 30),
                        "spec.autoscaling: minReplicas must not exceed maxReplicas"),
                bad("minReplicas above the defaulted maxReplicas (CEL after defaults)", s -> {
                    ObjectNode a = (ObjectNode) s.get("autoscaling");
                    a.remove("maxReplicas");
                    a.put("minReplicas", 11);
                }, "spec.autoscaling: minReplicas must not exceed maxReplicas"),
                bad("a CPU target above 100 %", s -> ((ObjectNode) s.get("autoscaling")).put("targetCpuPercent", 101),
                        "spec.autoscaling.targetCpuPercent: 101.0 must be <= 100.0"),
                bad("a resource quantity that is an object", s -> ((ObjectNode) s.at("/resources/limits")).putObject("cpu"),
                        "spec.resources.limits.cpu: matches none of anyOf"),
                bad("an unknown zone setting", s -> ((ObjectNode) s.get("zones")).put("zone", "a"), "spec.zones.zone: unknown field"),
                bad("an image reference with a space", s -> s.put("image", "repo/image: 1"), "spec.image: 'repo/image: 1' does not match"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRelayPools")
    void validatorRejectsABadRelayPool(String what, Consumer<ObjectNode> breakIt, String expectedError) throws IOException {
        JsonNode good = sample("relaypool.yaml");
        assertThat(relayPool.validate(good)).isEmpty();
        ObjectNode bad = good.deepCopy();
        breakIt.accept((ObjectNode) bad.get("spec"));
        assertThat(relayPool.validate(bad)).as(what).anySatisfy(e -> assertThat(e).contains(expectedError));
    }

    @Test
    void validatorRejectsTheWrongKindOrGroup() throws IOException {
        ObjectNode stream = sample("livestream-push.yaml").deepCopy();
        assertThat(relayPool.validate(stream)).anySatisfy(e -> assertThat(e).startsWith("kind:"));
        stream.put("apiVersion", "stripecast.io/v1");
        assertThat(liveStream.validate(stream)).anySatisfy(e -> assertThat(e).startsWith("apiVersion:"));
    }

    // ---- helpers

    static Arguments bad(String what, Consumer<ObjectNode> breakIt, String expectedError) {
        return Arguments.of(what, breakIt, expectedError);
    }

    static JsonNode sample(String file) {
        return Yaml.document(Repo.K8S.resolve("samples").resolve(file));
    }

    static List<JsonNode> kinds(List<JsonNode> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
    }

    static void assertValid(JsonNode doc) {
        String kind = doc.path("kind").asText();
        String id = kind + "/" + doc.at("/metadata/name").asText();
        switch (kind) {
            case "LiveStream" -> assertThat(liveStream.validate(doc)).as(id).isEmpty();
            case "RelayPool" -> {
                assertThat(relayPool.validate(doc)).as(id).isEmpty();
                // The pool's name prefixes <pool>-ingest and <pool>-data: it must be a short DNS label.
                assertThat(doc.at("/metadata/name").asText()).as(id).matches(Pattern.compile(Limits.DNS_LABEL));
            }
            case "Secret" -> {
                assertThat(doc.path("apiVersion").asText()).isEqualTo("v1");
                assertThat(doc.has("data") || doc.has("stringData")).as(id).isTrue();
            }
            default -> {
                // not a sample resource
            }
        }
    }

    /** Every LiveStream names a RelayPool and (push) a Secret key that the same set of documents holds. */
    static void assertReferencesResolve(List<JsonNode> docs) {
        Set<String> pools = new TreeSet<>();
        kinds(docs, "RelayPool").forEach(p -> pools.add(p.at("/metadata/name").asText()));
        Set<String> secretKeys = new TreeSet<>();
        for (JsonNode secret : kinds(docs, "Secret")) {
            for (String field : List.of("data", "stringData")) {
                secret.path(field).fieldNames().forEachRemaining(k -> secretKeys.add(secret.at("/metadata/name").asText() + "/" + k));
            }
        }
        for (JsonNode stream : kinds(docs, "LiveStream")) {
            String id = "LiveStream/" + stream.at("/metadata/name").asText();
            assertThat(pools).as(id + " relayPool").contains(stream.at("/spec/relayPool").asText());
            JsonNode ref = stream.at("/spec/ingest/push/keySecretRef");
            if (!ref.isMissingNode()) {
                assertThat(secretKeys).as(id + " keySecretRef").contains(ref.path("name").asText() + "/" + ref.path("key").asText("key"));
            }
        }
    }

    private static void walkDefaults(JsonNode schema, String path, List<String> errors) {
        Iterator<Map.Entry<String, JsonNode>> props = schema.path("properties").fields();
        while (props.hasNext()) {
            Map.Entry<String, JsonNode> p = props.next();
            JsonNode prop = p.getValue();
            String at = path.isEmpty() ? p.getKey() : path + "." + p.getKey();
            if (prop.has("default")) {
                // The API server refuses a CRD whose defaults do not validate against their own schema.
                errors.addAll(CrdSchema.validateValue(prop.get("default"), prop, at));
            }
            walkDefaults(prop, at, errors);
            if (prop.has("items")) {
                walkDefaults(prop.get("items"), at + "[]", errors);
            }
        }
    }
}
