package io.stripecast.lab.cluster;

import io.stripecast.protocol.trust.PeerIdentity;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * One packaged stripecast service (relay or controller, {@code quarkus-run.jar}) running as its
 * own process on loopback, with its log in a file.
 */
public final class JavaService implements AutoCloseable {
    /** JVM flags for a quick start (tests, short runs): C1 only, serial GC, a small heap. */
    public static final List<String> FAST_START = List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    /**
     * JVM flags for measuring CPU in steady state: full JIT (C2), as a deployed relay runs. The young generation
     * stays at 64 MB whatever the heap: the lab's whole-run windows need big heaps, and with Serial's default third
     * of an 896 MB heap as young generation, a collection copied so much live window that, 16 JVMs sharing 2 cores,
     * it paused relays 2-4.6 s, past the controller's 2 s dead-after (83 false deaths in one run).
     */
    public static final List<String> STEADY = List.of("-Xmx256m", "-Xmn64m", "-XX:+UseSerialGC");

    public static final HttpClient HTTP = newHttpClient();

    /** HTTP/1.1 as players and relays speak it; each client has its own selector thread. */
    public static HttpClient newHttpClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    }

    public final String id;
    /** The address it binds and is reached at: 127.0.0.1, or its own 10.x address inside a network namespace. */
    public final String host;
    public final int httpPort;
    public final int grpcPort;
    /** The management port (Quarkus' management interface): health, metrics, /admin/drain, the topology API. */
    public final int managementPort;
    public final Path log;
    private final Process process;

    private JavaService(String id, String host, int httpPort, int grpcPort, int managementPort, Process process, Path log) {
        this.id = id;
        this.host = host;
        this.httpPort = httpPort;
        this.grpcPort = grpcPort;
        this.managementPort = managementPort;
        this.process = process;
        this.log = log;
    }

    /** The relay jar: system property {@code relay.jar}, else the build's output seen from the repository or a module. */
    public static String relayJar() {
        return System.getProperty("relay.jar", built("edge-relay"));
    }

    public static String controllerJar() {
        return System.getProperty("controller.jar", built("controller"));
    }

    private static String built(String module) {
        Path fromRoot = Path.of(module, "target", "quarkus-app", "quarkus-run.jar");
        return (Files.exists(fromRoot) ? fromRoot : Path.of("..").resolve(fromRoot)).toString();
    }

    public static JavaService relay(String id, int httpPort, int grpcPort, Map<String, String> settings, Path logDir) throws IOException {
        return relay(id, Placement.LOOPBACK, httpPort, grpcPort, settings, logDir);
    }

    /**
     * A relay placed on loopback or in a network namespace; outside loopback it advertises its own address
     * to the controller (others dial its data plane there) unless the settings say otherwise.
     */
    public static JavaService relay(String id, Placement placement, int httpPort, int grpcPort, Map<String, String> settings,
                                    Path logDir) throws IOException {
        return relay(id, placement, httpPort, grpcPort, settings, logDir, FAST_START);
    }

    public static JavaService relay(String id, Placement placement, int httpPort, int grpcPort, Map<String, String> settings,
                                    Path logDir, List<String> jvmFlags) throws IOException {
        List<String> props = new ArrayList<>(List.of("-Dstripecast.relay.id=" + id, "-Dstripecast.relay.grpc-port=" + grpcPort,
                "-Dstripecast.relay.grpc-host=" + placement.host()));
        if (!placement.isLoopback()) {
            props.add("-Dstripecast.relay.advertise-address=" + placement.host() + ":" + grpcPort);
            props.add("-Dstripecast.relay.playback-url=http://" + placement.host() + ":" + httpPort);
        }
        PeerIdentity identity = PeerIdentity.relay(settings.getOrDefault("stripecast.relay.pool", ""),
                settings.getOrDefault("stripecast.relay.id", id));
        LabTrust.withTls(settings, identity).forEach((k, v) -> props.add("-D" + k + "=" + v));
        return start(id, relayJar(), placement, httpPort, grpcPort, props, logDir, jvmFlags);
    }

    public static JavaService controller(String id, int httpPort, int grpcPort, Map<String, String> settings, Path logDir)
            throws IOException {
        return controller(id, Placement.LOOPBACK, httpPort, grpcPort, settings, logDir);
    }

    public static JavaService controller(String id, Placement placement, int httpPort, int grpcPort, Map<String, String> settings,
                                         Path logDir) throws IOException {
        return controller(id, placement, httpPort, grpcPort, settings, Map.of(), logDir);
    }

    /**
     * A controller with environment variables besides its settings, as a pod gets them from its Deployment (the
     * settings, system properties, win over the environment where both name a key).
     */
    public static JavaService controller(String id, Placement placement, int httpPort, int grpcPort, Map<String, String> settings,
                                         Map<String, String> env, Path logDir) throws IOException {
        List<String> props = new ArrayList<>(List.of("-Dstripecast.controller.id=" + id, "-Dstripecast.controller.grpc-port=" + grpcPort,
                "-Dstripecast.controller.grpc-host=" + placement.host()));
        LabTrust.withTls(settings, PeerIdentity.CONTROLLER).forEach((k, v) -> props.add("-D" + k + "=" + v));
        return start(id, controllerJar(), placement, httpPort, grpcPort, props, env, logDir, FAST_START);
    }

    private static JavaService start(String id, String jar, Placement placement, int httpPort, int grpcPort, List<String> props,
                                     Path logDir, List<String> jvmFlags) throws IOException {
        return start(id, jar, placement, httpPort, grpcPort, props, Map.of(), logDir, jvmFlags);
    }

    private static JavaService start(String id, String jar, Placement placement, int httpPort, int grpcPort, List<String> props,
                                     Map<String, String> env, Path logDir, List<String> jvmFlags) throws IOException {
        // The prefix (ip netns exec <ns>) execs java in place: the process we hold is the JVM itself.
        List<String> cmd = new ArrayList<>(placement.commandPrefix());
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmFlags);
        int managementPort = FreePorts.next();
        cmd.addAll(List.of("-Dquarkus.http.port=" + httpPort, "-Dquarkus.http.host=" + placement.host(),
                "-Dquarkus.management.port=" + managementPort, "-Dquarkus.management.host=" + placement.host()));
        cmd.addAll(props);
        cmd.add("-jar");
        cmd.add(jar);
        Files.createDirectories(logDir);
        Path log = logDir.resolve(id + ".log");
        // Append: a restarted service keeps its earlier log.
        ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        Process p = builder.start();
        return new JavaService(id, placement.host(), httpPort, grpcPort, managementPort, p, log);
    }

    public JavaService awaitReady() {
        await(id + " ready").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException(id + " exited: " + Files.readString(log));
            }
            // The management interface answers before Quarkus binds the public listener: ready means both.
            return status("/q/health/ready") == 200 && accepts(httpPort);
        });
        return this;
    }

    private boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public String base() {
        return "http://" + host + ":" + httpPort;
    }

    /** The management interface's base URL. */
    public String managementBase() {
        return "http://" + host + ":" + managementPort;
    }

    /** Health, metrics, admin and the topology API live on the management port; everything else on the public one. */
    public String url(String path) {
        boolean management = path.startsWith("/q/") || path.startsWith("/api/v1") || path.startsWith("/admin/");
        return (management ? managementBase() : base()) + path;
    }

    public int status(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(15)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    public byte[] get(String path) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(15)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + " on " + id + " answered " + r.statusCode());
        }
        return r.body();
    }

    public String getText(String path) throws IOException, InterruptedException {
        return new String(get(path), StandardCharsets.UTF_8);
    }

    /** Sum of a Prometheus metric's samples whose line contains every given fragment. */
    public double metric(String name, String... fragments) throws IOException, InterruptedException {
        return new PromText(getText("/q/metrics")).sum(name, fragments);
    }

    /**
     * Heap in use after a full collection the test asks for ({@code jcmd <pid> GC.run}), in bytes: what the process
     * really holds, free of when its collector last ran.
     */
    public double heapAfterGc() throws IOException, InterruptedException {
        jcmd("GC.run");
        return metric("jvm_memory_used_bytes", "area=\"heap\"");
    }

    /**
     * Runs a diagnostic command in the process ({@code jcmd <pid> <command...>}, the jcmd of the JDK it runs on) and
     * waits up to a minute for it; an IOException when it fails or takes longer.
     */
    public void jcmd(String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(process.pid())));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("jcmd " + String.join(" ", command) + " on " + id + " failed");
        }
    }

    /** SIGKILL: the process gets no chance to say goodbye. */
    public void kill() {
        process.destroyForcibly();
        waitExit(30);
    }

    /** SIGTERM, as Kubernetes sends before removing a pod; returns once the process exited. */
    public boolean terminate(int timeoutSeconds) {
        process.destroy();
        return waitExit(timeoutSeconds);
    }

    /**
     * Sends a signal by process id (the JDK can only send TERM and KILL): STOP freezes the process as a hung
     * or starved machine would, CONT lets it go on.
     */
    public void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).redirectErrorStream(true).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " failed: " + new String(kill.getInputStream().readAllBytes()));
        }
    }

    public long pid() {
        return process.pid();
    }

    /** CPU time the process used so far, seconds (0 once it is gone). */
    public double cpuSeconds() {
        return process.toHandle().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    private boolean waitExit(int seconds) {
        try {
            return process.waitFor(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            waitExit(10);
        }
    }
}
