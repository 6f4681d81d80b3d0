package io.stripecast.relay.playback;

import io.stripecast.relay.EndMarkers;
import io.stripecast.relay.playback.PlaylistRenderer.Rendered;
import io.stripecast.relay.stream.StreamSpec;
import io.stripecast.relay.window.SegmentWindow;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Low-latency playlists of a two-rendition stream sent as parts (issue 18): segments of two 0.5 s parts, rendition 0
 * then 1 in transport order as ffmpeg's DASH muxer produces them, each segment closed by its parts end.
 */
class PartPlaylistRendererTest {
    /** 2026-12-07T06:00:00.000Z */
    private static final long T0 = 1_796_623_200_000L;
    private static final long PART = 500_000;
    private static final StreamSpec SPEC = new StreamSpec("live", 2, 1, Duration.ofSeconds(60), Optional.empty(), Optional.empty(),
            Duration.ofSeconds(1));
    private final SegmentWindow window = new SegmentWindow(SPEC, 1 << 30);
    private final PartFeed feed = new PartFeed(window, 1);
    private final PlaylistRenderer renderer = new PlaylistRenderer(6_000);
    private final long[] inits = {feed.init(0, T0 - 1000), feed.init(1, T0 - 1000)};

    private Rendered render(int rendition, long now) {
        return renderer.render(window.snapshot(), rendition, window.evictedDiscontinuities(rendition), now, false);
    }

    /** Segments 100..(100 + count - 1), whole, the first starting at T0. */
    private void segments(int count) {
        for (int i = 0; i < count; i++) {
            feed.segment(100 + i, 2, PART, inits, T0 + i * 1000L);
        }
    }

    @Test
    void aRenditionSentAsPartsListsItsSegmentsThePartsNearTheEdgeAndHintsTheNextPart() {
        segments(4);
        feed.part(0, 104, 0, PART, inits[0], T0 + 4500);
        feed.part(1, 104, 0, PART, inits[1], T0 + 4500);
        Rendered r = render(1, T0 + 4600);
        assertThat(r.text()).isEqualTo("""
                #EXTM3U
                #EXT-X-VERSION:7
                #EXT-X-TARGETDURATION:1
                #EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.500000
                #EXT-X-PART-INF:PART-TARGET=0.500000
                #EXT-X-MEDIA-SEQUENCE:100
                #EXT-X-INDEPENDENT-SEGMENTS
                #EXT-X-PROGRAM-DATE-TIME:2026-12-07T06:00:00.000Z
                #EXT-X-MAP:URI="init-2.mp4"
                #EXTINF:1.000000,
                r1-100.m4s
                #EXT-X-PROGRAM-DATE-TIME:2026-12-07T06:00:01.000Z
                #EXTINF:1.000000,
                r1-101.m4s
                #EXT-X-PROGRAM-DATE-TIME:2026-12-07T06:00:02.000Z
                #EXT-X-PART:DURATION=0.500000,URI="r1-102.0.m4s",INDEPENDENT=YES
                #EXT-X-PART:DURATION=0.500000,URI="r1-102.1.m4s"
                #EXTINF:1.000000,
                r1-102.m4s
                #EXT-X-PROGRAM-DATE-TIME:2026-12-07T06:00:03.000Z
                #EXT-X-PART:DURATION=0.500000,URI="r1-103.0.m4s",INDEPENDENT=YES
                #EXT-X-PART:DURATION=0.500000,URI="r1-103.1.m4s"
                #EXTINF:1.000000,
                r1-103.m4s
                #EXT-X-PROGRAM-DATE-TIME:2026-12-07T06:00:04.000Z
                #EXT-X-PART:DURATION=0.500000,URI="r1-104.0.m4s",INDEPENDENT=YES
                #EXT-X-PRELOAD-HINT:TYPE=PART,URI="r1-104.1.m4s"
                #EXT-X-RENDITION-REPORT:URI="index.m3u8",LAST-MSN=104,LAST-PART=0
                """);
        assertThat(r.lastMediaSequence()).isEqualTo(103);
        assertThat(r.parts()).isEqualTo(new PlaylistRenderer.Parts(104, 0, PART, 104, 1));
        // Rendition 0 keeps the names of a stream without renditions, and reports rendition 1.
        assertThat(render(0, T0 + 4600).text())
                .contains("#EXT-X-MAP:URI=\"init-1.mp4\"\n#EXTINF:1.000000,\n100.m4s\n")
                .contains("#EXT-X-PROGRAM-DATE-TIME:2026-12-07T06:00:04.000Z\n#EXT-X-PART:DURATION=0.500000,URI=\"104.0.m4s\",INDEPENDENT=YES\n"
                        + "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"104.1.m4s\"\n"
                        + "#EXT-X-RENDITION-REPORT:URI=\"index-1.m3u8\",LAST-MSN=104,LAST-PART=0\n");
    }

