package io.stripecast.helm;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The Dockerfile, checked without a Docker engine: what it copies out of the build stage exists once the apps are
 * packaged, the chart's image settings name the image it declares, the entrypoint accepts the argument the chart
 * passes (run for real with /bin/sh and a stand-in java), and the build context keeps what the build needs.
 */
class DockerfileTest {
    static final Pattern PL = Pattern.compile("-pl\\s+([\\w,.-]+)");

    static Dockerfile dockerfile;

    @BeforeAll
    static void parse() {
        dockerfile = Dockerfile.parse(Repo.read(Repo.DOCKERFILE));
    }

    @Test
    void isMultiStageBuildingWithTheMavenWrapperAndRunningOnASlimJre() {
        assertThat(dockerfile.stages).hasSize(2);
        Stage build = dockerfile.stages.get(0);
        Stage runtime = dockerfile.stages.get(1);
        assertThat(build.image).contains("jdk");
        assertThat(runtime.image).contains("17-jre");
        assertThat(build.all("RUN")).anySatisfy(run -> assertThat(run).contains("./mvnw", "package", "-DskipTests"));
        assertThat(runtime.all("COPY")).allSatisfy(copy -> assertThat(copy).startsWith("--from=" + build.name + " "));
    }

    @Test
    void everyPathCopiedFromTheBuildStageExistsOncePackaged() {
        Stage build = dockerfile.stages.get(0);
        String workdir = build.last("WORKDIR");
        Set<String> modules = rootModules();
        Set<String> built = new TreeSet<>();
        build.all("RUN").forEach(run -> {
            Matcher m = PL.matcher(run);
            while (m.find()) {
                built.addAll(List.of(m.group(1).split(",")));
            }
        });
        List<Copy> copies = copiesFromBuild();
        assertThat(copies).hasSize(2);
        for (Copy c : copies) {
            assertThat(c.source).as("COPY source inside the build stage's WORKDIR").startsWith(workdir + "/");
            String relative = c.source.substring(workdir.length() + 1);
            String module = relative.substring(0, relative.indexOf('/'));
            assertThat(modules).as("a module of the root pom").contains(module);
            assertThat(built).as("the build stage's -pl builds " + module).contains(module);
            assertThat(relative).isEqualTo(module + "/target/quarkus-app/");
        }
        // After `package` (the helm module comes last in the reactor) the directories exist; when this module is
        // built alone, an app that was never packaged here cannot prove anything either way.
        for (Copy c : copies) {
            Path path = Repo.ROOT.resolve(c.source.substring(workdir.length() + 1));
            String module = Repo.ROOT.relativize(path).getName(0).toString();
            assumeThat(packaged(module)).as(module + " is not packaged in this checkout (run ./mvnw package)").isTrue();
            assertThat(path.resolve("quarkus-run.jar")).as("COPY %s", c.source).isRegularFile();
            assertThat(path.resolve("lib")).isDirectory();
            assertThat(path.resolve("app")).isDirectory();
            assertThat(path.resolve("quarkus")).isDirectory();
        }
    }

    @Test
    void chartImageSettingsNameTheImageTheDockerfileDeclares() {
        Stage runtime = dockerfile.stages.get(1);
        Map<String, String> labels = runtime.labels();
        JsonNode values = Yaml.document(Repo.CHART.resolve("values.yaml"));
        assertThat(values.at("/image/repository").asText()).isEqualTo(labels.get("io.stripecast.image.repository"));
        assertThat(values.at("/image/tag").asText()).as("empty: the tag is the chart's appVersion").isEmpty();
        String appVersion = ChartRenderTest.appVersion();
        assertThat(runtime.arg("VERSION")).isEqualTo(appVersion);
        assertThat(labels.get("org.opencontainers.image.version")).isEqualTo("${VERSION}");
        // The chart's appVersion follows the Maven version of the code it ships.
        assertThat(mavenVersion().replace("-SNAPSHOT", "")).isEqualTo(appVersion);
    }

    @Test
    void runsAsTheNumericNonRootUserTheChartDeclares() {
        String user = dockerfile.stages.get(1).last("USER");
        assertThat(user).matches("\\d+:\\d+");
        JsonNode pod = Chart.render(Map.of()).get("Deployment", "stripecast-controller").at("/spec/template/spec/securityContext");
        assertThat(user).isEqualTo(pod.path("runAsUser").asInt() + ":" + pod.path("runAsGroup").asInt());
        assertThat(Integer.parseInt(user.split(":")[0])).isPositive();
    }

