package io.stripecast.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.DockerClient;
import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.LocalPortForward;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole install on a real Kubernetes (K3s in a container): the chart, a RelayPool and a push LiveStream from
 * k8s/samples, a live ffmpeg stream PUT into the ingest relay, playback from an edge relay while another relay pod
 * is killed, and not one segment missing at the edge.
 * <p>
 * Needs a Docker engine; without one, {@code disabledWithoutDocker} skips it (one ERROR line from Testcontainers,
 * the build passes). Tagged {@code k3s}: {@code -Dstripecast.excludedGroups=k3s} leaves it out altogether. It is
 * never the only test of a feature: ChartRenderTest, SampleResourcesTest and DockerfileTest prove the same objects
 * without a cluster, and the relay/controller modules prove the streaming on loopback.
 * <p>
 * The image: {@code -Dstripecast.e2e.image=repo:tag} uses an image K3s can pull; otherwise the test builds the
 * repository's Dockerfile (a full Maven build inside Docker: many minutes) and imports it into K3s' containerd.
 */
@Tag("k3s")
@Testcontainers(disabledWithoutDocker = true)
class K3sEndToEndTest {
    static final String NS = "stripecast";
    static final String POOL = "edge";
    static final String STREAM = "live";
    static final String KEY = "e2e-publisher-key-0123456789";
    static final String LOCAL_IMAGE = "docker.io/library/stripecast-e2e:e2e";

    @Container
    static final K3sContainer K3S = new K3sContainer(DockerImageName.parse(
            System.getProperty("stripecast.e2e.k3s-image", "rancher/k3s:v1.31.4-k3s1")).asCompatibleSubstituteFor("rancher/k3s"));

    static KubernetesClient client;
    static final List<AutoCloseable> closeLater = new ArrayList<>();

    @BeforeAll
    static void installChartAndSamples() throws Exception {
        assumeThat(commandWorks("ffmpeg", "-version")).as("ffmpeg on the PATH").isTrue();
        String image = System.getProperty("stripecast.e2e.image", "");
        if (image.isEmpty()) {
            image = buildAndImportImage();
        }
        int colon = image.lastIndexOf(':');
        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(K3S.getKubeConfigYaml())).build();

        new Helm(Repo.CHART).install()
                .withName("stripecast").withNamespace(NS).createNamespace()
                .withKubeConfigContents(K3S.getKubeConfigYaml())
                .set("image.repository", image.substring(0, colon))
                .set("image.tag", image.substring(colon + 1))
                .set("controller.resources.requests.cpu", "50m")
                .waitReady().withTimeout(600)
                .call();

        for (JsonNode doc : SampleResourcesTest.k8sSamples()) {
            ObjectNode obj = (ObjectNode) doc;
            switch (obj.path("kind").asText()) {
                case "Secret" -> ((ObjectNode) obj.get("stringData")).put("key", KEY);
                case "RelayPool" -> {
                    // Small enough for a CI machine with 2 cores: 3 relays + the ingest.
                    ObjectNode spec = (ObjectNode) obj.get("spec");
                    spec.put("replicas", 3);
                    ObjectNode requests = (ObjectNode) spec.at("/resources/requests");
                    requests.put("cpu", "100m");
                    requests.put("memory", "256Mi");
                }
                case "LiveStream" -> {
                    if (!STREAM.equals(obj.at("/metadata/name").asText())) {
                        continue; // the pull sample needs an origin this cluster does not have
                    }
                }
                default -> {
                }
            }
            client.resource(Yaml.MAPPER.writeValueAsString(obj)).inNamespace(NS).create();
        }