    @Test
    void aSegmentCarriesTheDateTheIngestGaveItNotItsFirstPartsArrival() {
        segments(1);
        // Segment 101's first part came 400 ms late to the ingest; its media clock dated the segment at T0 + 1 s all the same.
        feed.datedPart(1, 101, 0, PART, inits[1], T0 + 1900, T0 + 1000);
        feed.datedPart(1, 101, 1, PART, inits[1], T0 + 2000, T0 + 1000);
        assertThat(render(1, T0 + 2005).text()).contains("""
                r1-100.m4s
                #EXT-X-PROGRAM-DATE-TIME:2026-12-07T06:00:01.000Z
                #EXT-X-PART:DURATION=0.500000,URI="r1-101.0.m4s",INDEPENDENT=YES
                """);
    }

    @Test
    void aSegmentIsListedWholeOnlyOnceItsPartsEndIsHere() {
        segments(1);
        feed.part(0, 101, 0, PART, inits[0], T0 + 1500);
        feed.part(1, 101, 0, PART, inits[1], T0 + 1500);
        feed.part(0, 101, 1, PART, inits[0], T0 + 2000);
        feed.part(1, 101, 1, PART, inits[1], T0 + 2000);
        Rendered before = render(1, T0 + 2005);
        assertThat(before.text()).doesNotContain("r1-101.m4s").endsWith("""
                #EXTINF:1.000000,
                r1-100.m4s
                #EXT-X-PROGRAM-DATE-TIME:2026-12-07T06:00:01.000Z
                #EXT-X-PART:DURATION=0.500000,URI="r1-101.0.m4s",INDEPENDENT=YES
                #EXT-X-PART:DURATION=0.500000,URI="r1-101.1.m4s"
                #EXT-X-PRELOAD-HINT:TYPE=PART,URI="r1-101.2.m4s"
                #EXT-X-RENDITION-REPORT:URI="index.m3u8",LAST-MSN=101,LAST-PART=1
                """);
        assertThat(before.lastMediaSequence()).isEqualTo(100);
        feed.partsEnd(1, 101, 2, 2 * PART, inits[1], T0 + 2010);
        Rendered after = render(1, T0 + 2015);
        assertThat(after.text()).contains("""
                #EXT-X-PART:DURATION=0.500000,URI="r1-101.1.m4s"
                #EXTINF:1.000000,
                r1-101.m4s
                #EXT-X-PRELOAD-HINT:TYPE=PART,URI="r1-102.0.m4s"
                """);
        assertThat(after.lastMediaSequence()).isEqualTo(101);
    }

    @Test
    void anIncompletePartStopsThePartsAndIsTheOneHinted() {
        segments(2);
        feed.part(1, 102, 0, PART, inits[1], T0 + 2500);
        feed.incompletePart(1, 102, 1, PART, inits[1], T0 + 3000);
        feed.part(1, 102, 2, PART, inits[1], T0 + 3500);
        String p = render(1, T0 + 3600).text();
        assertThat(p).contains("URI=\"r1-102.0.m4s\"").doesNotContain("r1-102.1.m4s\",", "r1-102.2.m4s")
                .contains("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"r1-102.1.m4s\"\n");
    }

    @Test
    void aPartGivenUpOnSkipsItsSegmentAndTheListRestartsAfterIt() {
        segments(2);
        // Segment 102 of rendition 1 lost part 1 for good (one shard of it arrived); 103 is whole, 104 under way.
        feed.part(1, 102, 0, PART, inits[1], T0 + 2500);
        feed.incompletePart(1, 102, 1, PART, inits[1], T0 + 3000);
        feed.partsEnd(1, 102, 2, 2 * PART, inits[1], T0 + 3010);
        feed.part(1, 103, 0, PART, inits[1], T0 + 3500);
        feed.part(1, 103, 1, PART, inits[1], T0 + 4000);
        feed.partsEnd(1, 103, 2, 2 * PART, inits[1], T0 + 4010);
        feed.part(1, 104, 0, PART, inits[1], T0 + 4500);
        // Within the stale bound the list waits for it.
        assertThat(render(1, T0 + 4600).lastMediaSequence()).isEqualTo(101);
        Rendered r = render(1, T0 + 3000 + 6_000);
        assertThat(r.text()).contains("#EXT-X-MEDIA-SEQUENCE:103\n").doesNotContain("r1-100", "r1-101", "r1-102")
                .contains("r1-103.m4s\n#EXT-X-PROGRAM-DATE-TIME:2026-12-07T06:00:04.000Z\n#EXT-X-PART:DURATION=0.500000,URI=\"r1-104.0.m4s\",INDEPENDENT=YES\n");
    }

