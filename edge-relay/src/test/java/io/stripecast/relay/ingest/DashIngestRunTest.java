package io.stripecast.relay.ingest;

import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.relay.TestStreams;
import io.stripecast.relay.ingest.cmaf.BoxCutter;
import io.stripecast.relay.ingest.cmaf.DashManifest;
import io.stripecast.relay.ingest.cmaf.FfmpegDash;
import io.stripecast.relay.ingest.cmaf.Fragments;
import io.stripecast.relay.ingest.cmaf.TrackInit;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.window.WindowEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One stream's DASH ingest without HTTP, on real ffmpeg CMAF: runs and their numbering, parts waiting for their
 * init, the end after the last open upload, and the ladder published on change and again every half window.
 */
class DashIngestRunTest {
    private static final long NOW = 1_700_000_000_000L;
    private static final String TWO_VIDEOS_AND_AUDIO = """
            <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="%s"><Period>
            <AdaptationSet contentType="video" frameRate="25/1"><Representation id="0" mimeType="video/mp4" codecs="avc1.f4001e" bandwidth="800000" width="640" height="360"/></AdaptationSet>
            <AdaptationSet contentType="video" frameRate="25/1"><Representation id="1" mimeType="video/mp4" codecs="avc1.f4000c" bandwidth="300000" width="320" height="180"/></AdaptationSet>
            <AdaptationSet contentType="audio"><Representation id="2" mimeType="audio/mp4" codecs="mp4a.40.2" bandwidth="96000"/></AdaptationSet>
            </Period></MPD>""";

    @TempDir
    static Path dir;
    static byte[] init;
    static List<byte[]> parts;
    /** The parts of the encoder's second segment (the 3 s encode's last second). */
    static List<byte[]> secondParts;

    private final TestStreams streams = new TestStreams();
    private final StreamRuntime runtime = streams.stream("cmaf", 2, 1, Duration.ofSeconds(60));
    private final DashIngest dash = new DashIngest(runtime, new SegmentPublisher(runtime, streams.metrics, NOW), streams.metrics, 4);

    {
        runtime.setRoot(true);
    }

    @BeforeAll
    static void encode() throws Exception {
        FfmpegDash.encode(dir, 3);
        init = Files.readAllBytes(dir.resolve("init-stream0.m4s"));
        byte[] segment = Files.readAllBytes(dir.resolve("chunk-stream0-00001.m4s"));
        BoxCutter cutter = new BoxCutter(1 << 20, 8 << 20, 64);
        parts = new ArrayList<>(cutter.feed(segment, 0, segment.length));
        cutter.finish();
        byte[] second = Files.readAllBytes(dir.resolve("chunk-stream0-00002.m4s"));
        BoxCutter again = new BoxCutter(1 << 20, 8 << 20, 64);
        secondParts = new ArrayList<>(again.feed(second, 0, second.length));
        again.finish();
    }

    @Test
    void partsWaitForTheirInitThenFollowIt() throws Exception {
        ChunkUpload u = dash.open(0, 1, NOW);
        u.add(new ChunkUpload.Part(parts.get(0), NOW));
        dash.drain(u, NOW);
        assertThat(entries(SegmentKind.SEGMENT_KIND_FMP4_PART)).as("no init yet: the part waits").isEmpty();
        dash.onInit(0, TrackInit.parse(init), init, NOW);
        List<WindowEntry> published = runtime.window().snapshot();
        assertThat(published).extracting(e -> e.meta().getKind())
                .containsExactly(SegmentKind.SEGMENT_KIND_FMP4_INIT, SegmentKind.SEGMENT_KIND_FMP4_PART);
        assertThat(published.get(1).meta().getInitSequence()).isEqualTo(published.get(0).sequence());
    }

    @Test
    void anEncoderNumberingFromTheStartAgainStartsARunAfterADiscontinuity() throws Exception {
        dash.onInit(0, TrackInit.parse(init), init, NOW);
        segment(1);
        segment(2);
        long before = newestPartsEnd().meta().getMediaSequence();
        segment(1);
        WindowEntry restarted = newestPartsEnd();
        assertThat(restarted.meta().getMediaSequence()).as("a media sequence is never given twice").isGreaterThan(before);
        List<WindowEntry> firstParts = entries(SegmentKind.SEGMENT_KIND_FMP4_PART).stream().filter(e -> e.meta().getPartIndex() == 0).toList();
        assertThat(firstParts).extracting(e -> e.meta().getDiscontinuity()).containsExactly(false, false, true);
        assertThat(entries(SegmentKind.SEGMENT_KIND_FMP4_INIT)).as("the init the window holds is kept").hasSize(1);
    }