        await("relay and ingest Deployments ready").atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(2))
                .until(() -> ready(POOL) && ready(POOL + "-ingest"));
        await("LiveStream " + STREAM + " Ready").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
                .until(() -> "True".equals(readyCondition()));
    }

    @AfterAll
    static void close() {
        for (AutoCloseable c : closeLater) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        if (client != null) {
            client.close();
        }
    }

    @Test
    void aLiveStreamPlaysFromAnEdgeWithoutAMissingSegmentWhileARelayPodDies() throws Exception {
        Pod ingest = pods("ingest").get(0);
        List<Pod> relays = pods("relay");
        assertThat(relays).hasSizeGreaterThanOrEqualTo(2);
        Pod edge = relays.get(0);
        Pod victim = relays.get(1);

        LocalPortForward ingestPort = forward(ingest.getMetadata().getName(), 8080);
        LocalPortForward edgePort = forward(edge.getMetadata().getName(), 8080);

        Path log = Files.createTempFile("ffmpeg-", ".log");
        Process ffmpeg = new ProcessBuilder("ffmpeg", "-hide_banner", "-loglevel", "warning", "-re",
                "-f", "lavfi", "-i", "testsrc=size=320x180:rate=25", "-t", "150",
                "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-keyint_min", "25",
                "-sc_threshold", "0", "-pix_fmt", "yuv420p",
                "-f", "hls", "-hls_time", "1", "-hls_list_size", "5", "-method", "PUT",
                "-headers", "Authorization: Bearer " + KEY + "\r\n",
                "http://127.0.0.1:" + ingestPort.getLocalPort() + "/ingest/" + STREAM + "/index.m3u8")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        closeLater.add(ffmpeg::destroy);

        // The viewer: polls the edge's playlist and fetches every segment it lists, once.
        NavigableMap<Long, Integer> fetched = new ConcurrentSkipListMap<>();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        URI playlist = URI.create("http://127.0.0.1:" + edgePort.getLocalPort() + "/live/" + STREAM + "/index.m3u8");
        ScheduledExecutorService viewer = Executors.newSingleThreadScheduledExecutor();
        closeLater.add(viewer::shutdownNow);
        viewer.scheduleWithFixedDelay(() -> poll(http, playlist, fetched), 0, 500, TimeUnit.MILLISECONDS);

        await("the edge plays").atMost(Duration.ofMinutes(2)).until(() -> fetched.size() >= 5);
        long beforeKill = fetched.lastKey();
        client.pods().inNamespace(NS).withName(victim.getMetadata().getName()).withGracePeriod(0).delete();
        await("the edge plays on after the relay died").atMost(Duration.ofMinutes(2))
                .until(() -> !fetched.isEmpty() && fetched.lastKey() >= beforeKill + 30);
        viewer.shutdownNow();
        ffmpeg.destroy();

        long first = fetched.firstKey();
        long last = fetched.lastKey();
        List<Long> missing = new ArrayList<>();
        for (long seq = first; seq <= last; seq++) {
            if (!Objects.equals(fetched.get(seq), 200)) {
                missing.add(seq);
            }
        }
        assertThat(missing).as("segments %d..%d the edge did not serve (relay %s killed after %d); ffmpeg: %s",
                first, last, victim.getMetadata().getName(), beforeKill, Files.readString(log)).isEmpty();
    }

    /** One playlist poll: every segment listed and not fetched yet is fetched now; seq -> HTTP status. */
    static void poll(HttpClient http, URI playlist, NavigableMap<Long, Integer> fetched) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(playlist).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return;
            }
            long seq = -1;
            for (String line : response.body().split("\n")) {
                line = line.strip();
                if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
                    seq = Long.parseLong(line.substring("#EXT-X-MEDIA-SEQUENCE:".length()));
                } else if (!line.isEmpty() && !line.startsWith("#") && seq >= 0) {
                    if (!fetched.containsKey(seq)) {
                        HttpResponse<byte[]> segment = http.send(HttpRequest.newBuilder(playlist.resolve(line))
                                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
                        fetched.put(seq, segment.body().length > 0 ? segment.statusCode() : -1);
                    }
                    seq++;
                }
            }
        } catch (IOException e) {
            // the port-forward hiccups; the next poll catches up (segments stay in the window for 30 s)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static List<Pod> pods(String component) {
        return client.pods().inNamespace(NS).withLabels(Map.of("stripecast.io/pool", POOL,
                "app.kubernetes.io/component", component)).list().getItems().stream()
                .filter(p -> "Running".equals(p.getStatus().getPhase()))
                .toList();
    }

    static LocalPortForward forward(String pod, int port) {
        LocalPortForward forward = client.pods().inNamespace(NS).withName(pod).portForward(port);
        closeLater.add(forward);
        return forward;
    }

    static boolean ready(String deployment) {
        Deployment d = client.apps().deployments().inNamespace(NS).withName(deployment).get();
        return d != null && d.getStatus() != null && d.getSpec().getReplicas() != null
                && Objects.equals(d.getStatus().getReadyReplicas(), d.getSpec().getReplicas());
    }

    static String readyCondition() {
        GenericKubernetesResource stream = client.genericKubernetesResources("stripecast.io/v1alpha1", "LiveStream")
                .inNamespace(NS).withName(STREAM).get();
        if (stream == null || !(stream.getAdditionalProperties().get("status") instanceof Map<?, ?> status)) {
            return null;
        }
        if (status.get("conditions") instanceof List<?> conditions) {
            for (Object c : conditions) {
                if (c instanceof Map<?, ?> cond && "Ready".equals(cond.get("type"))) {
                    return String.valueOf(cond.get("status"));
                }
            }
        }
        return null;
    }

    /** Builds the Dockerfile (its .dockerignore applies) and imports the image into K3s' containerd. */
    static String buildAndImportImage() throws Exception {
        String built = new ImageFromDockerfile(LOCAL_IMAGE, false).withDockerfile(Repo.DOCKERFILE).get(60, TimeUnit.MINUTES);
        Path tar = Files.createTempFile("stripecast-image-", ".tar");
        DockerClient docker = DockerClientFactory.instance().client();
        try (InputStream in = docker.saveImageCmd(built).exec()) {
            Files.copy(in, tar, StandardCopyOption.REPLACE_EXISTING);
        }
        K3S.copyFileToContainer(MountableFile.forHostPath(tar), "/tmp/stripecast-image.tar");
        ExecResult imported = K3S.execInContainer("ctr", "-n", "k8s.io", "images", "import", "/tmp/stripecast-image.tar");
        assertThat(imported.getExitCode()).as(imported.getStderr()).isZero();
        Files.deleteIfExists(tar);
        return LOCAL_IMAGE;
    }

    static boolean commandWorks(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
