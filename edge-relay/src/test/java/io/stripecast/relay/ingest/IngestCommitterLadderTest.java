package io.stripecast.relay.ingest;

import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.relay.TestStreams;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.window.WindowEntry;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The HLS committer with a master playlist: each variant's playlist into its rendition, aligned, one end. */
class IngestCommitterLadderTest {
    private static final long NOW = 1_700_000_000_000L;
    private final TestStreams streams = new TestStreams();
    private final StreamRuntime runtime = streams.stream("live", 2, 1, Duration.ofSeconds(60));
    private final IngestCommitter committer = new IngestCommitter(runtime, new SegmentPublisher(runtime, streams.metrics, NOW),
            streams.metrics, 5_000, 16, 100);

    {
        runtime.setRoot(true);
    }

    private static MediaPlaylist playlist(String text) throws PlaylistException {
        return new PlaylistParser(100, true).parse(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String media(int variant, int from, int to, boolean end) {
        StringBuilder s = new StringBuilder("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:" + from + "\n");
        for (int i = from; i <= to; i++) {
            s.append("#EXTINF:1,\nstream_").append(variant).append(i).append(".ts\n");
        }
        return s.append(end ? "#EXT-X-ENDLIST\n" : "").toString();
    }

    private static HlsMaster master() throws PlaylistException {
        return new HlsMasterParser(true).parse(HlsMasterParserTest.FFMPEG.getBytes(StandardCharsets.UTF_8));
    }

    private List<WindowEntry> media(int rendition) {
        return runtime.window().snapshot().stream().filter(WindowEntry::isMedia).filter(e -> e.meta().getRendition() == rendition).toList();
    }

    private List<WindowEntry> kind(SegmentKind kind) {
        return runtime.window().snapshot().stream().filter(e -> e.meta().getKind() == kind).toList();
    }

    private void segment(int variant, int n) {
        committer.onFile("stream_" + variant + n + ".ts", ("v" + variant + "s" + n).getBytes(StandardCharsets.UTF_8), NOW);
    }

    /** ffmpeg's order: variant 0's first segment and playlist, variant 1's, then the master, then the rest. */
    @Test
    void ffmpegsUploadOrderGivesTwoAlignedRenditionsAndOneEndAfterBoth() throws Exception {
        segment(0, 0);
        committer.onPlaylist("stream_0.m3u8", playlist(media(0, 0, 0, false)), NOW);
        segment(1, 0);
        committer.onPlaylist("stream_1.m3u8", playlist(media(1, 0, 0, false)), NOW);
        // Before the master: the first name is rendition 0, the second is held, not mixed into it.
        assertThat(media(0)).hasSize(1);
        assertThat(media(1)).isEmpty();

        committer.onMaster(master(), NOW);
        assertThat(media(1)).hasSize(1);
        assertThat(kind(SegmentKind.SEGMENT_KIND_RENDITIONS)).hasSize(1);
        assertThat(new String(kind(SegmentKind.SEGMENT_KIND_RENDITIONS).get(0).segment().toByteArray(), StandardCharsets.UTF_8))
                .contains("RESOLUTION=320x180").contains("index-1.m3u8");

        for (int n = 1; n <= 2; n++) {
            segment(0, n);
            committer.onPlaylist("stream_0.m3u8", playlist(media(0, 0, n, n == 2)), NOW);
            // Rendition 0 ended: no marker while rendition 1 still has a segment to come.
            assertThat(kind(SegmentKind.SEGMENT_KIND_END_OF_STREAM)).isEmpty();
            segment(1, n);
            committer.onPlaylist("stream_1.m3u8", playlist(media(1, 0, n, n == 2)), NOW);
        }
        assertThat(media(0)).extracting(e -> e.meta().getMediaSequence())
                .containsExactlyElementsOf(media(1).stream().map(e -> e.meta().getMediaSequence()).toList());
        long first = media(0).get(0).meta().getMediaSequence();
        assertThat(media(0)).extracting(e -> e.meta().getMediaSequence()).containsExactly(first, first + 1, first + 2);
        assertThat(media(1)).extracting(e -> new String(e.segment().toByteArray(), StandardCharsets.UTF_8)).containsExactly("v1s0", "v1s1", "v1s2");

        List<WindowEntry> ends = kind(SegmentKind.SEGMENT_KIND_END_OF_STREAM);
        assertThat(ends).hasSize(1);
        long lastMedia = runtime.window().snapshot().stream().filter(WindowEntry::isMedia).mapToLong(WindowEntry::sequence).max().orElseThrow();
        assertThat(ends.get(0).sequence()).isGreaterThan(lastMedia);
        assertThat(streams.count("stripecast.relay.stream.ends", "cause", "endlist")).isEqualTo(1);
    }

    @Test
    void aSecondNameWithoutAnyMasterIsNeverMixedIntoRenditionZero() throws Exception {
        segment(0, 0);
        committer.onPlaylist("stream_0.m3u8", playlist(media(0, 0, 0, false)), NOW);
        segment(1, 0);
        segment(1, 1);
        committer.onPlaylist("stream_1.m3u8", playlist(media(1, 0, 1, false)), NOW);
        segment(0, 1);
        committer.onPlaylist("stream_0.m3u8", playlist(media(0, 0, 1, false)), NOW);
        assertThat(media(0)).extracting(e -> new String(e.segment().toByteArray(), StandardCharsets.UTF_8)).containsExactly("v0s0", "v0s1");
        assertThat(media(1)).isEmpty();
        // Held past the bound with no master to map it: counted and let go.
        committer.expire(NOW + 10_000);
        assertThat(streams.count("stripecast.relay.ingest.segments.dropped", "reason", "no_master")).isEqualTo(1);
    }

    @Test
    void aMasterThatMapsTheFirstNameElsewhereMovesItAfterADiscontinuity() throws Exception {
        segment(1, 0);
        committer.onPlaylist("stream_1.m3u8", playlist(media(1, 0, 0, false)), NOW);
        assertThat(media(0)).hasSize(1);
        segment(0, 0);
        committer.onPlaylist("stream_0.m3u8", playlist(media(0, 0, 0, false)), NOW);
        committer.onMaster(master(), NOW);
        segment(0, 1);
        committer.onPlaylist("stream_0.m3u8", playlist(media(0, 0, 1, false)), NOW);
        // Rendition 0 goes on with the held variant 0 from its start, after a discontinuity, never reusing a number.
        assertThat(media(0)).extracting(e -> new String(e.segment().toByteArray(), StandardCharsets.UTF_8)).containsExactly("v1s0", "v0s0", "v0s1");
        assertThat(media(0).get(1).meta().getDiscontinuity()).isTrue();
        assertThat(media(0)).extracting(e -> e.meta().getMediaSequence()).isSorted().doesNotHaveDuplicates();
        // Variant 1's segment 0 was rendition 0's already: it is not published twice.
        assertThat(media(1)).isEmpty();
    }

    @Test
    void aNameTheMasterDoesNotListIsDroppedAndADeleteOfOneVariantEndsOnlyItsRendition() throws Exception {
        committer.onMaster(master(), NOW);
        committer.onPlaylist("other.m3u8", playlist("#EXTM3U\n#EXTINF:1,\nx.ts\n"), NOW);
        assertThat(streams.count("stripecast.relay.ingest.segments.dropped", "reason", "not_in_ladder")).isEqualTo(1);
        segment(0, 0);
        committer.onPlaylist("stream_0.m3u8", playlist(media(0, 0, 0, false)), NOW);
        segment(1, 0);
        committer.onPlaylist("stream_1.m3u8", playlist(media(1, 0, 0, false)), NOW);
        committer.onPlaylistDeleted("stream_0.m3u8", NOW);
        assertThat(kind(SegmentKind.SEGMENT_KIND_END_OF_STREAM)).isEmpty();
        committer.onPlaylistDeleted("stream_1.m3u8", NOW);
        assertThat(kind(SegmentKind.SEGMENT_KIND_END_OF_STREAM)).hasSize(1);
    }

    @Test
    void aRenditionThatNeverEndsIsWaitedForOnlyUpToTheBound() throws Exception {
        committer.onMaster(master(), NOW);
        segment(0, 0);
        segment(1, 0);
        committer.onPlaylist("stream_0.m3u8", playlist(media(0, 0, 0, true)), NOW);
        committer.onPlaylist("stream_1.m3u8", playlist(media(1, 0, 0, false)), NOW);
        committer.expire(NOW + 1_000);
        assertThat(kind(SegmentKind.SEGMENT_KIND_END_OF_STREAM)).isEmpty();
        committer.expire(NOW + 6_000);
        assertThat(kind(SegmentKind.SEGMENT_KIND_END_OF_STREAM)).hasSize(1);
    }
}
