package io.stripecast.lab.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;


/** The real ffmpeg as encoder and as player. */
public final class Ffmpeg {
    private Ffmpeg() {
    }

    /**
     * A test pattern with a tone, H.264 + AAC, one keyframe per second, encoded once and reused:
     * pushing it with {@code -re -c copy} spares the CPU for the relays.
     */
    public static synchronized Path source(Path dir) throws IOException, InterruptedException {
        return encodeOnce(dir, "pattern-40s", List.of(), 120);
    }

    /**
     * The same pattern at a constant ~3 Mbit/s (x264 in CBR with HRD padding; {@code -b:v} alone gives ~1 Mbit/s
     * for a test pattern), about 400 KB per one-second segment: a realistic live bitrate for measuring
     * control-plane overhead against data.
     */
    public static synchronized Path sourceCbr3M(Path dir) throws IOException, InterruptedException {
        return encodeOnce(dir, "pattern-3m-40s", List.of("-b:v", "3M", "-minrate", "3M", "-maxrate", "3M", "-bufsize", "3M",
                "-x264-params", "nal-hrd=cbr"), 300);
    }

    /**
     * A two-rendition ladder for low-latency runs (issue 18): the pattern at 640x360 (~800 kbit/s) and 320x180
     * (~300 kbit/s), video only, one key frame a second (a 2 s DASH segment then has two independent parts, and the
     * nginx baseline can cut the same file into 1 s HLS segments), encoded once each so that
     * a push copies them ({@code -c copy}) instead of encoding two renditions live on a loaded machine.
     */
    public static synchronized List<Path> ladder(Path dir) throws IOException, InterruptedException {
        return List.of(encodeRendition(dir, "ladder-360p", "640x360", "800k"), encodeRendition(dir, "ladder-180p", "320x180", "300k"));
    }

