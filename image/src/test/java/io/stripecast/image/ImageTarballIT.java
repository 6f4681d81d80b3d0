package io.stripecast.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * The image tarball this module builds with Jib (target/stripecast-image.tar), opened without a Docker engine:
 * it is the Dockerfile's image (same entrypoint, command, user, ports, labels, environment), it holds both apps as
 * this build packaged them, and, unpacked and run the way a container runtime runs it (its own root, mount, PID and
 * network namespaces, user 10001, its working directory and environment), its entrypoint starts each app on the
 * runtime the image carries and refuses anything else.
 */
class ImageTarballIT {
    static final Path ROOT = Path.of(System.getProperty("stripecast.repo.root", "..")).toAbsolutePath().normalize();
    static final Path TARBALL = Path.of(System.getProperty("stripecast.image.tarball", "target/stripecast-image.tar"));
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final Pattern LISTENING = Pattern.compile("started in [\\d.]+s\\. Listening on: http://0\\.0\\.0\\.0:(\\d+)");

    static OciArchive image;
    static JsonNode config;
    static RuntimeStage dockerfile;

    @BeforeAll
    static void open() throws IOException {
        assertThat(TARBALL).as("the image tarball (built by this module's package phase)").isRegularFile();
        image = OciArchive.read(TARBALL);
        config = image.config().path("config");
        dockerfile = RuntimeStage.of(ROOT.resolve("Dockerfile"));
    }

