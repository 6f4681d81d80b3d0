package io.stripecast.relay.ingest.cmaf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real CMAF from real ffmpeg: its DASH muxer with the low-latency flags the README gives, written to files (as fast as
 * it encodes, no -re) so that tests read exactly the bytes it would PUT.
 */
public final class FfmpegDash {
    private FfmpegDash() {
    }

    /** The low-latency DASH muxer options of the README's command (2 s segments of 200 ms fragments). */
    public static List<String> muxerOptions() {
        return List.of("-f", "dash", "-strict", "experimental", "-streaming", "1", "-ldash", "1", "-seg_duration", "2",
                "-frag_duration", "0.2", "-frag_type", "duration", "-use_template", "1", "-use_timeline", "0");
    }

    /** Where each top-level mdat of a segment file ends (its fragments' ends), read by a walk of its own. */
    public static List<Integer> fragmentEnds(byte[] file) {
        List<Integer> ends = new ArrayList<>();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(file);
        int at = 0;
        while (at < file.length) {
            int size = b.getInt(at);
            String type = new String(file, at + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            at += size;
            if (type.equals("mdat")) {
                ends.add(at);
            }
        }
        return ends;
    }

    /** Encodes {@code seconds} of a 440 Hz tone as AAC into {@code dir} with the same muxer options (an audio stream). */
    public static Path encodeAudio(Path dir, int seconds) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
                "-f", "lavfi", "-i", "sine=frequency=440", "-t", Integer.toString(seconds), "-c:a", "aac", "-b:a", "64k"));
        cmd.addAll(muxerOptions());
        cmd.add(dir.resolve("manifest.mpd").toString());
        run(cmd, dir);
        return dir;
    }

    /** Encodes {@code seconds} of a 25 fps test pattern into {@code dir}/manifest.mpd, init-stream0.m4s, chunk-stream0-*.m4s. */
    public static Path encode(Path dir, int seconds) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
                "-f", "lavfi", "-i", "testsrc=size=320x180:rate=25", "-t", Integer.toString(seconds), "-map", "0:v",
                "-c:v", "libx264", "-tune", "zerolatency", "-preset", "veryfast", "-g", "50", "-keyint_min", "50", "-b:v", "300k"));
        cmd.addAll(muxerOptions());
        cmd.add(dir.resolve("manifest.mpd").toString());
        run(cmd, dir);
        return dir;
    }

    private static void run(List<String> cmd, Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("ffmpeg.log").toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("ffmpeg finishes within 60 s").isTrue();
        assertThat(p.exitValue()).as("ffmpeg's exit code; its log: %s", Files.readString(dir.resolve("ffmpeg.log"))).isZero();
    }
}
