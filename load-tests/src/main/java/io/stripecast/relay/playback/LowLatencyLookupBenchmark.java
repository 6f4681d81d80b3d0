package io.stripecast.relay.playback;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.PartsEnd;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.relay.playback.MediaNames.Media;
import io.stripecast.relay.stream.StreamSpec;
import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowEntry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What an edge spends to find what a viewer asks for in a low-latency window (in the relay's package: the lookups are
 * package-private): a part of the newest segment, and a whole segment joined from its parts, as the playback routes
 * look them up per request, each beside the way they were looked up before (a snapshot of the whole window per request). A two-rendition ladder of 2 s segments in 0.2 s parts, as
 * LowLatencyIT's ffmpeg sends, held for {@code windowSeconds}. One operation = one request's lookup.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LowLatencyLookupBenchmark {
    private static final int RENDITIONS = 2;
    private static final int PARTS = 10;
    private static final long PART_MICROS = 200_000;

    /** How much of the stream the window holds (a stream's {@code window}). */
    @Param({"30", "120"})
    public int windowSeconds;

    private SegmentWindow window;
    private Media newestPart;
    private Media newestSegment;
    private long nextSequence = 1;

    @Setup
    public void fill() {
        StreamSpec spec = new StreamSpec("ll", 2, 1, Duration.ofSeconds(windowSeconds + 10), Optional.empty(), Optional.empty(),
                Duration.ofSeconds(1));
        window = new SegmentWindow(spec, 1L << 31);
        StripeCodec codec = new StripeCodec(2, 1);
        long[] inits = new long[RENDITIONS];
        long start = 1_000_000;
        for (int r = 0; r < RENDITIONS; r++) {
            byte[] bytes = new byte[800];
            inits[r] = put(codec, meta(SegmentKind.SEGMENT_KIND_FMP4_INIT, bytes, start).setRendition(r), bytes);
        }
        long segments = windowSeconds * 1_000_000L / (PARTS * PART_MICROS);
        for (long msn = 0; msn < segments; msn++) {
            long segmentStart = start + msn * PARTS * PART_MICROS / 1000;
            for (int p = 0; p < PARTS; p++) {
                for (int r = 0; r < RENDITIONS; r++) {
                    byte[] bytes = new byte[r == 0 ? 20_000 : 7_500];
                    put(codec, meta(SegmentKind.SEGMENT_KIND_FMP4_PART, bytes, segmentStart + (p + 1) * PART_MICROS / 1000).setRendition(r)
                            .setMediaSequence(msn).setPartIndex(p).setIndependent(p == 0 || p == 5).setDurationMicros(PART_MICROS)
                            .setInitSequence(inits[r]), bytes);
                }
            }
            for (int r = 0; r < RENDITIONS; r++) {
                byte[] body = PartsEnd.body();
                put(codec, meta(SegmentKind.SEGMENT_KIND_PARTS_END, body, segmentStart + PARTS * PART_MICROS / 1000 + 10).setRendition(r)
                        .setMediaSequence(msn).setPartIndex(PARTS).setDurationMicros(PARTS * PART_MICROS).setInitSequence(inits[r]), body);
            }
        }
        newestPart = new Media(0, segments - 1, PARTS - 1, true);
        newestSegment = new Media(0, segments - 1, -1, true);
        if (newestPart() == null || newestPart() != newestPartFromSnapshot() || newestSegment() == null || newestSegmentFromSnapshot() == null
                || newestSegment().partCount() != PARTS) {
            throw new IllegalStateException("the window does not hold what is looked up: " + window.size() + " entries");
        }
    }

    private SegmentMeta.Builder meta(SegmentKind kind, byte[] bytes, long ingestMillis) {
        return SegmentMeta.newBuilder().setSequence(nextSequence++).setKind(kind).setLength(bytes.length)
                .setIngestTimeMillis(ingestMillis).setSha256(ByteString.copyFrom(Shards.sha256(bytes))).setK(2).setM(1);
    }

    private long put(StripeCodec codec, SegmentMeta.Builder meta, byte[] bytes) {
        SegmentMeta built = meta.build();
        window.putComplete(Shards.encode(codec, built, bytes), bytes);
        return built.getSequence();
    }

    /** The part the playlist hints, as a part request looks it up: from the live edge back, copying nothing. */
    @Benchmark
    public WindowEntry newestPart() {
        return MediaFiles.part(window, newestPart);
    }

    /** The same before 2026-12-08: a snapshot of the window, then a scan from its oldest entry. */
    @Benchmark
    public WindowEntry newestPartFromSnapshot() {
        for (WindowEntry e : window.snapshot()) {
            if (e.isPart() && e.isComplete() && e.rendition() == newestPart.rendition() && e.meta().getMediaSequence() == newestPart.mediaSequence()
                    && e.meta().getPartIndex() == newestPart.part()) {
                return e;
            }
        }
        return null;
    }

    /** The newest whole segment of a part stream (its parts joined), as a whole-segment request looks it up. */
    @Benchmark
    public HeldSegment newestSegment() {
        return MediaFiles.complete(window, newestSegment);
    }

    /** The same before 2026-12-08: a snapshot of the window, sorted by rendition and segment. */
    @Benchmark
    public HeldSegment newestSegmentFromSnapshot() {
        return RenditionEntries.of(window.snapshot()).rendition(newestSegment.rendition()).segment(newestSegment.mediaSequence());
    }
}
