package io.stripecast.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import io.stripecast.lab.cluster.FreePorts;
import io.stripecast.lab.cluster.JavaService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The README's Kubernetes quick start, run line by line against a real API server: {@code helm install} through
 * helm-java (Helm's own Go code) with the line's arguments, every {@code kubectl} line with the kubectl built beside
 * the API server. Then the installed controller (as its pod would run, with the chart's ServiceAccount token) and
 * relays of the sample pool (local processes standing in for the pool's pods) carry the sample stream, and the
 * quick start's last command shows it Ready. If the README's commands stop working, this test fails.
 */
class ReadmeKubernetesApiServerIT {
    static final Pattern QUICK_START = Pattern.compile("## Kubernetes\\s+```sh\\n(.*?)```", Pattern.DOTALL);
    static final Path DIR = Path.of("target", "apiserver-it", "readme");
    private final List<JavaService> processes = new ArrayList<>();

    @AfterEach
    void stop() {
        processes.forEach(JavaService::close);
    }

    /** The quick start's commands, continuation lines joined, comments and blank lines dropped. */
    static List<String> quickStart() {
        Matcher m = QUICK_START.matcher(Repo.read(Repo.ROOT.resolve("README.md")));
        assertThat(m.find()).as("README.md has a sh block right under '## Kubernetes'").isTrue();
        List<String> commands = new ArrayList<>();
        for (String line : m.group(1).replace("\\\n", " ").split("\n")) {
            String command = line.replaceAll("\\s+#.*$", "").strip();
            if (!command.isEmpty() && !command.startsWith("#")) {
                commands.add(command.replaceAll("\\s+", " "));
            }
        }
        return commands;
    }

    @Test
    void theReadmesQuickStartInstallsAndCarriesTheSampleStream() throws Exception {
        RealApiServer api = RealApiServer.shared();
        Path kubeconfig = Files.createDirectories(DIR).resolve("kubeconfig");
        Files.writeString(kubeconfig, api.kubeConfig());
        List<String> commands = quickStart();
        assertThat(commands).as("the quick start").hasSizeGreaterThanOrEqualTo(3);
        String namespace = null;
        String lastOutput = null;
        String lastCommand = null;
        for (String command : commands) {
            List<String> words = Arrays.asList(command.split(" "));
            switch (words.get(0)) {
                case "helm" -> namespace = helmInstall(api, words);
                case "kubectl" -> {
                    lastOutput = kubectl(api, kubeconfig, words.subList(1, words.size()));
                    lastCommand = command;
                }
                default -> throw new AssertionError("the README's Kubernetes quick start may hold only helm install and "
                        + "kubectl lines (this test runs them): " + command);
            }
        }
        assertThat(namespace).as("the quick start installs the chart").isNotNull();
        assertThat(lastCommand).as("the quick start ends by showing the streams").contains("get").contains("livestreams");

        // The controller as the chart's pod runs it, and the sample pool's relays (pool "edge", one ingest).
        InstalledChart chart = InstalledChart.existing(api, namespace);
        // With the chart's default TLS: no certificate files; the controller makes the cluster CA and issues.
        JavaService controller = chart.startController("stripecast-controller-0",
                Map.of("stripecast.operator.status-interval", "1s", "stripecast.tls.plaintext", "false"), DIR.resolve("logs"));
        processes.add(controller);
        controller.awaitReady();
        Path ca = chart.mountClusterCaCert(DIR.resolve("cluster-ca"));
        for (int i = 0; i < 4; i++) {
            // Each relay stands in for a pod of the pool: the Pod object the issuing rule reads, and the operator's
            // relay settings (issuer=controller, the mounted CA certificate).
            RelayPods.create(api.admin(), namespace, "edge-" + i, "edge", "127.0.0.1");
            Map<String, String> r = new LinkedHashMap<>();
            r.put("stripecast.relay.controller", "127.0.0.1:" + controller.grpcPort);
            r.put("stripecast.relay.pool", "edge");
            r.put("stripecast.relay.ingest", String.valueOf(i == 0));
            r.put("stripecast.tls.plaintext", "false");
            r.put("stripecast.tls.issuer", "controller");
            r.put("stripecast.tls.ca", ca.toString());
            processes.add(JavaService.relay("edge-" + i, FreePorts.next(), FreePorts.next(), r, DIR.resolve("logs")));
        }
        String finalCommand = lastCommand;
        await("the quick start's last command shows the sample stream Ready").atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1)).until(() -> {
                    String out = kubectl(api, kubeconfig, Arrays.asList(finalCommand.split(" ")).subList(1, finalCommand.split(" ").length));
                    return out.lines().anyMatch(l -> l.contains("livestream") && l.contains("live") && l.contains("True"));
                });
        assertThat(lastOutput).as("kubectl get printed the sample pool").contains("edge");
    }

    /** {@code helm install <name> <chart> -n <ns> [--create-namespace] [--set k=v]...}; returns the namespace. */
    static String helmInstall(RealApiServer api, List<String> words) {
        assertThat(words.subList(0, 2)).as("helm line").containsExactly("helm", "install");
        InstallCommand install = new Helm(Repo.ROOT.resolve(words.get(3))).install().withName(words.get(2))
                .withKubeConfigContents(api.kubeConfig());
        String namespace = "default";
        for (int i = 4; i < words.size(); i++) {
            switch (words.get(i)) {
                case "-n", "--namespace" -> namespace = words.get(++i);
                case "--create-namespace" -> install = install.createNamespace();
                case "--set" -> {
                    String[] kv = words.get(++i).split("=", 2);
                    install = install.set(kv[0], kv[1]);
                }
                default -> throw new AssertionError("helm install option this test does not know: " + words.get(i));
            }
        }
        assertThat(install.withNamespace(namespace).call().getStatus()).isEqualTo("deployed");
        return namespace;
    }

    static String kubectl(RealApiServer api, Path kubeconfig, List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(api.kubectl().toString());
        cmd.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(cmd).directory(Repo.ROOT.toFile()).redirectErrorStream(true);
        // kubectl reads its kubeconfig from the environment, as a user's shell gives it.
        builder.environment().put("KUBECONFIG", kubeconfig.toAbsolutePath().toString());
        Process p = builder.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kubectl " + String.join(" ", args) + ":\n" + out).isZero();
        return out;
    }
}
