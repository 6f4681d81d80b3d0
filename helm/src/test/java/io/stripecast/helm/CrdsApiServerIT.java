package io.stripecast.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The CRDs and samples on a real API server: the generated CRDs and both copies (chart and k8s/) are accepted and
 * become Established, every sample in k8s/ is created, and each negative case {@link SampleResourcesTest} holds for
 * our own validator is rejected <em>by the server</em>, naming the same field.
 */
class CrdsApiServerIT {
    static RealApiServer api;
    static KubernetesClient admin;
    static String namespace;

    @BeforeAll
    static void applyTheGeneratedCrds() {
        api = RealApiServer.shared();
        admin = api.admin();
        namespace = api.namespace("crds");
        for (String yaml : GeneratedCrds.files().values()) {
            applyCrd(yaml);
        }
    }

    static void applyCrd(String yaml) {
        CustomResourceDefinition crd = Serialization.unmarshal(yaml, CustomResourceDefinition.class);
        admin.apiextensions().v1().customResourceDefinitions().resource(crd).forceConflicts().serverSideApply();
        String name = crd.getMetadata().getName();
        await(name + " established").atMost(Duration.ofSeconds(30)).until(() -> {
            var status = admin.apiextensions().v1().customResourceDefinitions().withName(name).get().getStatus();
            return status != null && status.getConditions().stream()
                    .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
        });
    }

    @Test
    void theChartsAndK8sCopiesOfTheCrdsApplyAndAreEstablished() throws Exception {
        List<Path> copies = new ArrayList<>();
        for (Path dir : List.of(Repo.CHART.resolve("crds"), Repo.K8S.resolve("crds"))) {
            try (Stream<Path> files = Files.list(dir)) {
                files.sorted().forEach(copies::add);
            }
        }
        assertThat(copies).hasSize(4);
        for (Path copy : copies) {
            applyCrd(Files.readString(copy));
        }
        for (CustomResourceDefinition crd : admin.apiextensions().v1().customResourceDefinitions().list().getItems()) {
            if (crd.getSpec().getGroup().equals("stripecast.io")) {
                assertThat(crd.getStatus().getConditions()).as(crd.getMetadata().getName())
                        .noneMatch(c -> "NonStructuralSchema".equals(c.getType()) && "True".equals(c.getStatus()));
            }
        }
    }

    @Test
    void everySampleInK8sIsAcceptedAsWritten() throws Exception {
        String ns = api.namespace("samples");
        List<JsonNode> samples = SampleResourcesTest.k8sSamples();
        assertThat(samples).hasSizeGreaterThanOrEqualTo(4);
        for (JsonNode sample : samples) {
            create(ns, sample);
        }
        for (JsonNode sample : samples) {
            GenericKubernetesResource stored = admin.genericKubernetesResources(sample.path("apiVersion").asText(),
                    sample.path("kind").asText()).inNamespace(ns).withName(sample.at("/metadata/name").asText()).get();
            assertThat(stored).as(sample.path("kind").asText() + " stored").isNotNull();
        }
    }

    static Stream<Arguments> badResources() {
        List<Arguments> all = new ArrayList<>();
        SampleResourcesTest.badLiveStreams().forEach(a -> all.add(Arguments.of("livestream-push.yaml", a.get()[0], a.get()[1], a.get()[2])));
        SampleResourcesTest.badRelayPools().forEach(a -> all.add(Arguments.of("relaypool.yaml", a.get()[0], a.get()[1], a.get()[2])));
        return all.stream();
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badResources")
    @SuppressWarnings("unchecked")
    void theServerRejectsWhatOurValidatorRejectsAtTheSameField(String sample, String what, Object breakIt, String ourError) {
        ObjectNode bad = SampleResourcesTest.sample(sample).deepCopy();
        ((Consumer<ObjectNode>) breakIt).accept((ObjectNode) bad.get("spec"));
        ((ObjectNode) bad.get("metadata")).put("name", "bad-" + Integer.toHexString(what.hashCode()));
        // Our validator says "<field>: <why>"; the server must name the same field.
        String field = ourError.substring(0, ourError.indexOf(':'));
        KubernetesClientException refused = null;
        try {
            create(namespace, bad);
        } catch (KubernetesClientException e) {
            refused = e;
        }
        assertThat(refused).as(what + ": the API server accepted it").isNotNull();
        assertThat(refused.getCode()).as(what + ": " + refused.getMessage()).isIn(400, 422);
        List<String> fields = refused.getStatus() == null || refused.getStatus().getDetails() == null ? List.of()
                : refused.getStatus().getDetails().getCauses().stream().map(StatusCause::getField).toList();
        assertThat(fields.contains(field) || fields.contains("." + field) || refused.getMessage().contains(field))
                .as(what + ": the server names " + field + ", said: " + refused.getMessage() + " " + fields).isTrue();
        if (what.contains("(CEL")) {
            // The CEL rule's own message reaches the user.
            assertThat(refused.getMessage()).contains(ourError.substring(ourError.indexOf(':') + 2));
        }
    }

    @Test
    void aValidCustomResourceIsAcceptedSoTheRejectionsAboveAreAboutTheirFault() {
        for (String sample : List.of("livestream-push.yaml", "relaypool.yaml")) {
            ObjectNode good = SampleResourcesTest.sample(sample).deepCopy();
            ((ObjectNode) good.get("metadata")).put("name", "good-" + sample.replace(".yaml", ""));
            create(namespace, good);
        }
    }

    /** Creates with strict field validation, as kubectl does since 1.27: an unknown field is an error. */
    static HasMetadata create(String ns, JsonNode resource) {
        GenericKubernetesResource r = Serialization.unmarshal(resource.toString(), GenericKubernetesResource.class);
        r.getMetadata().setNamespace(ns);
        return admin.resource(r).inNamespace(ns).fieldValidation(FieldValidateable.Validation.STRICT).create();
    }
}
