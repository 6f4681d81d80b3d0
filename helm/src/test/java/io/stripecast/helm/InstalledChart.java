package io.stripecast.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.Release;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.stripecast.lab.cluster.FreePorts;
import io.stripecast.lab.cluster.JavaService;
import io.stripecast.lab.cluster.Placement;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chart installed with helm-java into a namespace of the {@link RealApiServer}, and its controller run as a
 * local process the way the chart's Deployment would run it in a pod: with that Deployment's environment (field
 * references resolved as the kubelet resolves them) and a token of the chart's ServiceAccount, so the controller
 * has exactly the rights of the chart's Role. Pods cannot run here (no kubelet), so the processes stand in for them.
 */
final class InstalledChart {
    static final String RELEASE = "stripecast";
    static final String CONTROLLER = "stripecast-controller";
    private static final Pattern REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    final RealApiServer api;
    final String namespace;
    final Release release;

    private InstalledChart(RealApiServer api, String namespace, Release release) {
        this.api = api;
        this.namespace = namespace;
        this.release = release;
    }

    /** {@code helm install stripecast helm/stripecast -n <namespace> --set ...} against the real API server. */
    static InstalledChart install(RealApiServer api, String namespace, Map<String, Object> values) {
        InstallCommand install = new Helm(Repo.CHART).install().withName(RELEASE).withNamespace(namespace)
                .withKubeConfigContents(api.kubeConfig());
        for (Map.Entry<String, Object> v : values.entrySet()) {
            install = install.set(v.getKey(), v.getValue());
        }
        Release release = install.call();
        assertThat(release.getStatus()).as("helm install").isEqualTo("deployed");
        return new InstalledChart(api, namespace, release);
    }

    /** A release someone else installed (the README's own helm line) in that namespace. */
    static InstalledChart existing(RealApiServer api, String namespace) {
        return new InstalledChart(api, namespace, null);
    }

    /** The chart's controller container as the API server stores it. */
    Container controllerContainer() {
        Deployment d = api.admin().apps().deployments().inNamespace(namespace).withName(CONTROLLER).get();
        assertThat(d).as("the chart's controller Deployment").isNotNull();
        return d.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    /**
     * Starts a controller replica as the chart's pod would run: the Deployment's env, the ServiceAccount's token,
     * the cluster's address and CA (what a pod finds mounted), on free local ports.
     *
     * @param podName  the pod name its fieldRef metadata.name resolves to (the controller id)
     * @param settings extra settings (timings a test shortens); they win over the chart's env
     */
    JavaService startController(String podName, Map<String, String> settings, Path logs) throws IOException {
        int http = FreePorts.next();
        int grpc = FreePorts.next();
        Map<String, String> env = podEnv(controllerContainer(), podName, "127.0.0.1", namespace);
        Map<String, String> s = new LinkedHashMap<>();
        s.put("quarkus.kubernetes-client.api-server-url", api.url());
        s.put("quarkus.kubernetes-client.ca-cert-data", api.caCertData());
        s.put("quarkus.kubernetes-client.token", api.token(namespace, CONTROLLER));
        s.put("quarkus.kubernetes-client.namespace", namespace);
        // The chart's fixed ports are taken by other tests' processes here: the same roles on free ports.
        s.put("stripecast.controller.advertise-address", "127.0.0.1:" + grpc);
        s.putAll(settings);
        return JavaService.controller(podName, Placement.LOOPBACK, http, grpc, s, env, logs);
    }

    /**
     * The cluster CA's certificate as a kubelet would mount it into relay pods from the Secret the controller
     * publishes ({@code <release>-cluster-ca-cert}, key {@code ca.crt}): written as {@code dir/ca.crt}, once the
     * controller has published it.
     */
    Path mountClusterCaCert(Path dir) throws IOException {
        io.fabric8.kubernetes.api.model.Secret published = org.awaitility.Awaitility.await("the CA certificate Secret")
                .atMost(java.time.Duration.ofSeconds(60))
                .until(() -> api.admin().secrets().inNamespace(namespace).withName(RELEASE + "-cluster-ca-cert").get(), s -> s != null);
        assertThat(published.getData()).as("the CA certificate alone, never its key").containsOnlyKeys("ca.crt");
        java.nio.file.Files.createDirectories(dir);
        Path file = dir.resolve("ca.crt");
        java.nio.file.Files.write(file, java.util.Base64.getDecoder().decode(published.getData().get("ca.crt")));
        return file.toAbsolutePath();
    }

    /** A container's environment as the kubelet would give it to a pod: field references and $(VAR) resolved. */
    static Map<String, String> podEnv(Container container, String podName, String podIp, String namespace) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar e : container.getEnv()) {
            String value;
            if (e.getValueFrom() != null) {
                String field = e.getValueFrom().getFieldRef() == null ? null : e.getValueFrom().getFieldRef().getFieldPath();
                value = switch (String.valueOf(field)) {
                    case "metadata.name" -> podName;
                    case "status.podIP" -> podIp;
                    case "metadata.namespace" -> namespace;
                    default -> throw new IllegalStateException("the test cannot resolve env " + e.getName() + " from " + e.getValueFrom());
                };
            } else {
                value = e.getValue() == null ? "" : e.getValue();
            }
            env.put(e.getName(), value);
        }
        // $(VAR) refers to variables defined earlier in the list, as Kubernetes expands them.
        Map<String, String> expanded = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : env.entrySet()) {
            Matcher m = REFERENCE.matcher(e.getValue());
            StringBuilder value = new StringBuilder();
            while (m.find()) {
                String ref = expanded.get(m.group(1));
                m.appendReplacement(value, Matcher.quoteReplacement(ref == null ? m.group() : ref));
            }
            m.appendTail(value);
            expanded.put(e.getKey(), value.toString());
        }
        return expanded;
    }
}
