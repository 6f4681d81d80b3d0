package io.stripecast.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/** helm/stripecast rendered and linted through helm-java (Helm's own Go code, no helm binary needed). */
final class Chart {
    static final String RELEASE = "stripecast";
    static final String NAMESPACE = "stripecast";
    /** helm-java's template defaults to Kubernetes 1.20, below the chart's kubeVersion; a real install uses the cluster's. */
    static final String KUBE_VERSION = "1.31.0";
    /** A publisher key for renderings that create the sample stream's Secret. */
    static final String SAMPLE_KEY = "test-publisher-key";

    /** Each optional part of the chart, with the values that switch it on. */
    static final Map<String, Map<String, Object>> OPTIONAL_PARTS = optionalParts();

    private Chart() {
    }

    private static Map<String, Map<String, Object>> optionalParts() {
        Map<String, Map<String, Object>> parts = new LinkedHashMap<>();
        parts.put("serviceMonitor", Map.of("serviceMonitor.enabled", true, "serviceMonitor.assumeApi", true));
        parts.put("dashboard", Map.of("dashboard.enabled", true));
        parts.put("relayPool", Map.of("relayPool.create", true));
        parts.put("sampleStream", Map.of("sampleStream.create", true, "sampleStream.publisherKey.value", SAMPLE_KEY));
        parts.put("controllerPdb", Map.of("controller.pdb.enabled", true));
        parts.put("noNetworkPolicy", Map.of("networkPolicy.enabled", false));
        return parts;
    }

    /** Everything optional switched on at once. */
    static Map<String, Object> allOn() {
        Map<String, Object> all = new LinkedHashMap<>();
        OPTIONAL_PARTS.forEach((part, values) -> {
            if (!part.startsWith("no")) {
                all.putAll(values);
            }
        });
        return all;
    }

    /** `helm template stripecast helm/stripecast -n stripecast --set ...` (CRDs are not part of the output). */
    static String template(Map<String, Object> values) {
        TemplateCommand cmd = new Helm(Repo.CHART).template()
                .withName(RELEASE).withNamespace(NAMESPACE).withKubeVersion(KUBE_VERSION);
        for (Map.Entry<String, Object> v : values.entrySet()) {
            cmd = cmd.set(v.getKey(), v.getValue());
        }
        return cmd.call();
    }

    static Manifests render(Map<String, Object> values) {
        return Manifests.parse(template(values));
    }

    /** What `helm show crds` sees in the chart. */
    static String crds() {
        return new Helm(Repo.CHART).show().crds().call();
    }

    /**
     * `helm lint --strict` with the given values. helm-java's lint takes no values, so the chart is copied to a
     * temporary directory whose values.yaml carries them.
     */
    static LintResult lint(Map<String, Object> values) {
        if (values.isEmpty()) {
            return new Helm(Repo.CHART).lint().strict().call();
        }
        Path copy = null;
        try {
            copy = Files.createTempDirectory("stripecast-chart-");
            Path chart = copy.resolve("stripecast");
            copyTree(Repo.CHART, chart);
            ObjectNode merged = (ObjectNode) Yaml.MAPPER.readTree(Repo.CHART.resolve("values.yaml").toFile());
            values.forEach((key, value) -> set(merged, key, value));
            Yaml.MAPPER.writeValue(chart.resolve("values.yaml").toFile(), merged);
            return new Helm(chart).lint().strict().call();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (copy != null) {
                deleteTree(copy);
            }
        }
    }

    /** Sets a dotted key (as --set takes it) in a values tree. */
    static void set(ObjectNode root, String dottedKey, Object value) {
        String[] parts = dottedKey.split("\\.");
        ObjectNode node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            node = child instanceof ObjectNode o ? o : node.putObject(parts[i]);
        }
        node.set(parts[parts.length - 1], Yaml.MAPPER.valueToTree(value));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory; the OS cleans up what is left
        }
    }
}