    @Test
    void aPartThatNeverArrivedIsGivenUpOnFromTheNextOnesIngestTime() {
        segments(1);
        // No shard of rendition 1's part 101.0 ever came; part 1 did.
        feed.part(1, 101, 1, PART, inits[1], T0 + 2000);
        feed.partsEnd(1, 101, 2, 2 * PART, inits[1], T0 + 2010);
        feed.segment(102, 2, PART, inits, T0 + 2000);
        assertThat(render(1, T0 + 7_999).lastMediaSequence()).isEqualTo(100);
        assertThat(render(1, T0 + 8_000).text()).contains("#EXT-X-MEDIA-SEQUENCE:102\n");
    }

    @Test
    void theEndClosesThePlaylistWithoutAHint() {
        segments(2);
        window.putComplete(EndMarkers.shards(2, 1, feed.nextSequence(), 102, T0 + 2100), io.stripecast.protocol.shard.EndOfStream.body());
        Rendered r = render(1, T0 + 2200);
        assertThat(r.ended()).isTrue();
        assertThat(r.text()).doesNotContain("PRELOAD-HINT", "RENDITION-REPORT").endsWith("r1-101.m4s\n#EXT-X-ENDLIST\n");
    }

    @Test
    void blockingReloadPositionsFollowTheNewestPart() {
        segments(2);
        feed.part(1, 102, 0, PART, inits[1], T0 + 2500);
        Rendered r = render(1, T0 + 2600);
        assertThat(r.lists(101, -1)).isTrue();
        assertThat(r.lists(102, -1)).isFalse();
        assertThat(r.lists(102, 0)).isTrue();
        assertThat(r.lists(102, 1)).isFalse();
        // RFC 8216bis 6.2.5.2: past segment 101's last part (1) means part 0 of 102.
        assertThat(r.lists(101, 1)).isTrue();
        assertThat(r.lists(101, 5)).isTrue();
        assertThat(r.lists(103, 0)).isFalse();
        assertThat(r.parts().advancePartLimit()).isEqualTo(6);
    }

    @Test
    void aStreamWithoutPartsInOtherRenditionsGetsNoPartTags() {
        segments(1);
        // Rendition 2 sent whole: its own names, no LL tags, the ladder's target duration.
        byte[] bytes = "whole".repeat(20).getBytes();
        var meta = io.stripecast.protocol.v1.SegmentMeta.newBuilder().setSequence(feed.nextSequence()).setRendition(2)
                .setKind(io.stripecast.protocol.v1.SegmentKind.SEGMENT_KIND_FMP4_MEDIA).setMediaSequence(100).setDurationMicros(900_000)
                .setInitSequence(inits[0]).setLength(bytes.length).setIngestTimeMillis(T0 + 1000)
                .setSha256(com.google.protobuf.ByteString.copyFrom(io.stripecast.protocol.shard.Shards.sha256(bytes))).setK(2).setM(1).build();
        window.putComplete(io.stripecast.protocol.shard.Shards.encode(new io.stripecast.protocol.codec.StripeCodec(2, 1), meta, bytes), bytes);
        String p = render(2, T0 + 1100).text();
        assertThat(p).doesNotContain("PART", "PROGRAM-DATE-TIME").contains("#EXT-X-TARGETDURATION:1\n", "#EXTINF:0.900000,\nr2-100.m4s\n");
    }

    @Test
    void aSignedViewersQueryReachesPartsHintsReportsAndEveryUriOfAMaster() {
        String q = "exp=1&sig=s";
        assertThat(PlaylistRenderer.withQuery("""
                #EXT-X-PART:DURATION=0.200000,URI="r1-5.0.m4s",INDEPENDENT=YES
                #EXT-X-PRELOAD-HINT:TYPE=PART,URI="r1-5.1.m4s"
                #EXT-X-RENDITION-REPORT:URI="index.m3u8",LAST-MSN=5,LAST-PART=0
                #EXT-X-DATERANGE:ID="ad",X-ASSET-URI="https://ads.example.net/ad.m3u8"
                """, q)).isEqualTo("""
                #EXT-X-PART:DURATION=0.200000,URI="r1-5.0.m4s?exp=1&sig=s",INDEPENDENT=YES
                #EXT-X-PRELOAD-HINT:TYPE=PART,URI="r1-5.1.m4s?exp=1&sig=s"
                #EXT-X-RENDITION-REPORT:URI="index.m3u8?exp=1&sig=s",LAST-MSN=5,LAST-PART=0
                #EXT-X-DATERANGE:ID="ad",X-ASSET-URI="https://ads.example.net/ad.m3u8"
                """);
        // A master as an ingest may publish it, CRLF and all.
        assertThat(PlaylistRenderer.withQuery("#EXTM3U\r\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",URI=\"index-2.m3u8\"\r\n"
                + "#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO=\"a\"\r\nindex.m3u8\r\n", q))
                .isEqualTo("#EXTM3U\r\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",URI=\"index-2.m3u8?exp=1&sig=s\"\r\n"
                        + "#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO=\"a\"\r\nindex.m3u8?exp=1&sig=s\r\n");
    }
}