    @Test
    void theEndWaitsForTheOpenUploadAndTheNextUploadStartsARun() throws Exception {
        dash.onInit(0, TrackInit.parse(init), init, NOW);
        ChunkUpload open = dash.open(0, 1, NOW);
        open.add(new ChunkUpload.Part(parts.get(0), NOW));
        dash.drain(open, NOW);
        dash.onManifest(DashManifest.parse(TWO_VIDEOS_AND_AUDIO.formatted("static").getBytes(StandardCharsets.UTF_8)), NOW);
        assertThat(runtime.window().snapshot()).as("the upload is still open").noneMatch(WindowEntry::isEnd);
        for (byte[] p : parts.subList(1, parts.size())) {
            open.add(new ChunkUpload.Part(p, NOW));
        }
        open.add(new ChunkUpload.End());
        dash.drain(open, NOW + 2000);
        List<WindowEntry> window = runtime.window().snapshot();
        WindowEntry last = window.get(window.size() - 1);
        assertThat(last.isEnd()).isTrue();
        assertThat(last.meta().getMediaSequence()).as("the end names a media sequence after the run's")
                .isGreaterThan(newestPartsEnd().meta().getMediaSequence());
        assertThat(window.get(window.size() - 2).isRenditions()).as("the ladder again, just before the end").isTrue();

        // The publisher starts again: its init is published afresh, its first segment follows a discontinuity.
        dash.onInit(0, TrackInit.parse(init), init, NOW + 5000);
        segment(1);
        assertThat(entries(SegmentKind.SEGMENT_KIND_FMP4_INIT)).hasSize(2);
        WindowEntry firstOfRun = entries(SegmentKind.SEGMENT_KIND_FMP4_PART).stream()
                .filter(e -> e.sequence() > last.sequence()).findFirst().orElseThrow();
        assertThat(firstOfRun.meta().getDiscontinuity()).isTrue();
        assertThat(firstOfRun.meta().getMediaSequence()).isGreaterThanOrEqualTo(last.meta().getMediaSequence());
        int ladders = entries(SegmentKind.SEGMENT_KIND_RENDITIONS).size();
        dash.onManifest(DashManifest.parse(TWO_VIDEOS_AND_AUDIO.formatted("dynamic").getBytes(StandardCharsets.UTF_8)), NOW + 6000);
        assertThat(entries(SegmentKind.SEGMENT_KIND_RENDITIONS)).as("the new run's ladder, though it reads the same")
                .hasSize(ladders + 1);
    }

    @Test
    void aDeleteOfTheManifestEndsTheStreamAfterWhatWasSent() throws Exception {
        dash.onInit(0, TrackInit.parse(init), init, NOW);
        segment(1);
        dash.onManifestDeleted(NOW + 100);
        List<WindowEntry> window = runtime.window().snapshot();
        assertThat(window.get(window.size() - 1).isEnd()).isTrue();
        assertThat(window.get(window.size() - 2).isPartsEnd()).isTrue();
        assertThat(streams.count("stripecast.relay.stream.ends", "cause", "delete")).isEqualTo(1);
        dash.onManifestDeleted(NOW + 200);
        assertThat(runtime.window().snapshot().stream().filter(WindowEntry::isEnd)).as("nothing more to end").hasSize(1);
    }

