package io.stripecast.lab.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where the userspace link emulator's C source is ({@code load-tests/src/main/c/sclab-link.c}) and where its
 * binary goes ({@code load-tests/target/sclab-link}); compiled with gcc at run time when the binary is missing
 * or older than the source. System properties {@code sclab.link.source} and {@code sclab.link.binary} point
 * elsewhere.
 */
public record LinkEmulatorBuild(Path source, Path binary) {
    static final String SOURCE = "src/main/c/sclab-link.c";

    /** The source seen from the repository root or from the module, the binary in that module's target/. */
    public static LinkEmulatorBuild locate() {
        String property = System.getProperty("sclab.link.source");
        Path source;
        if (property != null) {
            source = Path.of(property);
        } else {
            Path fromRoot = Path.of("load-tests").resolve(SOURCE);
            source = Files.exists(fromRoot) ? fromRoot : Path.of(SOURCE);
        }
        // <module>/src/main/c/sclab-link.c -> <module>/target/sclab-link
        Path module = source.toAbsolutePath().getParent().getParent().getParent().getParent();
        Path binary = Path.of(System.getProperty("sclab.link.binary", module.resolve("target").resolve("sclab-link").toString()));
        return new LinkEmulatorBuild(source, binary);
    }

    /** A binary is rebuilt when it is missing or older than its source. */
    static boolean stale(FileTime sourceModified, FileTime binaryModified) {
        return binaryModified == null || binaryModified.compareTo(sourceModified) < 0;
    }

    List<String> gccCommand(Path out) {
        return List.of("gcc", "-O2", "-Wall", "-o", out.toString(), source.toString());
    }

    /** Why the emulator cannot run here (no source, no gcc to build it, no /dev/net/tun), or null when it can. */
    public String unavailableBecause() {
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            return "no /dev/net/tun";
        }
        if (!Files.exists(source)) {
            return "no emulator source at " + source.toAbsolutePath() + " (run the lab from the repository)";
        }
        try {
            if (needsBuild() && !gccWorks()) {
                return "no gcc to build " + source;
            }
        } catch (IOException e) {
            return "cannot read " + source + ": " + e.getMessage();
        }
        return null;
    }

    boolean needsBuild() throws IOException {
        FileTime bin = Files.exists(binary) ? Files.getLastModifiedTime(binary) : null;
        return stale(Files.getLastModifiedTime(source), bin);
    }

    /** The binary, compiled first when needed (into a temporary file moved into place, so concurrent runs never see half a file). */
    public Path build() throws IOException, InterruptedException {
        if (!needsBuild()) {
            return binary;
        }
        Files.createDirectories(binary.toAbsolutePath().getParent());
        Path tmp = binary.resolveSibling(binary.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        Process p = new ProcessBuilder(gccCommand(tmp)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            Files.deleteIfExists(tmp);
            throw new IOException(String.join(" ", gccCommand(tmp)) + " failed: " + out.strip());
        }
        Files.move(tmp, binary, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return binary;
    }

    private static boolean gccWorks() {
        try {
            Process p = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