    @Test
    void exposesTheRelayAndControllerPorts() {
        Set<Integer> exposed = new TreeSet<>();
        dockerfile.stages.get(1).all("EXPOSE").forEach(e -> Stream.of(e.split("\\s+")).forEach(p -> exposed.add(Integer.parseInt(p))));
        JsonNode container = ChartRenderTest.onlyContainer(Chart.render(Map.of()).get("Deployment", "stripecast-controller").at("/spec/template"));
        Set<Integer> ports = new TreeSet<>(ChartRenderTest.containerPorts(container).values());
        // The relay's ports as RelayPoolModel gives its pods: HTTP, gRPC data plane, management.
        ports.addAll(List.of(8080, 9100, 9000));
        assertThat(exposed).isEqualTo(ports);
    }

    @Test
    void theEntrypointRunsWhatTheChartAsksFor(@TempDir Path tmp) throws Exception {
        JsonNode container = ChartRenderTest.onlyContainer(Chart.render(Map.of()).get("Deployment", "stripecast-controller").at("/spec/template"));
        List<String> args = ChartRenderTest.texts(container.path("args"));
        Run run = runEntrypoint(tmp, args.toArray(String[]::new));
        assertThat(run.exit).as(run.err).isZero();
        assertThat(run.out.trim()).isEqualTo("-Xmx64m -Dsome=thing -jar " + tmp.resolve("home/controller/quarkus-run.jar"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"relay", "controller"})
    void theEntrypointStartsEachAppFromWhereTheDockerfileCopiedIt(String app, @TempDir Path tmp) throws Exception {
        Run run = runEntrypoint(tmp, app, "--extra", "two words");
        assertThat(run.exit).as(run.err).isZero();
        assertThat(run.out.trim()).isEqualTo("-Xmx64m -Dsome=thing -jar " + tmp.resolve("home/" + app + "/quarkus-run.jar")
                + " --extra two words");
        // In the image, STRIPECAST_HOME is /opt/stripecast, and that is where the COPY put this app.
        String home = dockerfile.stages.get(1).env().get("STRIPECAST_HOME");
        String module = app.equals("relay") ? "edge-relay" : "controller";
        assertThat(copiesFromBuild()).anySatisfy(c -> {
            assertThat(c.source).endsWith("/" + module + "/target/quarkus-app/");
            assertThat(c.destination).isEqualTo(home + "/" + app + "/");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "bash", "Relay", "relay;id"})
    void theEntrypointRefusesAnythingElse(String arg, @TempDir Path tmp) throws Exception {
        Run run = arg.isEmpty() ? runEntrypoint(tmp) : runEntrypoint(tmp, arg);
        assertThat(run.exit).isEqualTo(64);
        assertThat(run.out).isEmpty();
        assertThat(run.err).contains("usage: stripecast relay|controller");
    }

    @Test
    void buildContextKeepsWhatTheBuildNeedsAndDropsBuildOutput() {
        List<PathMatcher> ignored = new ArrayList<>();
        for (String line : Repo.read(Repo.ROOT.resolve(".dockerignore")).split("\n")) {
            String p = line.trim();
            if (p.isEmpty() || p.startsWith("#")) {
                continue;
            }
            assertThat(p).as("no exceptions (!) needed").doesNotStartWith("!");
            // Docker matches a pattern against the path and, for a directory, everything under it.
            ignored.add(FileSystems.getDefault().getPathMatcher("glob:" + p));
            ignored.add(FileSystems.getDefault().getPathMatcher("glob:" + p + "/**"));
        }
        List<String> needed = new ArrayList<>(List.of("pom.xml", "mvnw", ".mvn/wrapper/maven-wrapper.properties",
                "edge-relay/src/main/web/package.json", "edge-relay/src/main/web/package-lock.json"));
        for (String module : rootModules()) {
            needed.add(module + "/pom.xml");
            if (!module.equals("helm")) {
                needed.add(module + "/src/main/java/X.java");
            }
        }
        for (String path : needed) {
            assertThat(ignored).as(path + " is in the build context").noneMatch(m -> m.matches(Path.of(path)));
        }
        for (String path : List.of("edge-relay/target/quarkus-app/quarkus-run.jar", "controller/target/classes/A.class",
                "edge-relay/src/main/web/node_modules/hls.js/package.json", ".git/HEAD")) {
            assertThat(ignored).as(path + " is left out of the build context").anyMatch(m -> m.matches(Path.of(path)));
        }
    }

    // ---- the Dockerfile, read

    record Copy(String source, String destination) {
    }

    static List<Copy> copiesFromBuild() {
        List<Copy> out = new ArrayList<>();
        Stage build = dockerfile.stages.get(0);
        for (String copy : dockerfile.stages.get(1).all("COPY")) {
            List<String> words = new ArrayList<>(List.of(copy.split("\\s+")));
            if (words.remove("--from=" + build.name)) {
                words.removeIf(w -> w.startsWith("--"));
                assertThat(words).as("COPY %s: one source, one destination", copy).hasSize(2);
                out.add(new Copy(words.get(0), words.get(1)));
            }
        }
        return out;
    }

    record Run(int exit, String out, String err) {
    }

    /**
     * Runs the image's ENTRYPOINT (a /bin/sh -c script) as Docker would, with the given container arguments,
     * a stand-in `java` that prints its arguments, and STRIPECAST_HOME pointed at a scratch directory.
     */
    static Run runEntrypoint(Path tmp, String... containerArgs) throws IOException, InterruptedException {
        List<String> entrypoint = dockerfile.stages.get(1).entrypoint();
        assertThat(entrypoint.subList(0, 2)).containsExactly("/bin/sh", "-c");
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path java = bin.resolve("java");
        Files.writeString(java, "#!/bin/sh\necho \"$@\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> command = new ArrayList<>(entrypoint);
        command.addAll(List.of(containerArgs));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("PATH", bin + ":/usr/bin:/bin");
        pb.environment().put("JAVA_OPTS", "-Xmx64m -Dsome=thing");
        pb.environment().put("STRIPECAST_HOME", tmp.resolve("home").toString());
        Process p = pb.start();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    static boolean packaged(String module) {
        try (Stream<Path> files = Files.list(Repo.ROOT.resolve(module).resolve("target"))) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".jar"));
        } catch (IOException e) {
            return false;
        }
    }

    static Set<String> rootModules() {
        Set<String> modules = new TreeSet<>();
        Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(Repo.read(Repo.ROOT.resolve("pom.xml")));
        while (m.find()) {
            modules.add(m.group(1).trim());
        }
        return modules;
    }

    static String mavenVersion() {
        String pom = Repo.read(Repo.ROOT.resolve("pom.xml"));
        String afterArtifact = pom.substring(pom.indexOf("<artifactId>stripecast-parent</artifactId>"));
        Matcher m = Pattern.compile("<version>([^<]+)</version>").matcher(afterArtifact);
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    /** Instructions per stage, with line continuations joined and comments dropped. */
    record Dockerfile(List<Stage> stages) {
        static Dockerfile parse(String text) {
            List<Stage> stages = new ArrayList<>();
            StringBuilder logical = new StringBuilder();
            for (String raw : text.split("\n")) {
                String line = raw.strip();
                if (line.startsWith("#") || (line.isEmpty() && logical.isEmpty())) {
                    continue;
                }
                if (line.endsWith("\\")) {
                    logical.append(line, 0, line.length() - 1).append(' ');
                    continue;
                }
                logical.append(line);
                String instruction = logical.toString().strip();
                logical.setLength(0);
                if (instruction.isEmpty()) {
                    continue;
                }
                String[] parts = instruction.split("\\s+", 2);
                String keyword = parts[0].toUpperCase();
                String rest = parts.length > 1 ? parts[1].strip() : "";
                if (keyword.equals("FROM")) {
                    String[] from = rest.split("\\s+");
                    stages.add(new Stage(from[0], from.length == 3 && from[1].equalsIgnoreCase("AS") ? from[2] : null, new ArrayList<>()));
                } else {
                    assertThat(stages).as("instruction before FROM: " + instruction).isNotEmpty();
                    stages.get(stages.size() - 1).instructions.add(Map.entry(keyword, rest));
                }
            }
            return new Dockerfile(stages);
        }
    }

    record Stage(String image, String name, List<Map.Entry<String, String>> instructions) {
        List<String> all(String keyword) {
            return instructions.stream().filter(e -> e.getKey().equals(keyword)).map(Map.Entry::getValue).toList();
        }

        String last(String keyword) {
            List<String> all = all(keyword);
            assertThat(all).as(keyword).isNotEmpty();
            return all.get(all.size() - 1);
        }

        /** KEY="value" pairs of LABEL or ENV instructions. */
        Map<String, String> pairs(String keyword) {
            Map<String, String> out = new LinkedHashMap<>();
            Pattern pair = Pattern.compile("([\\w.-]+)=(\"((?:[^\"\\\\]|\\\\.)*)\"|(\\S+))");
            for (String line : all(keyword)) {
                Matcher m = pair.matcher(line);
                while (m.find()) {
                    out.put(m.group(1), m.group(3) != null ? m.group(3) : m.group(4));
                }
            }
            return out;
        }

        Map<String, String> labels() {
            return pairs("LABEL");
        }

        Map<String, String> env() {
            return pairs("ENV");
        }

        String arg(String name) {
            for (String a : all("ARG")) {
                if (a.startsWith(name + "=")) {
                    return a.substring(name.length() + 1);
                }
            }
            throw new AssertionError("no ARG " + name + " with a default");
        }

        /** The exec-form ENTRYPOINT as a list. */
        List<String> entrypoint() {
            try {
                List<String> out = new ArrayList<>();
                Yaml.JSON.readTree(last("ENTRYPOINT")).forEach(n -> out.add(n.asText()));
                return out;
            } catch (IOException e) {
                throw new AssertionError("ENTRYPOINT is not exec-form JSON", e);
            }
        }
    }
}
