package io.stripecast.relay.playback;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.EndMarkers;
import io.stripecast.relay.stream.StreamSpec;
import io.stripecast.relay.window.SegmentWindow;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class PlaylistRendererTest {
    private static final StreamSpec SPEC = new StreamSpec("live", 2, 1, Duration.ofSeconds(60), Optional.empty(), Optional.empty(),
            Duration.ofSeconds(1));
    private final StripeCodec codec = new StripeCodec(2, 1);
    private final SegmentWindow window = new SegmentWindow(SPEC, 1 << 30);
    private final PlaylistRenderer renderer = new PlaylistRenderer(6_000);

    private Shard[] shards(long seq, long mediaSeq, SegmentKind kind, long initSeq, boolean disc, long ingest) {
        byte[] bytes = ("s" + seq).repeat(50).getBytes();
        SegmentMeta meta = SegmentMeta.newBuilder().setSequence(seq).setKind(kind).setMediaSequence(mediaSeq)
                .setDurationMicros(kind == SegmentKind.SEGMENT_KIND_FMP4_INIT ? 0 : 2_002_000).setDiscontinuity(disc)
                .setInitSequence(initSeq).setLength(bytes.length).setIngestTimeMillis(ingest)
                .setSha256(ByteString.copyFrom(Shards.sha256(bytes))).setK(2).setM(1).build();
        return Shards.encode(codec, meta, bytes);
    }

    private void complete(long seq, long mediaSeq, SegmentKind kind, long initSeq, boolean disc, long ingest) {
        Shard[] s = shards(seq, mediaSeq, kind, initSeq, disc, ingest);
        byte[] bytes = ("s" + seq).repeat(50).getBytes();
        window.putComplete(s, bytes);
    }

    @Test
    void listsCompleteSegmentsWithTargetDurationAndSequence() {
        complete(10, 100, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, false, 1000);
        complete(11, 101, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, true, 2000);
        PlaylistRenderer.Rendered rendered = renderer.render(window.snapshot(), 0, 3000, true);
        assertThat(rendered.lastMediaSequence()).isEqualTo(101);
        assertThat(rendered.targetDurationSeconds()).isEqualTo(3);
        assertThat(rendered.text()).isEqualTo("""
                #EXTM3U
                #EXT-X-VERSION:3
                #EXT-X-TARGETDURATION:3
                #EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES
                #EXT-X-MEDIA-SEQUENCE:100
                #EXT-X-INDEPENDENT-SEGMENTS
                #EXTINF:2.002000,
                100.ts
                #EXT-X-DISCONTINUITY
                #EXTINF:2.002000,
                101.ts
                """);
    }

    @Test
    void fmp4ListsItsInitSegment() {
        complete(20, 0, SegmentKind.SEGMENT_KIND_FMP4_INIT, 0, false, 1000);
        complete(21, 7, SegmentKind.SEGMENT_KIND_FMP4_MEDIA, 20, false, 1000);
        String p = renderer.render(window.snapshot(), 0, 2000, true).text();
        assertThat(p).contains("#EXT-X-VERSION:7", "#EXT-X-MAP:URI=\"init-20.mp4\"\n#EXTINF:2.002000,\n7.m4s\n");
    }

    @Test
    void aSegmentStillInFlightEndsTheListForNow() {
        complete(10, 100, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, false, 1000);
        window.offer(shards(11, 101, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, false, 2000)[0]);
        complete(12, 102, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, false, 3000);
        assertThat(renderer.render(window.snapshot(), 0, 3000, true).text()).contains("100.ts").doesNotContain("101.ts", "102.ts");
    }

    @Test
    void aSegmentGivenUpOnIsSkippedAndTheListRestartsAfterIt() {
        complete(10, 100, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, false, 1000);
        window.offer(shards(11, 101, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, false, 2000)[0]);
        complete(12, 102, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, false, 3000);
        String p = renderer.render(window.snapshot(), 0, 60_000, true).text();
        assertThat(p).contains("#EXT-X-MEDIA-SEQUENCE:102", "102.ts").doesNotContain("100.ts", "101.ts");
    }

    @Test
    void blockingReloadIsAdvertisedOnlyWhenOffered() {
        complete(10, 100, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, false, 1000);
        assertThat(renderer.render(window.snapshot(), 0, 2000, false).text()).doesNotContain("EXT-X-SERVER-CONTROL");
        assertThat(renderer.render(window.snapshot(), 0, 2000, true).text()).contains("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES\n");
    }

    @Test
    void nothingPlayableYieldsNoPlaylist() {
        window.offer(shards(11, 101, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, false, 2000)[0]);
        assertThat(renderer.render(window.snapshot(), 0, 2000, true)).isNull();
    }

    private void end(long seq, long nextMediaSeq, long ingest) {
        window.putComplete(EndMarkers.shards(2, 1, seq, nextMediaSeq, ingest), io.stripecast.protocol.shard.EndOfStream.body());
    }

    @Test
    void thePublishersEndEndsThePlaylistWithEndlist() {
        complete(10, 100, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, false, 1000);
        complete(11, 101, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, false, 2000);
        assertThat(renderer.render(window.snapshot(), 0, 2500, true).ended()).isFalse();
        end(12, 102, 2100);
        PlaylistRenderer.Rendered r = renderer.render(window.snapshot(), 0, 2500, true);
        assertThat(r.ended()).isTrue();
        assertThat(r.lastMediaSequence()).isEqualTo(101);
        assertThat(r.text()).endsWith("#EXTINF:2.002000,\n101.ts\n#EXT-X-ENDLIST\n");
    }

    @Test
    void anEndBehindASegmentStillInFlightWaitsForIt() {
        complete(10, 100, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, false, 1000);
        Shard[] last = shards(11, 101, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, false, 2000);
        window.offer(last[0]);
        end(12, 102, 2100);
        assertThat(renderer.render(window.snapshot(), 0, 2500, true).text()).doesNotContain("ENDLIST");
        window.offer(last[1]);
        window.complete(11, ("s" + 11).repeat(50).getBytes());
        assertThat(renderer.render(window.snapshot(), 0, 2500, true).text()).contains("101.ts\n#EXT-X-ENDLIST\n");
    }

    @Test
    void aNewRunAfterTheEndFollowsWithADiscontinuityAndNoEndlist() {
        complete(10, 100, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, false, 1000);
        end(11, 101, 1100);
        complete(12, 101, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, true, 9000);
        PlaylistRenderer.Rendered r = renderer.render(window.snapshot(), 0, 9500, true);
        assertThat(r.ended()).isFalse();
        assertThat(r.text()).endsWith("100.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2.002000,\n101.ts\n").doesNotContain("ENDLIST");
    }

    @Test
    void discontinuitySequenceCountsTheRunsThatLeftTheWindow() {
        // The window is 60 s: the first run and its end leave it as the second run goes on.
        complete(10, 100, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, false, 1_000);
        end(11, 101, 1_100);
        complete(12, 101, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, true, 30_000);
        end(13, 102, 30_100);
        complete(14, 102, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, true, 70_000);
        complete(15, 103, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, false, 72_000);
        String p = renderer.render(window.snapshot(), window.evictedDiscontinuities(), 72_500, true).text();
        assertThat(p).contains("#EXT-X-MEDIA-SEQUENCE:101\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n")
                .contains("101.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2.002000,\n102.ts\n#EXTINF:2.002000,\n103.ts\n")
                .doesNotContain("100.ts", "ENDLIST");
        complete(16, 104, SegmentKind.SEGMENT_KIND_MPEG_TS, 0, false, 95_000);
        // Run two (101) left too; run three starts the list, its discontinuity counted, not tagged.
        p = renderer.render(window.snapshot(), window.evictedDiscontinuities(), 95_500, true).text();
        assertThat(p).contains("#EXT-X-MEDIA-SEQUENCE:102\n#EXT-X-DISCONTINUITY-SEQUENCE:2\n").doesNotContain("#EXT-X-DISCONTINUITY\n");
    }
    @Test
    void aViewersTokenGoesOnEveryUriAndNowhereElse() {
        String token = "exp=1800000000&sig=" + "a".repeat(43);
        String playlist = """
                #EXTM3U
                #EXT-X-VERSION:7
                #EXT-X-TARGETDURATION:1
                #EXT-X-MEDIA-SEQUENCE:7
                #EXT-X-INDEPENDENT-SEGMENTS
                #EXT-X-MAP:URI="init-20.mp4"
                #EXTINF:1.000000,
                7.m4s
                #EXT-X-PRELOAD-HINT:TYPE=PART,URI="8.m4s?_HLS_part=0"
                #EXTINF:1.000000,
                8.m4s
                #EXT-X-ENDLIST
                """;
        assertThat(PlaylistRenderer.withQuery(playlist, token)).isEqualTo("""
                #EXTM3U
                #EXT-X-VERSION:7
                #EXT-X-TARGETDURATION:1
                #EXT-X-MEDIA-SEQUENCE:7
                #EXT-X-INDEPENDENT-SEGMENTS
                #EXT-X-MAP:URI="init-20.mp4?%1$s"
                #EXTINF:1.000000,
                7.m4s?%1$s
                #EXT-X-PRELOAD-HINT:TYPE=PART,URI="8.m4s?_HLS_part=0&%1$s"
                #EXTINF:1.000000,
                8.m4s?%1$s
                #EXT-X-ENDLIST
                """.formatted(token));
        // What the renderer makes, signed: every URI line carries the token once.
        complete(20, 0, SegmentKind.SEGMENT_KIND_FMP4_INIT, 0, false, 1000);
        complete(21, 7, SegmentKind.SEGMENT_KIND_FMP4_MEDIA, 20, false, 1000);
        String rendered = renderer.render(window.snapshot(), 0, 5000, false).text();
        String signed = PlaylistRenderer.withQuery(rendered, token);
        assertThat(signed.lines().filter(l -> !l.startsWith("#")).toList()).containsExactly("7.m4s?" + token);
        assertThat(signed).contains("#EXT-X-MAP:URI=\"init-20.mp4?" + token + "\"\n");
        assertThat(signed.replace("?" + token, "")).isEqualTo(rendered);
    }
}
