package io.stripecast.helm;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real Kubernetes control plane for the {@code *ApiServerIT} tests: etcd and kube-apiserver built from their Go
 * modules by {@code bin/kube-binaries} (a version-keyed cache outside the repository), run by Fabric8 kube-api-test
 * with RBAC on. One instance serves every test of the JVM (starting it costs seconds); each test works in a
 * namespace of its own. When the binaries are missing they are built here (minutes, once per machine); when they
 * cannot be built the test fails: these tests never skip.
 */
final class RealApiServer {
    private static final AtomicInteger NAMESPACES = new AtomicInteger();
    private static RealApiServer shared;

    private final KubeAPIServer server;
    private final Path binaries;
    private final String kubeConfig;
    private final KubernetesClient admin;

    private RealApiServer(KubeAPIServer server, Path binaries) {
        this.server = server;
        this.binaries = binaries;
        this.kubeConfig = server.getKubeConfigYaml();
        this.admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfig)).build();
    }

    /** The JVM's API server, started on first use and stopped when the JVM exits. */
    static synchronized RealApiServer shared() {
        if (shared == null) {
            // bin/kube-binaries holds the version pin; the directory it prints is <cache>/k8s/<version>-linux-amd64.
            Path binaries = binaries();
            String version = binaries.getFileName().toString().replace("-linux-amd64", "");
            KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                    .withTestDir(binaries.getParent().getParent().toString())
                    .withApiServerVersion(version)
                    // Its download hosts are unreachable here, and the binaries are ours anyway.
                    .withOfflineMode(true)
                    // Never touch the user's ~/.kube/config: the tests read the kubeconfig from getKubeConfigYaml().
                    .withUpdateKubeConfig(false)
                    .withStartupTimeout(120_000)
                    .build());
            server.start();
            shared = new RealApiServer(server, binaries);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                shared.admin.close();
                server.stop();
            }, "kube-apiserver-stop"));
        }
        return shared;
    }

    /**
     * The binaries' directory from bin/kube-binaries, which builds them first when they are missing (minutes, once per
     * machine); fails the test (never skips) when they cannot be built.
     */
    private static Path binaries() {
        Path script = Repo.ROOT.resolve("bin/kube-binaries");
        try {
            Path log = Files.createTempFile("kube-binaries", ".log");
            Process build = new ProcessBuilder(script.toString()).redirectError(log.toFile()).start();
            String out = new String(build.getInputStream().readAllBytes()).strip();
            if (!build.waitFor(60, TimeUnit.MINUTES) || build.exitValue() != 0 || out.isEmpty()) {
                throw new IllegalStateException("bin/kube-binaries could not build etcd/kube-apiserver/kubectl:\n"
                        + Files.readString(log));
            }
            return Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
        } catch (IOException e) {
            throw new IllegalStateException("bin/kube-binaries failed to run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The kubectl built with the API server (same release). */
    Path kubectl() {
        return binaries.resolve("kubectl");
    }

    /** A cluster-admin client (the client certificate kube-api-test made, group system:masters). */
    KubernetesClient admin() {
        return admin;
    }

    /** A kubeconfig with cluster-admin rights, as helm and kubectl take it. */
    String kubeConfig() {
        return kubeConfig;
    }

    /** The cluster CA, base64 PEM, as Fabric8's caCertData (and a pod's mounted ca.crt) carries it. */
    String caCertData() {
        Config config = admin.getConfiguration();
        if (config.getCaCertData() != null) {
            return config.getCaCertData();
        }
        try {
            return java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(Path.of(config.getCaCertFile())));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    String url() {
        return admin.getConfiguration().getMasterUrl();
    }

    /** A fresh namespace for one test. */
    String namespace(String prefix) {
        String name = prefix + "-" + NAMESPACES.incrementAndGet();
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
        return name;
    }

    /**
     * A token for a ServiceAccount (TokenRequest, as the kubelet mounts one into a pod): a process given it acts with
     * exactly that account's RBAC rights.
     */
    String token(String namespace, String serviceAccount) {
        return admin.serviceAccounts().inNamespace(namespace).withName(serviceAccount)
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withAudiences(List.of()).withExpirationSeconds(3600L)
                        .endSpec().build())
                .getStatus().getToken();
    }

    /** A client acting as a ServiceAccount, with its token: what that account may not do fails with 403. */
    KubernetesClient as(String namespace, String serviceAccount) {
        Config config = Config.fromKubeconfig(kubeConfig);
        config.setClientCertData(null);
        config.setClientKeyData(null);
        config.setClientCertFile(null);
        config.setClientKeyFile(null);
        config.setOauthToken(token(namespace, serviceAccount));
        config.setNamespace(namespace);
        return new KubernetesClientBuilder().withConfig(config).build();
    }
}
