package io.stripecast.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * helm/stripecast linted and rendered through helm-java with default values and with each optional part on;
 * the assertions read the rendered YAML: kinds, names, labels, selectors that match, probes, env, RBAC.
 */
class ChartRenderTest {
    static final String CONTROLLER = "stripecast-controller";
    static final Map<String, String> CONTROLLER_POD_LABELS = Map.of(
            "app.kubernetes.io/name", "stripecast-controller",
            "app.kubernetes.io/instance", Chart.RELEASE,
            "app.kubernetes.io/component", "controller",
            "app.kubernetes.io/part-of", "stripecast");
    /** Labels of the relay pods the operator creates (the contract with controller/.../k8s). */
    static final Map<String, String> RELAY_POD_LABELS = Map.of(
            "app.kubernetes.io/name", "stripecast-relay",
            "app.kubernetes.io/instance", "edge",
            "app.kubernetes.io/component", "relay",
            "app.kubernetes.io/part-of", "stripecast",
            "stripecast.io/pool", "edge");

    /** Kinds the chart may ever render: all namespaced (the operator has no cluster-wide rights or objects). */
    static final Set<String> NAMESPACED_KINDS = Set.of("ServiceAccount", "Role", "RoleBinding", "Service", "Deployment",
            "NetworkPolicy", "PodDisruptionBudget", "ServiceMonitor", "PodMonitor", "ConfigMap", "Secret", "RelayPool",
            "LiveStream");

    static Stream<String> optionalParts() {
        return Chart.OPTIONAL_PARTS.keySet().stream();
    }

    @Test
    void lintPassesWithDefaultValues() {
        assertLintPasses(Map.of());
    }

    @ParameterizedTest
    @MethodSource("optionalParts")
    void lintPassesWithEachOptionalPartSwitchedOn(String part) {
        assertLintPasses(Chart.OPTIONAL_PARTS.get(part));
    }

    @Test
    void lintPassesWithEveryOptionalPartOnAtOnce() {
        assertLintPasses(Chart.allOn());
    }

    /**
     * Shows that lint really sees the values it is given (helm-java's lint takes none; Chart copies the chart with
     * them). Note that Helm's lint reports a missing `required` value only as INFO: the template tests cover that.
     */
    @Test
    void strictLintFailsOnAnObjectNameKubernetesWouldReject() {
        LintResult result = Chart.lint(Map.of("fullnameOverride", "Bad_Name"));
        assertThat(result.isFailed()).isTrue();
        assertThat(String.join("\n", result.getMessages())).contains("Bad_Name-controller");
    }

    @Test
    void defaultRenderingHoldsExactlyTheControllerItsRbacAndTheNetworkPolicies() {
        Manifests m = Chart.render(Map.of());
        assertThat(m.names()).containsExactlyInAnyOrder(
                "ServiceAccount/" + CONTROLLER, "Role/" + CONTROLLER, "RoleBinding/" + CONTROLLER,
                "Service/" + CONTROLLER, "Deployment/" + CONTROLLER,
                "NetworkPolicy/stripecast-relay", "NetworkPolicy/" + CONTROLLER);
    }

    @ParameterizedTest
    @MethodSource("optionalParts")
    void eachOptionalPartAddsOnlyItsOwnObjects(String part) {
        Set<String> base = Chart.render(Map.of()).names();
        Set<String> with = Chart.render(Chart.OPTIONAL_PARTS.get(part)).names();
        Set<String> added = new TreeSet<>(with);
        added.removeAll(base);
        Set<String> removed = new TreeSet<>(base);
        removed.removeAll(with);
        Map<String, Set<String>> expectedAdded = Map.of(
                "serviceMonitor", Set.of("ServiceMonitor/" + CONTROLLER, "PodMonitor/stripecast-relay"),
                "dashboard", Set.of("ConfigMap/stripecast-dashboard"),
                "relayPool", Set.of("RelayPool/edge"),
                "sampleStream", Set.of("LiveStream/demo", "Secret/demo-publisher-key"),
                "controllerPdb", Set.of("PodDisruptionBudget/" + CONTROLLER),
                "noNetworkPolicy", Set.of());
        assertThat(added).as(part).isEqualTo(expectedAdded.get(part));
        assertThat(removed).as(part).isEqualTo(part.equals("noNetworkPolicy")
                ? Set.of("NetworkPolicy/stripecast-relay", "NetworkPolicy/" + CONTROLLER) : Set.of());
    }

