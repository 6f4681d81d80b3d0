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

class IngestCommitterTest {
    private static final long NOW = 1_700_000_000_000L;
    private final TestStreams streams = new TestStreams();
    private final StreamRuntime runtime = streams.stream("live", 2, 1, Duration.ofSeconds(60));
    private final IngestCommitter committer = new IngestCommitter(runtime, new SegmentPublisher(runtime, streams.metrics, NOW),
            streams.metrics, 5_000, 4, 100);

    {
        // Only the stream's root (its ingest) publishes; see the standby tests below for the other case.
        runtime.setRoot(true);
    }

    private static MediaPlaylist playlist(String text) throws PlaylistException {
        return new PlaylistParser(100, true).parse(text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private List<WindowEntry> media() {
        return runtime.window().snapshot().stream().filter(WindowEntry::isMedia).toList();
    }

    @Test
    void commitsWhenBytesArriveAfterThePlaylistListsThem() throws Exception {
        committer.onPlaylist(playlist("#EXTM3U\n#EXTINF:1.5,\na.ts\n#EXTINF:2,\nb.ts\n"), NOW);
        assertThat(media()).isEmpty();
        committer.onFile("a.ts", bytes("AAAA"), NOW);
        assertThat(media()).hasSize(1);
        committer.onFile("b.ts", bytes("BBBBB"), NOW);
        assertThat(media()).extracting(e -> new String(e.segment().toByteArray(), StandardCharsets.UTF_8)).containsExactly("AAAA", "BBBBB");
        assertThat(media()).extracting(e -> e.meta().getDurationMicros()).containsExactly(1_500_000L, 2_000_000L);
        assertThat(media().get(1).meta().getMediaSequence()).isEqualTo(media().get(0).meta().getMediaSequence() + 1);
    }

    @Test
    void commitsWhenThePlaylistArrivesAfterTheBytes() throws Exception {
        committer.onFile("a.ts", bytes("AAAA"), NOW);
        assertThat(media()).isEmpty();
        committer.onPlaylist(playlist("#EXTM3U\n#EXTINF:1,\na.ts\n"), NOW);
        assertThat(media()).hasSize(1);
        assertThat(media().get(0).meta().getKind()).isEqualTo(SegmentKind.SEGMENT_KIND_MPEG_TS);
    }

    @Test
    void commitsInPlaylistOrderAndOnlyOnce() throws Exception {
        committer.onFile("b.ts", bytes("B"), NOW);
        committer.onPlaylist(playlist("#EXTM3U\n#EXTINF:1,\na.ts\n#EXTINF:1,\nb.ts\n"), NOW);
        assertThat(media()).isEmpty();
        committer.onFile("a.ts", bytes("A"), NOW);
        committer.onPlaylist(playlist("#EXTM3U\n#EXTINF:1,\na.ts\n#EXTINF:1,\nb.ts\n"), NOW);
        assertThat(media()).extracting(e -> new String(e.segment().toByteArray(), StandardCharsets.UTF_8)).containsExactly("A", "B");
    }

    @Test
    void fmp4InitIsCarriedOnceAndReferencedByItsMediaSegments() throws Exception {
        committer.onFile("init.mp4", bytes("INIT"), NOW);
        committer.onFile("s0.m4s", bytes("M0"), NOW);
        committer.onFile("s1.m4s", bytes("M1"), NOW);
        committer.onPlaylist(playlist("#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:1,\ns0.m4s\n#EXTINF:1,\ns1.m4s\n"), NOW);
        List<WindowEntry> all = runtime.window().snapshot();
        assertThat(all).hasSize(3);
        assertThat(all.get(0).meta().getKind()).isEqualTo(SegmentKind.SEGMENT_KIND_FMP4_INIT);
        assertThat(media()).allSatisfy(e -> {
            assertThat(e.meta().getKind()).isEqualTo(SegmentKind.SEGMENT_KIND_FMP4_MEDIA);
            assertThat(e.meta().getInitSequence()).isEqualTo(all.get(0).sequence());
        });
    }

    @Test
    void encoderRestartBecomesADiscontinuity() throws Exception {
        committer.onFile("index5.ts", bytes("five"), NOW);
        committer.onPlaylist(playlist("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:5\n#EXTINF:1,\nindex5.ts\n"), NOW);
        committer.onFile("index0.ts", bytes("zero"), NOW);
        committer.onPlaylist(playlist("#EXTM3U\n#EXTINF:1,\nindex0.ts\n"), NOW);
        assertThat(media()).extracting(e -> e.meta().getDiscontinuity()).containsExactly(false, true);
    }

    @Test
    void listedSegmentWhoseBytesNeverArriveIsDroppedAndCounted() throws Exception {
        committer.onPlaylist(playlist("#EXTM3U\n#EXTINF:1,\nlost.ts\n#EXTINF:1,\nnext.ts\n"), NOW);
        committer.onFile("next.ts", bytes("N"), NOW);
        assertThat(media()).isEmpty();
        committer.expire(NOW + 6_000);
        assertThat(media()).extracting(e -> new String(e.segment().toByteArray(), StandardCharsets.UTF_8)).containsExactly("N");
        assertThat(media().get(0).meta().getDiscontinuity()).isTrue();
        assertThat(streams.count("stripecast.relay.ingest.segments.dropped", "reason", "bytes_never_arrived")).isEqualTo(1);
    }

    @Test
    void aListedSegmentOvertakenByALaterOnesBytesIsDroppedAfterTwiceItsDuration() throws Exception {
        committer.onPlaylist(playlist("#EXTM3U\n#EXTINF:0.5,\nlost.ts\n#EXTINF:0.5,\nnext.ts\n"), NOW);
        committer.onFile("next.ts", bytes("N"), NOW);
        committer.expire(NOW + 1_000);
        assertThat(media()).as("within twice its duration the lost one may still come").isEmpty();
        committer.expire(NOW + 1_001);
        assertThat(media()).extracting(e -> new String(e.segment().toByteArray(), StandardCharsets.UTF_8)).containsExactly("N");
        assertThat(streams.count("stripecast.relay.ingest.segments.dropped", "reason", "bytes_never_arrived")).isEqualTo(1);
    }

    /**
     * An encoder at two segments a second (0.5 s segments, 300 Mbit/s in HopBench) whose one upload is lost: before,
     * the lost segment held every later one back for the whole timeout, their uploads were let go meanwhile as the
     * store's bound was reached, and each of those held the next ones back in turn: nothing was published again.
     */
    @Test
    void oneLostUploadAtTwoSegmentsASecondLosesThatSegmentOnly() throws Exception {
        IngestCommitter bounded = new IngestCommitter(runtime, new SegmentPublisher(runtime, streams.metrics, NOW), streams.metrics,
                15_000, 16, 100);
        int segments = 120;
        for (int n = 0; n < segments; n++) {
            long now = NOW + n * 500L;
            if (n != 10) {
                bounded.onFile("seg" + n + ".ts", bytes("segment " + n), now);
            }
            StringBuilder list = new StringBuilder("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:" + Math.max(0, n - 5) + "\n");
            for (int i = Math.max(0, n - 5); i <= n; i++) {
                list.append("#EXTINF:0.5,\nseg").append(i).append(".ts\n");
            }
            bounded.onPlaylist(playlist(list.toString()), now + 1);
            bounded.expire(now + 250);
        }
        assertThat(media()).hasSize(segments - 1);
        assertThat(streams.count("stripecast.relay.ingest.segments.dropped")).isEqualTo(1);
    }

    @Test
    void unlistedUploadsAreBoundedInNumber() {
        for (int i = 0; i < 10; i++) {
            committer.onFile("u" + i + ".ts", bytes("x"), NOW);
        }
        assertThat(streams.count("stripecast.relay.ingest.segments.dropped", "reason", "unlisted")).isEqualTo(6);
    }

    // ---- a standby ingest: takes the same uploads, publishes nothing until it is made the root

    /** The standby's own runtime and committer, and the primary that numbers segments first. */
    private final StreamRuntime standbyRuntime = streams.stream("live", 2, 1, Duration.ofSeconds(60));
    // A later clock: had the standby numbered by its own clock, its numbers would differ from the primary's.
    private final IngestCommitter standby = new IngestCommitter(standbyRuntime,
            new SegmentPublisher(standbyRuntime, streams.metrics, NOW + 3_600_000), streams.metrics, 5_000, 8, 100);

    private static final String PLAYLIST = "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:40\n#EXTINF:1,\na.ts\n#EXTINF:1,\nb.ts\n#EXTINF:1,\nc.ts\n";

    /** What the forest brings the standby: the primary's segments, shard for shard. */
    private void forwardToStandby(WindowEntry e) {
        for (int stripe = 0; stripe < 3; stripe++) {
            standbyRuntime.window().offer(runtime.window().shard(e.sequence(), stripe));
        }
        standbyRuntime.window().complete(e.sequence(), e.segment().toByteArray());
    }

    @Test
    void aStandbyPublishesNothingAndLetsGoOfWhatTheForestBrought() throws Exception {
        standbyRuntime.setStandbyIngest(true);
        for (String f : List.of("a", "b")) {
            committer.onFile(f + ".ts", bytes(f.toUpperCase()), NOW);
            standby.onFile(f + ".ts", bytes(f.toUpperCase()), NOW);
        }
        committer.onPlaylist(playlist(PLAYLIST), NOW);
        standby.onPlaylist(playlist(PLAYLIST), NOW);
        assertThat(standbyRuntime.window().snapshot()).as("a standby publishes nothing itself").isEmpty();
        assertThat(media()).hasSize(2);
        assertThat(media()).extracting(e -> e.meta().getUpstreamSequence()).containsExactly(40L, 41L);
        media().forEach(this::forwardToStandby);
        standby.expire(NOW + 1);
        assertThat(standbyRuntime.window().snapshot()).hasSize(2);
    }

    @Test
    void aStandbyMadeRootContinuesThePrimarysNumberingWithTheUploadsTheForestNeverBrought() throws Exception {
        standbyRuntime.setStandbyIngest(true);
        for (String f : List.of("a", "b", "c")) {
            standby.onFile(f + ".ts", bytes(f.toUpperCase()), NOW);
        }
        standby.onPlaylist(playlist(PLAYLIST), NOW);
        // The primary had a and b in hand; only a reached the standby through the forest before the primary died.
        committer.onFile("a.ts", bytes("A"), NOW);
        committer.onFile("b.ts", bytes("B"), NOW);
        committer.onPlaylist(playlist(PLAYLIST), NOW);
        List<WindowEntry> primary = media();
        forwardToStandby(primary.get(0));
        standby.expire(NOW + 1);

        standbyRuntime.setStandbyIngest(false);
        standbyRuntime.setRoot(true);
        standby.expire(NOW + 2);

        List<WindowEntry> after = standbyRuntime.window().snapshot().stream().filter(WindowEntry::isMedia).toList();
        assertThat(after).extracting(e -> new String(e.segment().toByteArray(), StandardCharsets.UTF_8)).containsExactly("A", "B", "C");
        assertThat(after).extracting(WindowEntry::sequence)
                .containsExactly(primary.get(0).sequence(), primary.get(1).sequence(), primary.get(1).sequence() + 1);
        assertThat(after.get(1).meta().getMediaSequence()).isEqualTo(primary.get(1).meta().getMediaSequence());
        // b as the standby published it is the very segment the primary had numbered: same bytes, same number.
        assertThat(after.get(1).meta().getSha256()).isEqualTo(primary.get(1).meta().getSha256());
        assertThat(after).noneMatch(e -> e.meta().getDiscontinuity());
    }

    @Test
    void aRelayNeitherRootNorStandbyTakesNoUploadsIntoItsWindow() throws Exception {
        standby.onFile("a.ts", bytes("A"), NOW);
        standby.onPlaylist(playlist(PLAYLIST), NOW);
        assertThat(standbyRuntime.window().snapshot()).isEmpty();
    }

    private List<WindowEntry> ends() {
        return runtime.window().snapshot().stream().filter(WindowEntry::isEnd).toList();
    }

    private static final String FINAL = "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1,\nindex0.ts\n#EXTINF:1,\nindex1.ts\n#EXT-X-ENDLIST\n";

    @Test
    void endlistEndsTheStreamRightAfterItsLastSegment() throws Exception {
        committer.onFile("index0.ts", bytes("zero"), NOW);
        committer.onPlaylist(playlist("#EXTM3U\n#EXTINF:1,\nindex0.ts\n"), NOW);
        // ffmpeg's final playlist often arrives before the last segment's bytes: the end waits for them.
        committer.onPlaylist(playlist(FINAL), NOW);
        assertThat(ends()).isEmpty();
        committer.onFile("index1.ts", bytes("one"), NOW);
        List<WindowEntry> all = runtime.window().snapshot();
        assertThat(all).extracting(WindowEntry::isEnd).containsExactly(false, false, true);
        WindowEntry end = all.get(2);
        assertThat(end.sequence()).isEqualTo(all.get(1).sequence() + 1);
        assertThat(end.meta().getMediaSequence()).isEqualTo(all.get(1).meta().getMediaSequence() + 1);
        assertThat(end.segment().toByteArray()).isEqualTo(io.stripecast.protocol.shard.EndOfStream.body());
        assertThat(streams.count("stripecast.relay.stream.ends", "cause", "endlist")).isEqualTo(1);
    }

    @Test
    void deleteOfThePlaylistEndsTheStream() throws Exception {
        committer.onFile("index0.ts", bytes("zero"), NOW);
        committer.onPlaylist(playlist("#EXTM3U\n#EXTINF:1,\nindex0.ts\n"), NOW);
        committer.onPlaylistDeleted(NOW);
        assertThat(ends()).hasSize(1);
        committer.onPlaylistDeleted(NOW);
        assertThat(ends()).hasSize(1);
        assertThat(streams.count("stripecast.relay.stream.ends", "cause", "delete")).isEqualTo(1);
    }

    @Test
    void anEndWhoseLastSegmentNeverArrivesComesAfterItIsGivenUp() throws Exception {
        committer.onFile("index0.ts", bytes("zero"), NOW);
        committer.onPlaylist(playlist(FINAL), NOW);
        assertThat(ends()).isEmpty();
        committer.expire(NOW + 6_000);
        assertThat(runtime.window().snapshot()).extracting(WindowEntry::isEnd).containsExactly(false, true);
    }

    @Test
    void theEndedPlaylistSeenAgainChangesNothing() throws Exception {
        committer.onFile("index0.ts", bytes("zero"), NOW);
        committer.onFile("index1.ts", bytes("one"), NOW);
        committer.onPlaylist(playlist(FINAL), NOW);
        // Pull ingest reads the ended upstream playlist at every poll.
        committer.onPlaylist(playlist(FINAL), NOW + 500);
        committer.onPlaylist(playlist(FINAL), NOW + 1000);
        assertThat(runtime.window().snapshot()).extracting(WindowEntry::isEnd).containsExactly(false, false, true);
    }

    @Test
    void anEndWithNothingPublishedSendsNoMarker() {
        committer.onPlaylistDeleted(NOW);
        assertThat(runtime.window().snapshot()).isEmpty();
    }

    @Test
    void aPublishAfterTheEndStartsANewRunWithADiscontinuityAndNumbersGoOn() throws Exception {
        committer.onFile("index0.ts", bytes("zero"), NOW);
        committer.onFile("index1.ts", bytes("one"), NOW);
        committer.onPlaylist(playlist(FINAL), NOW);
        // The same encoder again: it numbers from 0 and reuses the file names.
        committer.onFile("index0.ts", bytes("again"), NOW + 5_000);
        committer.onPlaylist(playlist("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1,\nindex0.ts\n"), NOW + 5_000);
        List<WindowEntry> all = runtime.window().snapshot();
        assertThat(all).extracting(WindowEntry::isEnd).containsExactly(false, false, true, false);
        WindowEntry again = all.get(3);
        assertThat(new String(again.segment().toByteArray(), StandardCharsets.UTF_8)).isEqualTo("again");
        assertThat(again.meta().getDiscontinuity()).isTrue();
        assertThat(again.sequence()).isGreaterThan(all.get(2).sequence());
        assertThat(again.meta().getMediaSequence()).isEqualTo(all.get(1).meta().getMediaSequence() + 1);
        assertThat(streams.count("stripecast.relay.stream.restarts")).isEqualTo(1);
    }

    @Test
    void aFirstRunOfOneSegmentListedAgainAsTheSameNumberIsANewRun() throws Exception {
        committer.onFile("index0.ts", bytes("zero"), NOW);
        committer.onPlaylist(playlist("#EXTM3U\n#EXTINF:1,\nindex0.ts\n#EXT-X-ENDLIST\n"), NOW);
        committer.onFile("index0.ts", bytes("again"), NOW + 5_000);
        committer.onPlaylist(playlist("#EXTM3U\n#EXTINF:1,\nindex0.ts\n"), NOW + 5_000);
        assertThat(media()).extracting(e -> new String(e.segment().toByteArray(), StandardCharsets.UTF_8)).containsExactly("zero", "again");
    }

    @Test
    void aNewRunOfFmp4PublishesItsInitAfresh() throws Exception {
        String run = "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:1,\ns0.m4s\n";
        committer.onFile("init.mp4", bytes("INIT"), NOW);
        committer.onFile("s0.m4s", bytes("M0"), NOW);
        committer.onPlaylist(playlist(run + "#EXT-X-ENDLIST\n"), NOW);
        committer.onFile("init.mp4", bytes("INIT"), NOW + 5_000);
        committer.onFile("s0.m4s", bytes("M0-again"), NOW + 5_000);
        committer.onPlaylist(playlist(run), NOW + 5_000);
        List<WindowEntry> inits = runtime.window().snapshot().stream().filter(e -> !e.isMedia() && !e.isEnd()).toList();
        assertThat(inits).hasSize(2);
        assertThat(media()).extracting(e -> e.meta().getInitSequence()).containsExactly(inits.get(0).sequence(), inits.get(1).sequence());
    }
}
