package io.stripecast.lab.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Compares what ffmpeg wrote with what relays serve: SHA-256 of every segment, in playlist order. */
public final class HlsCheck {
    private static final Pattern MAP = Pattern.compile("#EXT-X-MAP:URI=\"([^\"]+)\"");

    private HlsCheck() {
    }

    /** SHA-256 of each segment ffmpeg wrote locally, in playlist order (init first for fMP4). */
    public static List<String> localHashes(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        String playlist = Files.readString(dir.resolve("index.m3u8"));
        Matcher map = MAP.matcher(playlist);
        if (map.find()) {
            out.add(sha256(Files.readAllBytes(dir.resolve(map.group(1)))));
        }
        for (String uri : uris(playlist)) {
            out.add(sha256(Files.readAllBytes(dir.resolve(uri))));
        }
        return out;
    }

    /** SHA-256 of each segment a relay serves for a stream, in its playlist's order (init first for fMP4). */
    public static List<String> servedHashes(JavaService relay, String stream) throws IOException, InterruptedException {
        List<String> out = new ArrayList<>();
        String playlist = relay.getText("/live/" + stream + "/index.m3u8");
        Matcher map = MAP.matcher(playlist);
        if (map.find()) {
            out.add(sha256(relay.get("/live/" + stream + "/" + map.group(1))));
        }
        for (String uri : uris(playlist)) {
            out.add(sha256(relay.get("/live/" + stream + "/" + uri)));
        }
        return out;
    }

    /** Media segments a relay lists (0 when it answers no playlist). */
    public static int listedSegments(JavaService relay, String stream) {
        try {
            return uris(relay.getText("/live/" + stream + "/index.m3u8")).size();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    public static boolean hasInit(JavaService relay, String stream) {
        try {
            return relay.getText("/live/" + stream + "/index.m3u8").contains("#EXT-X-MAP");
        } catch (Exception e) {
            return false;
        }
    }

    private static List<String> uris(String playlist) {
        return playlist.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).map(String::strip).toList();
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Each scenario starts from an empty folder: files of an earlier run must not leak into this one. */
    public static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