    @Test
    void everyObjectIsNamespacedInTheReleaseNamespaceAndLabelled() {
        Manifests m = Chart.render(Chart.allOn());
        assertThat(m.objects()).isNotEmpty();
        for (JsonNode o : m.objects()) {
            String id = o.path("kind").asText() + "/" + o.at("/metadata/name").asText();
            assertThat(NAMESPACED_KINDS).as(id).contains(o.path("kind").asText());
            assertThat(o.at("/metadata/namespace").asText()).as(id).isEqualTo(Chart.NAMESPACE);
            assertThat(Manifests.labels(o.at("/metadata/labels"))).as(id)
                    .containsEntry("app.kubernetes.io/part-of", "stripecast")
                    .containsEntry("app.kubernetes.io/managed-by", "Helm")
                    .containsEntry("app.kubernetes.io/instance", Chart.RELEASE)
                    .containsKey("helm.sh/chart");
        }
    }

    @Test
    void renderingIsDeterministic() {
        assertThat(Chart.template(Chart.allOn())).isEqualTo(Chart.template(Chart.allOn()));
    }

    @Test
    void controllerDeploymentRunsTwoReplicasOfTheControllerAsTheContractSays() {
        Manifests m = Chart.render(Map.of());
        JsonNode deployment = m.get("Deployment", CONTROLLER);
        JsonNode pod = deployment.at("/spec/template");
        assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(2);
        assertThat(Manifests.labels(pod.at("/metadata/labels"))).containsAllEntriesOf(CONTROLLER_POD_LABELS);
        assertSelects(deployment.at("/spec/selector/matchLabels"), pod.at("/metadata/labels"));
        assertThat(pod.at("/spec/serviceAccountName").asText()).isEqualTo(CONTROLLER);

        JsonNode container = onlyContainer(pod);
        assertThat(texts(container.path("args"))).containsExactly("controller");
        assertThat(container.path("image").asText()).isEqualTo("ghcr.io/stripecast/stripecast:" + appVersion());
        assertThat(containerPorts(container)).isEqualTo(Map.of("http", 8090, "grpc", 9200, "management", 9001));

        assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/q/health/live");
        assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/q/health/ready");
        assertThat(containerPorts(container).get(container.at("/livenessProbe/httpGet/port").asText())).isEqualTo(9001);
        assertThat(containerPorts(container).get(container.at("/readinessProbe/httpGet/port").asText())).isEqualTo(9001);
    }

