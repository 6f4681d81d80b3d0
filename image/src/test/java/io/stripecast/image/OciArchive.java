package io.stripecast.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * An OCI image archive (an OCI image layout in a tar file, as Jib's buildTar and {@code skopeo copy oci-archive:}
 * read and write it) with exactly one image: its reference name, config and layers. Every blob is checked against
 * its digest as it is read.
 */
record OciArchive(String referenceName, JsonNode manifest, JsonNode config, List<byte[]> layers) {
    static final ObjectMapper JSON = new ObjectMapper();

    /** One file, directory or link of a layer, as the tar entry says: path without leading slash, mode, owner. */
    record Entry(String path, int mode, long uid, long gid, long size, boolean directory, String linkTarget) {
        boolean executable() {
            return (mode & 0111) == 0111;
        }
    }

    static OciArchive read(Path tarball) throws IOException {
        Map<String, byte[]> files = new HashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(Files.newInputStream(tarball))) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                if (e.isFile()) {
                    files.put(e.getName().replaceFirst("^\\./", ""), tar.readAllBytes());
                }
            }
        }
        if (!files.containsKey("oci-layout") || !files.containsKey("index.json")) {
            throw new AssertionError("not an OCI image layout (no oci-layout/index.json): " + files.keySet());
        }
        JsonNode index = JSON.readTree(files.get("index.json"));
        if (index.path("manifests").size() != 1) {
            throw new AssertionError("expected one image in the archive: " + index);
        }
        JsonNode descriptor = index.path("manifests").get(0);
        JsonNode manifest = JSON.readTree(blob(files, descriptor));
        JsonNode config = JSON.readTree(blob(files, manifest.path("config")));
        List<byte[]> layers = new ArrayList<>();
        for (JsonNode layer : manifest.path("layers")) {
            layers.add(blob(files, layer));
        }
        return new OciArchive(descriptor.at("/annotations/org.opencontainers.image.ref.name").asText(), manifest, config, layers);
    }

    private static byte[] blob(Map<String, byte[]> files, JsonNode descriptor) {
        String digest = descriptor.path("digest").asText();
        if (!digest.startsWith("sha256:")) {
            throw new AssertionError("unexpected digest " + descriptor);
        }
        byte[] blob = files.get("blobs/sha256/" + digest.substring("sha256:".length()));
        if (blob == null) {
            throw new AssertionError("blob " + digest + " is not in the archive");
        }
        if (!digest.equals("sha256:" + sha256(blob)) || blob.length != descriptor.path("size").asLong()) {
            throw new AssertionError("blob " + digest + " does not match its descriptor");
        }
        return blob;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static TarArchiveInputStream layerStream(byte[] layer) throws IOException {
        InputStream in = new ByteArrayInputStream(layer);
        // OCI layers are tar or gzip'd tar (Jib writes tar+gzip); the magic number tells which.
        if (layer.length > 2 && (layer[0] & 0xff) == 0x1f && (layer[1] & 0xff) == 0x8b) {
            in = new GZIPInputStream(in);
        }
        return new TarArchiveInputStream(in);
    }

    /** The file system the layers make, bottom to top: path (no leading slash, no trailing slash) to entry. */
    Map<String, Entry> fileSystem() throws IOException {
        Map<String, Entry> fs = new LinkedHashMap<>();
        for (byte[] layer : layers) {
            try (TarArchiveInputStream tar = layerStream(layer)) {
                for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                    String path = normalize(e.getName());
                    rejectWhiteout(path);
                    fs.put(path, new Entry(path, e.getMode() & 07777, e.getLongUserId(), e.getLongGroupId(), e.getSize(),
                            e.isDirectory(), e.isSymbolicLink() || e.isLink() ? e.getLinkName() : null));
                }
            }
        }
        return fs;
    }

    /** The bytes of one regular file of the image (the topmost layer that has it). */
    byte[] read(String path) throws IOException {
        byte[] found = null;
        for (byte[] layer : layers) {
            try (TarArchiveInputStream tar = layerStream(layer)) {
                for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                    if (e.isFile() && normalize(e.getName()).equals(path)) {
                        found = tar.readAllBytes();
                    }
                }
            }
        }
        if (found == null) {
            throw new AssertionError(path + " is not a file of the image");
        }
        return found;
    }

    /**
     * Unpacks the layers into a directory as a container runtime would (modes kept; the owner is whoever runs this,
     * root in CI, as in the image). Symbolic and hard links are made; whiteouts cannot occur in an image built
     * FROM scratch and are refused rather than half-handled.
     */
    void unpackTo(Path root) throws IOException {
        for (byte[] layer : layers) {
            try (TarArchiveInputStream tar = layerStream(layer)) {
                for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                    String path = normalize(e.getName());
                    rejectWhiteout(path);
                    Path target = root.resolve(path).normalize();
                    if (!target.startsWith(root)) {
                        throw new AssertionError("layer entry outside the root: " + e.getName());
                    }
                    if (e.isDirectory()) {
                        Files.createDirectories(target);
                    } else {
                        Files.createDirectories(target.getParent());
                        Files.deleteIfExists(target);
                        if (e.isSymbolicLink()) {
                            Files.createSymbolicLink(target, Path.of(e.getLinkName()));
                            continue;
                        } else if (e.isLink()) {
                            Files.createLink(target, root.resolve(normalize(e.getLinkName())));
                            continue;
                        } else {
                            Files.copy(tar, target);
                        }
                    }
                    Files.setPosixFilePermissions(target, permissions(e.getMode()));
                }
            }
        }
    }

    private static String normalize(String name) {
        String path = name.replaceFirst("^\\./", "").replaceFirst("^/+", "");
        return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    private static void rejectWhiteout(String path) {
        if (path.substring(path.lastIndexOf('/') + 1).startsWith(".wh.")) {
            throw new AssertionError("whiteout in an image built FROM scratch: " + path);
        }
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_READ};
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                out.add(bits[i]);
            }
        }
        return out;
    }
}
