package io.stripecast.helm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the files this module keeps true live: the repository root and the paths under it. */
final class Repo {
    /** Surefire passes the root (helm/..); from an IDE the working directory is the module. */
    static final Path ROOT = Path.of(System.getProperty("stripecast.repo.root", "..")).toAbsolutePath().normalize();
    static final Path CHART = ROOT.resolve("helm/stripecast");
    static final Path K8S = ROOT.resolve("k8s");
    static final Path DOCKERFILE = ROOT.resolve("Dockerfile");

    private Repo() {
    }

    /**
     * bin/render-k8s sets {@code -Dstripecast.render=true}: the sync tests then write the generated files
     * (the chart's CRD copies, k8s/) instead of comparing them.
     */
    static boolean renderMode() {
        return Boolean.getBoolean("stripecast.render");
    }

    static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