    @Test
    void theLadderIsPublishedWhenItChangesAndAgainEveryHalfWindow() throws Exception {
        dash.onInit(0, TrackInit.parse(init), init, NOW);
        DashManifest live = DashManifest.parse(TWO_VIDEOS_AND_AUDIO.formatted("dynamic").getBytes(StandardCharsets.UTF_8));
        dash.onManifest(live, NOW);
        dash.onManifest(live, NOW + 2000);
        assertThat(entries(SegmentKind.SEGMENT_KIND_RENDITIONS)).as("unchanged: published once").hasSize(1);
        String master = new String(entries(SegmentKind.SEGMENT_KIND_RENDITIONS).get(0).segment().toByteArray(), StandardCharsets.UTF_8);
        assertThat(master).contains("index.m3u8").contains("index-1.m3u8").as("audio is left out").doesNotContain("index-2").doesNotContain("mp4a");

        dash.tick(NOW + 29_999);
        assertThat(entries(SegmentKind.SEGMENT_KIND_RENDITIONS)).hasSize(1);
        dash.tick(NOW + 30_000);
        assertThat(entries(SegmentKind.SEGMENT_KIND_RENDITIONS)).as("half the 60 s window later, again").hasSize(2);

        dash.onManifest(DashManifest.parse(TWO_VIDEOS_AND_AUDIO.formatted("dynamic").replace("800000", "900000")
                .getBytes(StandardCharsets.UTF_8)), NOW + 31_000);
        assertThat(entries(SegmentKind.SEGMENT_KIND_RENDITIONS)).as("changed: at once").hasSize(3);
    }

    @Test
    void aSegmentIsDatedByItsMediaTimeNotByWhenItsFirstPartCame() throws Exception {
        TrackInit track = TrackInit.parse(init);
        dash.onInit(0, track, init, NOW);
        // Segment 1's parts arrive as they end on the media timeline, 30 ms after the encoder cut them.
        ChunkUpload first = dash.open(0, 1, NOW);
        for (byte[] p : parts) {
            Fragments.Timing t = Fragments.read(p, track);
            first.add(new ChunkUpload.Part(p, NOW + 30 + (t.startMicros() + t.durationMicros()) / 1000));
        }
        first.add(new ChunkUpload.End());
        dash.drain(first, NOW + 2100);
        // Segment 2's first part comes 400 ms late (its upload opened late), the others on time.
        ChunkUpload second = dash.open(0, 2, NOW);
        for (int i = 0; i < secondParts.size(); i++) {
            Fragments.Timing t = Fragments.read(secondParts.get(i), track);
            second.add(new ChunkUpload.Part(secondParts.get(i), NOW + 30 + (t.startMicros() + t.durationMicros()) / 1000 + (i == 0 ? 400 : 0)));
        }
        second.add(new ChunkUpload.End());
        dash.drain(second, NOW + 3500);

        long start1 = Fragments.read(parts.get(0), track).startMicros();
        long start2 = Fragments.read(secondParts.get(0), track).startMicros();
        assertThat(start2 - start1).as("the encoder's second segment starts 2 s into its timeline").isEqualTo(2_000_000);
        List<WindowEntry> published = entries(SegmentKind.SEGMENT_KIND_FMP4_PART);
        List<Long> dates1 = published.stream().filter(e -> e.meta().getMediaSequence() == published.get(0).meta().getMediaSequence())
                .map(e -> e.meta().getProgramDateTimeMillis()).distinct().toList();
        assertThat(dates1).as("every part of a segment carries its segment's date: its first sample's time here")
                .containsExactly(NOW + 30 + start1 / 1000);
        List<Long> dates2 = published.stream().filter(e -> e.meta().getMediaSequence() != published.get(0).meta().getMediaSequence())
                .map(e -> e.meta().getProgramDateTimeMillis()).distinct().toList();
        assertThat(dates2).as("2 s later by the media timeline, not 400 ms later still for a late first part")
                .containsExactly(NOW + 30 + start1 / 1000 + 2000);
    }

    @Test
    void moreOpenUploadsThanTheBoundAreRefused() {
        for (int i = 1; i <= 4; i++) {
            assertThat(dash.open(0, i, NOW)).isNotNull();
        }
        assertThat(dash.open(1, 1, NOW)).isNull();
    }

    /** Publishes the real segment whole as encoder segment {@code number} of rendition 0. */
    private void segment(long number) {
        ChunkUpload u = dash.open(0, number, NOW);
        for (byte[] p : parts) {
            u.add(new ChunkUpload.Part(p, NOW));
        }
        u.add(new ChunkUpload.End());
        dash.drain(u, NOW);
    }

    private WindowEntry newestPartsEnd() {
        List<WindowEntry> ends = entries(SegmentKind.SEGMENT_KIND_PARTS_END);
        return ends.get(ends.size() - 1);
    }

    private List<WindowEntry> entries(SegmentKind kind) {
        return runtime.window().snapshot().stream().filter(e -> e.meta().getKind() == kind).toList();
    }
}