    private static Path encodeRendition(Path dir, String name, String size, String rate) throws IOException, InterruptedException {
        Path src = dir.resolve(name + ".mp4");
        if (Files.exists(src)) {
            return src;
        }
        Files.createDirectories(dir);
        Path tmp = dir.resolve(name + ".tmp.mp4");
        run(List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=" + size + ":rate=25",
                "-t", "40", "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
                "-pix_fmt", "yuv420p", "-b:v", rate, "-maxrate", rate, "-bufsize", rate, tmp.toString()), dir.resolve("encode-" + name + ".log"), 600);
        Files.move(tmp, src);
        return src;
    }

    /**
     * Pushes a ladder ({@link #ladder}) for {@code seconds} in real time the low-latency way (STACK.md): ffmpeg's DASH
     * muxer with {@code -streaming 1 -ldash 1}, 2 s segments of 0.2 s fragments, each segment one chunked PUT that grows
     * as it is written, to {@code <base>/ingest/<stream>/manifest.mpd}. Through the tee muxer a second DASH muxer fed
     * the same packets writes the same files to {@code localDir} (byte-identical to the uploads once producer reference
     * times, which carry the wall clock of each write, are off), so a test knows every byte ffmpeg uploaded.
     */
    public static Process pushLowLatency(List<Path> ladder, int seconds, String manifestUrl, String key, Path localDir, Path log)
            throws IOException {
        Files.createDirectories(localDir);
        String dash = "f=dash:streaming=1:ldash=1:lhls=1:hls_playlist=1:seg_duration=2:frag_duration=0.2:frag_type=duration"
                + ":use_template=1:use_timeline=0:write_prft=0";
        String push = dash + ":method=PUT";
        // The DASH muxer has no -headers: the key goes as the password in the URL (HTTP Basic, as the ingest takes it).
        String url = key == null ? manifestUrl : manifestUrl.replaceFirst("^(https?://)", "$1publisher:" + key + "@");
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "warning", "-y"));
        for (Path rendition : ladder) {
            // Looped: a run may be longer than the 40 s encoded.
            cmd.addAll(List.of("-re", "-stream_loop", "-1", "-i", rendition.toString()));
        }
        cmd.addAll(List.of("-t", Integer.toString(seconds)));
        for (int i = 0; i < ladder.size(); i++) {
            cmd.addAll(List.of("-map", i + ":v"));
        }
        cmd.addAll(List.of("-c", "copy", "-strict", "experimental", "-f", "tee",
                "[" + push + "]" + url + "|[" + dash + "]" + localDir.resolve("manifest.mpd")));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** 40 s of the pattern with a tone as {@code <name>.ts}, encoded the first time only; a torn encode never counts. */
    private static Path encodeOnce(Path dir, String name, List<String> videoRate, int timeoutSeconds)
            throws IOException, InterruptedException {
        Path src = dir.resolve(name + ".ts");
        if (Files.exists(src)) {
            return src;
        }
        Files.createDirectories(dir);
        Path tmp = dir.resolve(name + ".tmp.ts");
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                "-t", "40", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-keyint_min", "25",
                "-sc_threshold", "0", "-pix_fmt", "yuv420p"));
        cmd.addAll(videoRate);
        cmd.addAll(List.of("-c:a", "aac", "-b:a", "64k", "-shortest", tmp.toString()));
        run(cmd, dir.resolve("encode-" + name + ".log"), timeoutSeconds);
        Files.move(tmp, src);
        return src;
    }

    /**
     * Like {@link #push} (MPEG-TS, a new connection per file), but loops the source so a run may last longer
     * than the file: the lab's scenarios run for minutes.
     */
    public static Process pushLooped(Path src, int seconds, String playlistUrl, String key, Path localDir, Path log)
            throws IOException {
        Files.createDirectories(localDir);
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "warning", "-y", "-re",
                "-stream_loop", "-1", "-i", src.toString()));
        cmd.addAll(List.of("-t", Integer.toString(seconds), "-c", "copy", "-f", "hls", "-hls_time", "1", "-hls_list_size", "5",
                "-method", "PUT"));
        if (key != null) {
            cmd.addAll(List.of("-headers", "Authorization: Bearer " + key + "\r\n"));
        }
        cmd.add(playlistUrl);
        cmd.addAll(local(seconds, false, localDir));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /**
     * Pushes {@code seconds} of the source in real time to a relay with {@code -method PUT}, and
     * writes the very same segments to {@code localDir} through a second HLS muxer fed the same
     * packets, so the test knows the bytes ffmpeg uploaded.
     */
    public static Process push(Path src, int seconds, String playlistUrl, boolean fmp4, boolean persistent, String key,
                        Path localDir, Path log) throws IOException {
        Files.createDirectories(localDir);
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "warning", "-y", "-re", "-i", src.toString()));
        cmd.addAll(List.of("-t", Integer.toString(seconds), "-c", "copy", "-f", "hls", "-hls_time", "1", "-hls_list_size", "5"));
        cmd.addAll(segmentType(fmp4));
        cmd.addAll(List.of("-method", "PUT"));
        if (persistent) {
            cmd.addAll(List.of("-http_persistent", "1"));
        }
        if (key != null) {
            cmd.addAll(List.of("-headers", "Authorization: Bearer " + key + "\r\n"));
        }
        cmd.add(playlistUrl);
        cmd.addAll(local(seconds, fmp4, localDir));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /**
     * A publisher with a standby ingest: one ffmpeg pushes the same HLS to two ingest relays through the tee muxer,
     * each output with {@code onfail=ignore}, so that losing one ingest leaves the other fed; a third output writes
     * the same segments to {@code localDir} (the bytes the test expects). Looped source, MPEG-TS, keep-alive off.
     */
    public static Process pushToBoth(Path src, int seconds, String primaryUrl, String standbyUrl, String key, Path localDir,
                                     Path log) throws IOException {
        Files.createDirectories(localDir);
        String push = "f=hls:hls_time=1:hls_list_size=5:method=PUT:onfail=ignore"
                + (key == null ? "" : ":headers=" + teeEscape("Authorization: Bearer " + key + "\r\n"));
        String local = "f=hls:hls_time=1:hls_list_size=0:hls_segment_filename=" + teeEscape(localDir.resolve("index%d.ts").toString());
        String outputs = "[" + push + "]" + primaryUrl + "|[" + push + "]" + standbyUrl + "|[" + local + "]"
                + localDir.resolve("index.m3u8");
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "warning", "-y", "-re",
                "-stream_loop", "-1", "-i", src.toString(), "-t", Integer.toString(seconds), "-map", "0", "-c", "copy",
                "-f", "tee", outputs));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /**
     * Like {@link #push} (MPEG-TS, a new connection per file) with extra HLS muxer options, e.g.
     * {@code -hls_flags omit_endlist} for a publisher that ends by DELETE rather than by a final playlist.
     */
    public static Process push(Path src, int seconds, String playlistUrl, String key, List<String> hlsOptions, Path localDir, Path log)
            throws IOException {
        Files.createDirectories(localDir);
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "warning", "-y", "-re", "-i", src.toString()));
        cmd.addAll(List.of("-t", Integer.toString(seconds), "-c", "copy", "-f", "hls", "-hls_time", "1", "-hls_list_size", "5"));
        cmd.addAll(hlsOptions);
        cmd.addAll(List.of("-method", "PUT", "-headers", "Authorization: Bearer " + key + "\r\n", playlistUrl));
        cmd.addAll(local(seconds, false, localDir));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /**
     * An option value inside the tee muxer's [k=v:...] list. It is unescaped twice (once when the output list is
     * split into tokens, once when a slave's options are parsed), so it is escaped twice.
     */
    private static String teeEscape(String value) {
        return escapeOnce(escapeOnce(value));
    }

    private static String escapeOnce(String value) {
        StringBuilder out = new StringBuilder();
        for (char c : value.toCharArray()) {
            if (":=[]|\\".indexOf(c) >= 0) {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }

    /**
     * A viewer that follows a live playlist until it ends: {@code ffmpeg -i URL -c copy -f null -}, no duration given,
     * so it exits on its own only when the playlist ends ({@code #EXT-X-ENDLIST}).
     */
    public static Process follow(String playlistUrl, Path log) throws IOException {
        return new ProcessBuilder("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-i", playlistUrl, "-c", "copy",
                "-f", "null", "-").redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Writes HLS in real time to a folder only (the upstream origin of pull ingest). */
    public static Process writeOrigin(Path src, int seconds, boolean fmp4, Path localDir, Path log) throws IOException {
        Files.createDirectories(localDir);
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "warning", "-y", "-re", "-i", src.toString()));
        cmd.addAll(local(seconds, fmp4, localDir));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static List<String> local(int seconds, boolean fmp4, Path localDir) {
        List<String> cmd = new ArrayList<>(List.of("-t", Integer.toString(seconds), "-c", "copy", "-f", "hls", "-hls_time", "1",
                "-hls_list_size", "0"));
        cmd.addAll(segmentType(fmp4));
        cmd.addAll(List.of("-hls_segment_filename", localDir.resolve(fmp4 ? "index%d.m4s" : "index%d.ts").toString(),
                localDir.resolve("index.m3u8").toString()));
        return cmd;
    }

    private static List<String> segmentType(boolean fmp4) {
        // The source carries ADTS AAC (MPEG-TS); MP4 wants it as plain AAC.
        return fmp4 ? List.of("-bsf:a", "aac_adtstoasc", "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4")
                : List.of();
    }

    /**
     * Plays a live playlist from its first segment for {@code seconds} as a player would, copying
     * the streams to nowhere; fails on any error ffmpeg reports.
     */
    public static void play(String playlistUrl, double seconds, Path log) throws IOException, InterruptedException {
        int code = run(List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-live_start_index", "0",
                "-i", playlistUrl, "-t", String.format(java.util.Locale.ROOT, "%.1f", seconds), "-c", "copy", "-f", "null", "-"), log, 120);
        String errors = Files.readString(log);
        if (code != 0 || !errors.isBlank()) {
            throw new IllegalStateException("ffmpeg playing " + playlistUrl + " exited " + code + ": " + errors);
        }
    }

    public static int run(List<String> cmd, Path log, int timeoutSeconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + String.join(" ", cmd));
        }
        return p.exitValue();
    }
}