    @Test
    void isTaggedWithTheChartsImageRepositoryAndAppVersion() throws IOException {
        JsonNode values = YAML.readTree(ROOT.resolve("helm/stripecast/values.yaml").toFile());
        String appVersion = YAML.readTree(ROOT.resolve("helm/stripecast/Chart.yaml").toFile()).path("appVersion").asText();
        assertThat(image.referenceName()).isEqualTo(values.at("/image/repository").asText() + ":" + appVersion);
        assertThat(System.getProperty("stripecast.image.reference")).isEqualTo(image.referenceName());
        assertThat(image.manifest().path("mediaType").asText()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
    }

    @Test
    void isALinuxImageForTheArchitectureOfTheRuntimeItCarries() {
        String arch = System.getProperty("os.arch");
        assertThat(image.config().path("os").asText()).isEqualTo("linux");
        assertThat(image.config().path("architecture").asText()).isEqualTo(switch (arch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            default -> arch;
        });
    }

    @Test
    void entrypointAndCommandAreTheDockerfiles() {
        assertThat(texts(config.path("Entrypoint"))).isEqualTo(dockerfile.execForm("ENTRYPOINT"))
                .startsWith("/bin/sh", "-c");
        assertThat(texts(config.path("Cmd"))).isEqualTo(dockerfile.execForm("CMD")).containsExactly("relay");
        assertThat(config.path("WorkingDir").asText()).isEqualTo(dockerfile.last("WORKDIR"));
    }

    @Test
    void runsAsTheNumericNonRootUser10001() throws IOException {
        String user = config.path("User").asText();
        assertThat(user).isEqualTo(dockerfile.last("USER")).isEqualTo("10001:10001");
        String passwd = new String(image.read("etc/passwd"), StandardCharsets.UTF_8);
        assertThat(passwd.lines()).contains("stripecast:x:10001:10001::/nonexistent:/usr/sbin/nologin");
        String group = new String(image.read("etc/group"), StandardCharsets.UTF_8);
        assertThat(group.lines()).contains("stripecast:x:10001:");
    }

    @Test
    void exposesTheRelayAndControllerPorts() {
        Set<String> exposed = new TreeSet<>();
        config.path("ExposedPorts").fieldNames().forEachRemaining(exposed::add);
        assertThat(exposed).containsExactlyInAnyOrder("8080/tcp", "9100/tcp", "8090/tcp", "9200/tcp", "9000/tcp", "9001/tcp");
        assertThat(dockerfile.exposedPorts()).containsExactlyInAnyOrder(8080, 9100, 8090, 9200, 9000, 9001);
    }

    @Test
    void labelsAndEnvironmentAreTheDockerfiles() {
        Map<String, String> labels = new LinkedHashMap<>();
        config.path("Labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        assertThat(labels).isEqualTo(dockerfile.pairs("LABEL"));
        assertThat(labels).containsEntry("org.opencontainers.image.version", dockerfile.argDefaults().get("VERSION"));
        Map<String, String> env = env();
        assertThat(env).containsAllEntriesOf(dockerfile.pairs("ENV"));
        assertThat(env).containsEntry("JAVA_OPTS", "-XX:MaxRAMPercentage=75.0 -XX:-UsePerfData -XX:+UnlockDiagnosticVMOptions -XX:AsyncDeflationInterval=5000").containsEntry("STRIPECAST_HOME", "/opt/stripecast");
        assertThat(env.get("PATH")).startsWith(env.get("JAVA_HOME") + "/bin:");
    }

    @ParameterizedTest
    @CsvSource({"relay, edge-relay", "controller, controller"})
    void holdsEachAppAsThisBuildPackagedItRootOwnedAndReadOnly(String app, String module) throws IOException {
        Map<String, OciArchive.Entry> fs = image.fileSystem();
        String home = "opt/stripecast/" + app;
        assertThat(fs).containsKeys(home + "/quarkus-run.jar", home + "/lib", home + "/app", home + "/quarkus");
        Path built = ROOT.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        assertThat(OciArchive.sha256(image.read(home + "/quarkus-run.jar")))
                .as("the image's %s/quarkus-run.jar is the one this build packaged", app)
                .isEqualTo(OciArchive.sha256(Files.readAllBytes(built)));
        List<OciArchive.Entry> appFiles = fs.values().stream().filter(e -> e.path().startsWith(home + "/")).toList();
        assertThat(appFiles).hasSizeGreaterThan(10).allSatisfy(e -> {
            assertThat(e.uid()).as(e.path()).isZero();
            assertThat(e.mode() & 022).as("%s writable by group or others", e.path()).isZero();
        });
    }

    @Test
    void holdsTheShellAndTheJavaRuntimeTheEntrypointRuns() throws IOException {
        Map<String, OciArchive.Entry> fs = image.fileSystem();
        assertThat(fs.get("bin/sh")).isNotNull().matches(OciArchive.Entry::executable, "executable");
        assertThat(fs.get("opt/java/openjdk/bin/java")).isNotNull().matches(OciArchive.Entry::executable, "executable");
        assertThat(fs).containsKeys("opt/java/openjdk/lib/server/libjvm.so", "opt/java/openjdk/lib/modules",
                "opt/java/openjdk/lib/security/cacerts");
        assertThat(fs.get("tmp")).isNotNull().matches(OciArchive.Entry::directory).matches(e -> (e.mode() & 0777) == 0777, "mode 777");
    }

    // ---- the image, run without Docker

    /**
     * Each app starts from the image's entrypoint with the image's default settings, reaches "started" on the
     * runtime the image carries, listens on its port among those exposed, and runs as user 10001.
     */
    @ParameterizedTest
    @CsvSource({"relay, 8080", "controller, 8090"})
    void theEntrypointStartsEachAppAsUser10001(String app, int httpPort, @TempDir Path tmp) throws Exception {
        Path rootfs = unpacked();
        Path log = tmp.resolve(app + ".log");
        // The relay with the image's default command (no argument), the controller as the chart runs it; both with
        // mutual TLS on, as they run by default: certificates for their default identities inside the image's root.
        Map<String, String> tls = certificates(rootfs, app.equals("relay") ? "relay-0" : "controller");
        Process p = start(rootfs, app.equals("relay") ? List.of() : List.of(app), log, tls);
        try {
            Matcher started = await(app + " started").atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        String out = Files.readString(log);
                        assertThat(p.isAlive()).as("%s exited early:%n%s", app, out).isTrue();
                        Matcher m = LISTENING.matcher(out);
                        return m.find() ? m : null;
                    }, m -> m != null);
            assertThat(Integer.parseInt(started.group(1))).isEqualTo(httpPort);
            assertThat(config.path("ExposedPorts").has(httpPort + "/tcp")).isTrue();
            ProcessHandle java = p.descendants().filter(h -> h.info().command().map(c -> c.endsWith("/java")).orElse(false))
                    .findFirst().orElseThrow(() -> new AssertionError("no java process under " + p.pid()));
            // Seen from here, the process runs the unpacked image's java, not this machine's.
            assertThat(java.info().command()).as("the shell exec'd the image's java")
                    .hasValue(rootfs.resolve("opt/java/openjdk/bin/java").toString());
            String status = Files.readString(Path.of("/proc", String.valueOf(java.pid()), "status"));
            assertThat(status).containsPattern("(?m)^Uid:\\s+10001\\s+10001\\s+10001\\s+10001$")
                    .containsPattern("(?m)^Gid:\\s+10001\\s+10001\\s+10001\\s+10001$");
            assertThat(Files.readString(log)).doesNotContain("Exception");
        } finally {
            stop(p);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bash", "Relay", "relay;id"})
    void theEntrypointRefusesAnythingElse(String arg, @TempDir Path tmp) throws Exception {
        Path rootfs = unpacked();
        Path log = tmp.resolve("refused.log");
        Process p = start(rootfs, List.of(arg), log);
        try {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(64);
            assertThat(Files.readString(log)).contains("usage: stripecast relay|controller");
        } finally {
            stop(p);
        }
    }

    private static Path unpackedRoot;

    /** The image's layers, unpacked once for the run tests. */
    static synchronized Path unpacked() throws IOException {
        assumeThat(uid()).as("running the image needs root (to unshare namespaces and switch to user 10001); CI runs as root")
                .isZero();
        if (unpackedRoot == null || !Files.isDirectory(unpackedRoot)) {
            Path root = Files.createTempDirectory("stripecast-image-rootfs");
            // A temp directory is private (700); a container's / is 755, which user 10001 needs to reach anything.
            Files.setPosixFilePermissions(root, OciArchive.permissions(0755));
            image.unpackTo(root);
            Files.createDirectories(root.resolve("proc"));
            unpackedRoot = root;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(root)));
        }
        return unpackedRoot;
    }

