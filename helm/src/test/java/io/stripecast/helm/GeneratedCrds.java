package io.stripecast.helm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The CRD YAML the Fabric8 CRD generator wrote in operator-crds (META-INF/fabric8/*.yml on the test classpath:
 * operator-crds/target/classes in the reactor, the installed jar otherwise), by file name.
 */
final class GeneratedCrds {
    static final String DIR = "META-INF/fabric8";

    private GeneratedCrds() {
    }

    static Map<String, String> files() {
        URL anchor = GeneratedCrds.class.getClassLoader().getResource(DIR + "/livestreams.stripecast.io-v1.yml");
        if (anchor == null) {
            throw new IllegalStateException(DIR + " is not on the classpath: build operator-crds first");
        }
        try {
            if ("jar".equals(anchor.getProtocol())) {
                String spec = anchor.toString();
                URI jar = URI.create(spec.substring(0, spec.indexOf("!/")));
                try (FileSystem fs = FileSystems.newFileSystem(jar, Map.of())) {
                    return read(fs.getPath("/" + DIR));
                }
            }
            return read(Path.of(anchor.toURI()).getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> read(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (name.endsWith(".yml") || name.endsWith(".yaml")) {
                    try (InputStream in = Files.newInputStream(p)) {
                        out.put(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    }
                }
            }
        }
        return out;
    }
}