    @Test
    void controllerEnvironmentTellsTheOperatorItsIdentityAddressesImageAndLease() {
        JsonNode container = onlyContainer(Chart.render(Map.of()).get("Deployment", CONTROLLER).at("/spec/template"));
        List<String> order = new ArrayList<>();
        Map<String, JsonNode> env = new HashMap<>();
        container.path("env").forEach(e -> {
            order.add(e.path("name").asText());
            env.put(e.path("name").asText(), e);
        });
        assertThat(env.get("STRIPECAST_OPERATOR_ENABLED").path("value").asText()).isEqualTo("true");
        assertThat(env.get("STRIPECAST_CONTROLLER_ID").at("/valueFrom/fieldRef/fieldPath").asText()).isEqualTo("metadata.name");
        assertThat(env.get("POD_IP").at("/valueFrom/fieldRef/fieldPath").asText()).isEqualTo("status.podIP");
        assertThat(env.get("STRIPECAST_CONTROLLER_ADVERTISE_ADDRESS").path("value").asText()).isEqualTo("$(POD_IP):9200");
        // Kubernetes expands $(POD_IP) only when POD_IP is defined earlier in the list.
        assertThat(order.indexOf("POD_IP")).isLessThan(order.indexOf("STRIPECAST_CONTROLLER_ADVERTISE_ADDRESS"));
        assertThat(env.get("STRIPECAST_OPERATOR_CONTROLLER_ADDRESS").path("value").asText())
                .isEqualTo(CONTROLLER + "." + Chart.NAMESPACE + ".svc:9200");
        assertThat(env.get("STRIPECAST_OPERATOR_RELAY_IMAGE").path("value").asText()).isEqualTo(container.path("image").asText());
        assertThat(env.get("STRIPECAST_OPERATOR_LEASE_NAME").path("value").asText()).isEqualTo(CONTROLLER + "-leader");
        assertThat(env.get("QUARKUS_OPERATOR_SDK_NAMESPACES").path("value").asText()).isEqualTo("JOSDK_WATCH_CURRENT");
        assertThat(env.get("QUARKUS_OPERATOR_SDK_CRD_VALIDATE").path("value").asText()).isEqualTo("false");
    }