    /**
     * Runs the image's entrypoint as a container runtime would: new mount, PID and network namespaces (nothing it
     * opens is reachable from here, nothing here from it), /proc mounted, the unpacked image as root directory, the
     * image's working directory, user and group, and only the image's environment.
     */
    static Process start(Path rootfs, List<String> args, Path log) throws IOException {
        return start(rootfs, args, log, Map.of());
    }

    /**
     * A CA and a certificate for {@code name} (bin/tls-certs, openssl) under the image's /tmp, readable by the image's
     * user, and the settings that point the app at them (paths as the app sees them, inside the image's root).
     */
    static Map<String, String> certificates(Path rootfs, String name) throws IOException, InterruptedException {
        Path dir = rootfs.resolve("tmp/tls-" + name);
        Process issue = new ProcessBuilder(Path.of("..", "bin", "tls-certs").toString(), dir.toString(), name)
                .redirectErrorStream(true).start();
        String out = new String(issue.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(issue.waitFor()).as("bin/tls-certs: %s", out).isZero();
        // The app runs as user 10001; this throwaway key may be world-readable here.
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            }
        }
        String inImage = "/tmp/tls-" + name + "/";
        return Map.of("STRIPECAST_TLS_CERT", inImage + name + ".crt", "STRIPECAST_TLS_KEY", inImage + name + ".key",
                "STRIPECAST_TLS_CA", inImage + "ca.crt");
    }

    static Process start(Path rootfs, List<String> args, Path log, Map<String, String> extraEnv) throws IOException {
        String[] user = config.path("User").asText().split(":");
        // Outside the image: new namespaces, and loopback up in the new network namespace, as a runtime leaves it
        // (Netty and gRPC list the interfaces and warn when there is none). Then into the image.
        List<String> cmd = new ArrayList<>(List.of(tool("unshare"), "--net", "--pid", "--mount", "--fork", "--kill-child",
                "/bin/sh", "-c", "\"$0\" link set lo up && exec \"$@\"", tool("ip"),
                tool("unshare"), "--mount-proc", "--root=" + rootfs, "--wd=" + config.path("WorkingDir").asText(),
                "--setgid=" + user[1], "--setuid=" + user[0]));
        cmd.addAll(texts(config.path("Entrypoint")));
        cmd.addAll(args.isEmpty() ? texts(config.path("Cmd")) : args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().clear();
        pb.environment().putAll(env());
        pb.environment().putAll(extraEnv);
        return pb.start();
    }

    static void stop(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
    }

    /** A program of this machine (util-linux's unshare, iproute2's ip), by absolute path: the child's PATH is the image's. */
    static String tool(String name) {
        for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
            Path path = Path.of(dir, name);
            if (Files.isExecutable(path)) {
                return path.toString();
            }
        }
        throw new AssertionError(name + " is needed to run the image (util-linux, iproute2)");
    }

    static long uid() throws IOException {
        return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
    }

    static Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode e : config.path("Env")) {
            String[] kv = e.asText().split("=", 2);
            env.put(kv[0], kv[1]);
        }
        return env;
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static void deleteQuietly(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory; the OS cleans up what is left
        }
    }
}
