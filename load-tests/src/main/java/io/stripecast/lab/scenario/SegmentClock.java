package io.stripecast.lab.scenario;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * When the source finished each segment: the zero point of every availability figure measured at
 * viewers, the same for stripecast and the baseline.
 */
interface SegmentClock {
    /** Wall-clock millis at which the source had segment {@code mediaSequence} complete, if known. */
    OptionalLong finishedAt(long mediaSequence);

    /** The same clock, blind to segments before {@code sequence}: figures that leave out a warm-up. */
    default SegmentClock from(long sequence) {
        return seq -> seq < sequence ? OptionalLong.empty() : finishedAt(seq);
    }

    /**
     * ffmpeg's own copy of what it uploaded: segment {@code n} is {@code index<n>.ts}, finished at its mtime;
     * the delivery numbered ffmpeg's segment 0 {@code firstSequence} (stripecast numbers from the clock,
     * a plain origin from 0).
     */
    static SegmentClock ffmpeg(Path ffmpegOut, long firstSequence) {
        return seq -> {
            Path file = ffmpegOut.resolve("index" + (seq - firstSequence) + ".ts");
            try {
                return Files.exists(file) ? OptionalLong.of(Files.getLastModifiedTime(file).toMillis()) : OptionalLong.empty();
            } catch (IOException e) {
                return OptionalLong.empty();
            }
        };
    }

    /**
     * Times the lab recorded itself (the synthetic source knows when each PUT was answered), by the source's
     * own segment index; the delivery numbered index 0 {@code firstSequence}.
     */
    static SegmentClock of(Map<Integer, Long> finishedAt, long firstSequence) {
        Map<Integer, Long> copy = new TreeMap<>(finishedAt);
        return seq -> {
            Long at = copy.get((int) (seq - firstSequence));
            return at == null ? OptionalLong.empty() : OptionalLong.of(at);
        };
    }
}
