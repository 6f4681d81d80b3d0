package io.stripecast.lab.scenario;

import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.SyntheticSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The live source of a run: ffmpeg pushing a test pattern, or the synthetic segment generator. */
interface RunSource {
    /** Blocks until the source has sent everything (bounded by the run's length plus slack). */
    void awaitEnd(int seconds) throws Exception;

    /** SHA-256 of every segment of {@code stream} the source sent, in order. */
    List<String> expected(String stream) throws IOException;

    /** When the source finished each segment; the ingest numbered the first one {@code firstSequence}. */
    SegmentClock clock(String stream, long firstSequence);

    /** When the source ended its stream (ffmpeg: its final playlist, with ENDLIST, uploaded); -1 when it never does. */
    default long endMillis() {
        return -1;
    }

    /** Anything the report should say about the source. */
    default List<String> notes() {
        return List.of();
    }

    /** ffmpeg, looping the encoded pattern in real time, with its own copy of every segment in {@code out}. */
    static RunSource ffmpeg(Path media, int seconds, String playlistUrl, String key, Path out, Path log) throws IOException {
        return ffmpeg(Ffmpeg.pushLooped(media, seconds, playlistUrl, key, out, log), out);
    }

    /** A running ffmpeg that writes its own copy of every segment it sends to {@code out}. */
    private static RunSource ffmpeg(Process p, Path out) {
        return new RunSource() {
            @Override
            public void awaitEnd(int s) throws Exception {
                if (!p.waitFor(s + 120L, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("ffmpeg did not finish");
                }
            }

            @Override
            public List<String> expected(String stream) throws IOException {
                return HlsCheck.localHashes(out);
            }

            @Override
            public SegmentClock clock(String stream, long firstSequence) {
                return SegmentClock.ffmpeg(out, firstSequence);
            }

            @Override
            public long endMillis() {
                // ffmpeg writes its local final playlist right after uploading the same one: its time is the last upload.
                Path local = out.resolve("index.m3u8");
                try {
                    return java.nio.file.Files.readString(local).contains("#EXT-X-ENDLIST")
                            ? java.nio.file.Files.getLastModifiedTime(local).toMillis() : -1;
                } catch (IOException e) {
                    return -1;
                }
            }
        };
    }

    /** ffmpeg pushing the same segments to an ingest and its standby (tee muxer), with its own copy in {@code out}. */
    static RunSource ffmpegToBoth(Path media, int seconds, String primaryUrl, String standbyUrl, String key, Path out, Path log)
            throws IOException {
        return ffmpeg(Ffmpeg.pushToBoth(media, seconds, primaryUrl, standbyUrl, key, out, log), out);
    }

    static RunSource synthetic(SyntheticSource source) {
        Thread t = new Thread(source, "synthetic-source");
        t.setDaemon(true);
        t.start();
        return new RunSource() {
            @Override
            public void awaitEnd(int s) throws Exception {
                t.join((s + 120L) * 1000);
                if (t.isAlive()) {
                    t.interrupt();
                    throw new IllegalStateException("synthetic source did not finish");
                }
            }

            @Override
            public List<String> expected(String stream) {
                return source.expectedHashes(stream);
            }

            @Override
            public SegmentClock clock(String stream, long firstSequence) {
                return SegmentClock.of(source.finishedAt(stream), firstSequence);
            }

            @Override
            public List<String> notes() {
                return List.of("synthetic source: " + source.failures() + " failed PUT(s), at worst " + source.maxLagMillis()
                        + " ms behind real time");
            }
        };
    }
}