    @Test
    void controllerRunsAsNonRootOnAReadOnlyRootFilesystemWithATmpEmptyDir() {
        JsonNode pod = Chart.render(Map.of()).get("Deployment", CONTROLLER).at("/spec/template/spec");
        JsonNode container = pod.path("containers").get(0);
        assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.at("/securityContext/runAsUser").asInt()).isPositive();
        assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(container.at("/securityContext/allowPrivilegeEscalation").asBoolean(true)).isFalse();
        assertThat(texts(container.at("/securityContext/capabilities/drop"))).containsExactly("ALL");
        assertThat(container.path("volumeMounts").get(0).path("mountPath").asText()).isEqualTo("/tmp");
        String volume = container.path("volumeMounts").get(0).path("name").asText();
        JsonNode tmp = pod.path("volumes").get(0);
        assertThat(tmp.path("name").asText()).isEqualTo(volume);
        assertThat(tmp.has("emptyDir")).isTrue();
        assertThat(container.at("/resources/requests/cpu").asText()).isNotEmpty();
        assertThat(container.at("/resources/limits/memory").asText()).isNotEmpty();
    }

    @Test
    void controllerServiceSelectsTheControllerPodsOnNamedPorts() {
        Manifests m = Chart.render(Map.of());
        JsonNode service = m.get("Service", CONTROLLER);
        JsonNode pod = m.get("Deployment", CONTROLLER).at("/spec/template");
        assertThat(service.at("/spec/type").asText()).isEqualTo("ClusterIP");
        assertSelects(service.at("/spec/selector"), pod.at("/metadata/labels"));
        assertThat(selects(service.at("/spec/selector"), RELAY_POD_LABELS)).isFalse();
        Map<String, Integer> ports = new TreeMap<>();
        Map<String, Integer> targets = containerPorts(onlyContainer(pod));
        service.at("/spec/ports").forEach(p -> {
            ports.put(p.path("name").asText(), p.path("port").asInt());
            assertThat(targets).containsKey(p.path("targetPort").asText());
            assertThat(targets.get(p.path("targetPort").asText())).isEqualTo(p.path("port").asInt());
        });
        assertThat(ports).isEqualTo(Map.of("grpc", 9200, "management", 9001));
    }

    @Test
    void rbacGrantsExactlyWhatTheReconcilersTouchInTheReleaseNamespaceOnly() {
        Manifests m = Chart.render(Chart.allOn());
        assertThat(m.ofKind("ClusterRole")).isEmpty();
        assertThat(m.ofKind("ClusterRoleBinding")).isEmpty();
        JsonNode role = m.get("Role", CONTROLLER);
        Set<String> grants = new TreeSet<>();
        for (JsonNode rule : role.path("rules")) {
            assertThat(rule.has("resourceNames")).as("no resourceNames needed").isFalse();
            assertThat(rule.has("nonResourceURLs")).isFalse();
            for (JsonNode group : rule.path("apiGroups")) {
                for (JsonNode resource : rule.path("resources")) {
                    for (JsonNode verb : rule.path("verbs")) {
                        grants.add(group.asText() + "|" + resource.asText() + "|" + verb.asText());
                    }
                }
            }
        }
        Set<String> expected = new TreeSet<>();
        grant(expected, "stripecast.io", List.of("livestreams", "relaypools"), "get", "list", "watch", "patch", "update");
        grant(expected, "stripecast.io", List.of("livestreams/status", "relaypools/status"), "get", "patch", "update");
        grant(expected, "stripecast.io", List.of("livestreams/finalizers", "relaypools/finalizers"), "update");
        String[] owned = {"get", "list", "watch", "create", "update", "patch", "delete"};
        grant(expected, "apps", List.of("deployments"), owned);
        grant(expected, "", List.of("services"), owned);
        grant(expected, "autoscaling", List.of("horizontalpodautoscalers"), owned);
        grant(expected, "policy", List.of("poddisruptionbudgets"), owned);
        // Read publisher keys; create the cluster CA's Secret and each pool's drain-token Secret once (create; patch for
        // server-side apply), never update or delete them (issue 16).
        grant(expected, "", List.of("secrets"), "get", "list", "watch", "create", "patch");
        grant(expected, "", List.of("pods"), "get");
        grant(expected, "coordination.k8s.io", List.of("leases"), "get", "list", "watch", "create", "update", "patch");
        grant(expected, "", List.of("events"), "create", "patch");
        assertThat(grants).isEqualTo(expected);

        JsonNode binding = m.get("RoleBinding", CONTROLLER);
        assertThat(binding.at("/roleRef/kind").asText()).isEqualTo("Role");
        assertThat(binding.at("/roleRef/name").asText()).isEqualTo(CONTROLLER);
        assertThat(binding.path("subjects")).hasSize(1);
        assertThat(binding.at("/subjects/0/kind").asText()).isEqualTo("ServiceAccount");
        assertThat(binding.at("/subjects/0/name").asText())
                .isEqualTo(m.get("Deployment", CONTROLLER).at("/spec/template/spec/serviceAccountName").asText())
                .isEqualTo(m.get("ServiceAccount", CONTROLLER).at("/metadata/name").asText());
        assertThat(binding.at("/subjects/0/namespace").asText()).isEqualTo(Chart.NAMESPACE);
    }

    @Test
    void relayPolicyAdmitsTheDataPlaneOnlyFromRelaysAndHttpFromAnyone() {
        JsonNode policy = Chart.render(Map.of()).get("NetworkPolicy", "stripecast-relay");
        assertThat(texts(policy.at("/spec/policyTypes"))).containsExactly("Ingress");
        assertThat(Manifests.labels(policy.at("/spec/podSelector/matchLabels"))).isEqualTo(Map.of("app.kubernetes.io/name", "stripecast-relay"));
        assertThat(selects(policy.at("/spec/podSelector/matchLabels"), RELAY_POD_LABELS)).isTrue();
        assertThat(ingressRules(policy)).isEqualTo(Map.of(9100, "relays", 8080, "anyone", 9000, "namespace+monitoring"));
    }

    @Test
    void controllerPolicyAdmitsTheControlPlaneOnlyFromRelaysAndHttpFromAnyone() {
        Manifests m = Chart.render(Map.of());
        JsonNode policy = m.get("NetworkPolicy", CONTROLLER);
        assertThat(texts(policy.at("/spec/policyTypes"))).containsExactly("Ingress");
        assertSelects(policy.at("/spec/podSelector/matchLabels"), m.get("Deployment", CONTROLLER).at("/spec/template/metadata/labels"));
        assertThat(selects(policy.at("/spec/podSelector/matchLabels"), RELAY_POD_LABELS)).isFalse();
        assertThat(ingressRules(policy)).isEqualTo(Map.of(9200, "relays", 8090, "anyone", 9001, "namespace+monitoring"));
    }

    @Test
    void serviceMonitorIsLeftOutWhereThePrometheusOperatorsApiIsNotServed() {
        // helm template serves no monitoring.coreos.com/v1, as a cluster without the Prometheus Operator.
        Manifests m = Chart.render(Map.of("serviceMonitor.enabled", true));
        assertThat(m.ofKind("ServiceMonitor")).isEmpty();
        assertThat(m.ofKind("PodMonitor")).isEmpty();
    }

    @Test
    void controllerHeapDirectMemoryMetaspaceAndCodeCacheFitItsMemoryLimit() {
        JsonNode container = onlyContainer(Chart.render(Map.of()).get("Deployment", CONTROLLER).at("/spec/template"));
        String opts = env(container, "JAVA_OPTS");
        long limit = mebibytes(container.at("/resources/limits/memory").asText());
        double heapShare = Double.parseDouble(option(opts, "-XX:MaxRAMPercentage=")) / 100;
        long direct = mebibytes(option(opts, "-XX:MaxDirectMemorySize="));
        long metaspace = mebibytes(option(opts, "-XX:MaxMetaspaceSize="));
        long codeCache = mebibytes(option(opts, "-XX:ReservedCodeCacheSize="));
        // ~60 threads (gRPC, Vert.x, the operator's informers) at -Xss512k, and 32 MiB for the JVM itself.
        long threads = 60 / 2;
        long total = Math.round(limit * heapShare) + direct + metaspace + codeCache + threads + 32;
        assertThat(total).as(opts + " within " + limit + " MiB").isLessThanOrEqualTo(limit);
    }

    @Test
    void relayPodsGetTheChartsImagePullSecretsThroughTheController() {
        JsonNode container = onlyContainer(Chart.render(Map.of("imagePullSecrets[0].name", "regcred", "imagePullSecrets[1].name", "mirror"))
                .get("Deployment", CONTROLLER).at("/spec/template"));
        assertThat(env(container, "STRIPECAST_OPERATOR_IMAGE_PULL_SECRETS")).isEqualTo("regcred,mirror");
        JsonNode without = onlyContainer(Chart.render(Map.of()).get("Deployment", CONTROLLER).at("/spec/template"));
        assertThat(env(without, "STRIPECAST_OPERATOR_IMAGE_PULL_SECRETS")).isNull();
    }

    @Test
    void byDefaultTheControllerKeepsTheClusterCaAndIssuesCertificatesAndPlaintextIsAnExplicitChoice() {
        JsonNode tls = onlyContainer(Chart.render(Map.of()).get("Deployment", CONTROLLER).at("/spec/template"));
        assertThat(env(tls, "STRIPECAST_TLS_PLAINTEXT")).isEqualTo("false");
        assertThat(env(tls, "STRIPECAST_TLS_CLUSTER_CA_SECRET")).isEqualTo("stripecast-cluster-ca");
        assertThat(env(tls, "STRIPECAST_TLS_CLUSTER_CA_CERT_SECRET")).isEqualTo("stripecast-cluster-ca-cert");
        assertThat(env(tls, "STRIPECAST_TLS_LEAF_LIFETIME")).isEqualTo("24h");
        JsonNode plaintext = onlyContainer(Chart.render(Map.of("tls.plaintext", true)).get("Deployment", CONTROLLER).at("/spec/template"));
        assertThat(env(plaintext, "STRIPECAST_TLS_PLAINTEXT")).isEqualTo("true");
        assertThat(env(plaintext, "STRIPECAST_TLS_CLUSTER_CA_SECRET")).isNull();
        assertThat(env(plaintext, "STRIPECAST_TLS_CLUSTER_CA_CERT_SECRET")).isNull();
    }

    @Test
    void theCaRotationTimesReachTheControllerAndTheThresholdDefaultsToTheControllers() {
        JsonNode defaults = onlyContainer(Chart.render(Map.of()).get("Deployment", CONTROLLER).at("/spec/template"));
        assertThat(env(defaults, "STRIPECAST_TLS_CA_PROPAGATION_DELAY")).isEqualTo("2m");
        assertThat(env(defaults, "STRIPECAST_TLS_CA_RENEW_BEFORE")).as("empty: a fifth of the CA's lifetime").isNull();
        JsonNode set = onlyContainer(Chart.render(Map.of("tls.caRenewBefore", "400d", "tls.caPropagationDelay", "5m"))
                .get("Deployment", CONTROLLER).at("/spec/template"));
        assertThat(env(set, "STRIPECAST_TLS_CA_RENEW_BEFORE")).isEqualTo("400d");
        assertThat(env(set, "STRIPECAST_TLS_CA_PROPAGATION_DELAY")).isEqualTo("5m");
    }

    static String env(JsonNode container, String name) {
        for (JsonNode e : container.path("env")) {
            if (name.equals(e.path("name").asText())) {
                return e.path("value").asText();
            }
        }
        return null;
    }

    static String option(String opts, String prefix) {
        for (String o : opts.split("\\s+")) {
            if (o.startsWith(prefix)) {
                return o.substring(prefix.length());
            }
        }
        throw new AssertionError("no " + prefix + " in " + opts);
    }

    static long mebibytes(String size) {
        String s = size.replace("Mi", "m").replace("Gi", "g").toLowerCase();
        long n = Long.parseLong(s.substring(0, s.length() - 1));
        return switch (s.charAt(s.length() - 1)) {
            case 'g' -> n * 1024;
            case 'm' -> n;
            case 'k' -> n / 1024;
            default -> throw new AssertionError("size " + size);
        };
    }

    @Test
    void serviceMonitorScrapesTheControllerServiceAndPodMonitorTheRelays() {
        Manifests m = Chart.render(Map.of("serviceMonitor.enabled", true, "serviceMonitor.assumeApi", true,
                "serviceMonitor.labels.release", "prometheus"));
        JsonNode service = m.get("Service", CONTROLLER);
        JsonNode sm = m.get("ServiceMonitor", CONTROLLER);
        assertThat(sm.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(Manifests.labels(sm.at("/metadata/labels"))).containsEntry("release", "prometheus");
        assertSelects(sm.at("/spec/selector/matchLabels"), service.at("/metadata/labels"));
        assertThat(sm.at("/spec/endpoints")).hasSize(1);
        assertThat(sm.at("/spec/endpoints/0/port").asText()).isEqualTo("management");
        assertThat(sm.at("/spec/endpoints/0/path").asText()).isEqualTo("/q/metrics");
        Set<String> servicePorts = new TreeSet<>();
        service.at("/spec/ports").forEach(p -> servicePorts.add(p.path("name").asText()));
        assertThat(servicePorts).contains("management");

        JsonNode pm = m.get("PodMonitor", "stripecast-relay");
        assertThat(pm.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(selects(pm.at("/spec/selector/matchLabels"), RELAY_POD_LABELS)).isTrue();
        assertThat(selects(pm.at("/spec/selector/matchLabels"), CONTROLLER_POD_LABELS)).isFalse();
        assertThat(pm.at("/spec/podMetricsEndpoints/0/port").asText()).isEqualTo("management");
        assertThat(pm.at("/spec/podMetricsEndpoints/0/path").asText()).isEqualTo("/q/metrics");
    }

    @Test
    void controllerPdbKeepsOneControllerThroughVoluntaryDisruptions() {
        Manifests m = Chart.render(Map.of("controller.pdb.enabled", true));
        JsonNode pdb = m.get("PodDisruptionBudget", CONTROLLER);
        assertThat(pdb.path("apiVersion").asText()).isEqualTo("policy/v1");
        assertThat(pdb.at("/spec/minAvailable").asInt()).isEqualTo(1);
        assertSelects(pdb.at("/spec/selector/matchLabels"), m.get("Deployment", CONTROLLER).at("/spec/template/metadata/labels"));
    }

    @Test
    void dashboardConfigMapCarriesTheSidecarLabelAndTheDashboardJson() throws Exception {
        Manifests m = Chart.render(Map.of("dashboard.enabled", true, "dashboard.annotations.grafana_folder", "video"));
        JsonNode cm = m.get("ConfigMap", "stripecast-dashboard");
        assertThat(Manifests.labels(cm.at("/metadata/labels"))).containsEntry("grafana_dashboard", "1");
        assertThat(cm.at("/metadata/annotations/grafana_folder").asText()).isEqualTo("video");
        JsonNode rendered = Yaml.JSON.readTree(cm.at("/data/stripecast.json").asText());
        JsonNode file = Yaml.JSON.readTree(Repo.CHART.resolve("files/stripecast-dashboard.json").toFile());
        assertThat(rendered).isEqualTo(file);
    }

    @Test
    void sampleStreamWithoutAPublisherKeyFailsWithAMessageThatSaysWhatToSet() {
        assertThatThrownBy(() -> Chart.template(Map.of("sampleStream.create", true)))
                .hasMessageContaining("sampleStream.publisherKey.value is required");
    }

    @Test
    void sampleStreamUsesTheDefaultPoolAndItsPublisherKeySecret() {
        Manifests m = Chart.render(Chart.allOn());
        JsonNode stream = m.get("LiveStream", "demo");
        JsonNode secret = m.get("Secret", "demo-publisher-key");
        assertThat(stream.at("/spec/relayPool").asText()).isEqualTo(m.get("RelayPool", "edge").at("/metadata/name").asText());
        assertThat(stream.at("/spec/ingest/push/keySecretRef/name").asText()).isEqualTo("demo-publisher-key");
        String key = stream.at("/spec/ingest/push/keySecretRef/key").asText();
        assertThat(new String(java.util.Base64.getDecoder().decode(secret.at("/data/" + key).asText()))).isEqualTo(Chart.SAMPLE_KEY);
    }

    @Test
    void sampleStreamCanNameAnExistingSecretInstead() {
        Manifests m = Chart.render(Map.of("sampleStream.create", true, "sampleStream.publisherKey.create", false,
                "sampleStream.publisherKey.secretName", "my-key", "sampleStream.publisherKey.key", "token"));
        assertThat(m.ofKind("Secret")).isEmpty();
        JsonNode ref = m.get("LiveStream", "demo").at("/spec/ingest/push/keySecretRef");
        assertThat(ref.path("name").asText()).isEqualTo("my-key");
        assertThat(ref.path("key").asText()).isEqualTo("token");
    }

    @Test
    void imageSettingsReachTheControllerAndTheRelaysItCreates() {
        JsonNode container = onlyContainer(Chart.render(Map.of("image.repository", "registry.local/sc", "image.tag", "1.2.3",
                "image.pullPolicy", "Always")).get("Deployment", CONTROLLER).at("/spec/template"));
        assertThat(container.path("image").asText()).isEqualTo("registry.local/sc:1.2.3");
        assertThat(container.path("imagePullPolicy").asText()).isEqualTo("Always");
        assertThat(envValue(container, "STRIPECAST_OPERATOR_RELAY_IMAGE")).isEqualTo("registry.local/sc:1.2.3");
    }

    @Test
    void fullnameOverrideRenamesTheObjectsAndTheAddressesBuiltFromThem() {
        Manifests m = Chart.render(Map.of("fullnameOverride", "sc"));
        JsonNode container = onlyContainer(m.get("Deployment", "sc-controller").at("/spec/template"));
        assertThat(envValue(container, "STRIPECAST_OPERATOR_CONTROLLER_ADDRESS")).isEqualTo("sc-controller.stripecast.svc:9200");
        assertThat(envValue(container, "STRIPECAST_OPERATOR_LEASE_NAME")).isEqualTo("sc-controller-leader");
        assertThat(m.get("RoleBinding", "sc-controller").at("/subjects/0/name").asText()).isEqualTo("sc-controller");
        assertThat(m.get("Service", "sc-controller")).isNotNull();
        // Pods keep their fixed names: the operator and the NetworkPolicies select on them.
        assertThat(Manifests.labels(m.get("Deployment", "sc-controller").at("/spec/template/metadata/labels")))
                .containsEntry("app.kubernetes.io/name", "stripecast-controller");
    }

    // ---- helpers

    private static void assertLintPasses(Map<String, Object> values) {
        LintResult result = Chart.lint(values);
        assertThat(result.isFailed()).as("helm lint --strict with %s: %s", values, result.getMessages()).isFalse();
        assertThat(result.getMessages()).as("lint messages with %s", values)
                .allSatisfy(msg -> assertThat(msg).doesNotContain("[ERROR]", "[WARNING]"));
    }

    private static void grant(Set<String> into, String group, List<String> resources, String... verbs) {
        for (String r : resources) {
            for (String v : verbs) {
                into.add(group + "|" + r + "|" + v);
            }
        }
    }

    /** port -> "relays" (from relay pods only) or "anyone" (no from clause); fails on any other shape. */
    private static Map<Integer, String> ingressRules(JsonNode policy) {
        Map<Integer, String> out = new TreeMap<>();
        for (JsonNode rule : policy.at("/spec/ingress")) {
            String who;
            if (!rule.has("from")) {
                who = "anyone";
            } else if (rule.path("from").size() == 2 && rule.path("from").get(0).path("podSelector").isObject()
                    && rule.path("from").get(0).path("podSelector").isEmpty() && rule.path("from").get(1).has("namespaceSelector")) {
                // The management port: every pod of this namespace, and the monitoring namespaces only.
                assertThat(rule.path("from").get(1).has("podSelector")).isFalse();
                assertThat(Manifests.labels(rule.path("from").get(1).at("/namespaceSelector/matchLabels")))
                        .isEqualTo(Map.of("kubernetes.io/metadata.name", "monitoring"));
                who = "namespace+monitoring";
            } else {
                assertThat(rule.path("from")).hasSize(1);
                JsonNode peer = rule.path("from").get(0);
                assertThat(peer.has("namespaceSelector")).as("relays in the same namespace only").isFalse();
                assertThat(peer.has("ipBlock")).isFalse();
                assertThat(Manifests.labels(peer.at("/podSelector/matchLabels"))).isEqualTo(Map.of("app.kubernetes.io/name", "stripecast-relay"));
                who = "relays";
            }
            for (JsonNode port : rule.path("ports")) {
                assertThat(port.path("protocol").asText("TCP")).isEqualTo("TCP");
                assertThat(out.put(port.path("port").asInt(), who)).as("port %s in one rule only", port).isNull();
            }
        }
        return out;
    }

    static void assertSelects(JsonNode selector, JsonNode labels) {
        assertThat(selector.size()).as("selector is empty").isPositive();
        assertThat(Manifests.labels(labels)).containsAllEntriesOf(Manifests.labels(selector));
    }

    static boolean selects(JsonNode selector, Map<String, String> labels) {
        return labels.entrySet().containsAll(Manifests.labels(selector).entrySet());
    }

    static JsonNode onlyContainer(JsonNode podTemplate) {
        assertThat(podTemplate.at("/spec/containers")).hasSize(1);
        return podTemplate.at("/spec/containers/0");
    }

    static Map<String, Integer> containerPorts(JsonNode container) {
        Map<String, Integer> ports = new TreeMap<>();
        container.path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
        return ports;
    }

    static String envValue(JsonNode container, String name) {
        for (JsonNode e : container.path("env")) {
            if (name.equals(e.path("name").asText())) {
                return e.path("value").asText();
            }
        }
        throw new AssertionError("no env " + name);
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static String appVersion() {
        return Yaml.document(Repo.CHART.resolve("Chart.yaml")).path("appVersion").asText();
    }
}
