package io.stripecast.lab.lowlatency;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class PartProbeTest {
    private static final long T0 = Instant.parse("2026-12-07T06:00:00Z").toEpochMilli();

    @Test
    void partsEndAtTheirSegmentsDateTimePlusThePartsBeforeThemAndTheNextPartFollowsTheNewest() {
        String playlist = """
                #EXTM3U
                #EXT-X-TARGETDURATION:2
                #EXT-X-MEDIA-SEQUENCE:100
                #EXT-X-PROGRAM-DATE-TIME:2026-12-07T06:00:00.000Z
                #EXT-X-PART:DURATION=1.0,URI="100.0.m4s",INDEPENDENT=YES
                #EXT-X-PART:DURATION=1.0,URI="100.1.m4s"
                #EXTINF:2.000000,
                100.m4s
                #EXT-X-PART:DURATION=0.2,URI="101.0.m4s",INDEPENDENT=YES
                #EXT-X-PART:DURATION=0.2,URI="101.1.m4s"
                #EXT-X-PRELOAD-HINT:TYPE=PART,URI="101.2.m4s"
                """;
        PartProbe.Parsed p = PartProbe.parse(playlist);
        assertThat(p.parts()).extracting(PartProbe.PartAt::uri).containsExactly("100.0.m4s", "100.1.m4s", "101.0.m4s", "101.1.m4s");
        assertThat(p.parts()).extracting(PartProbe.PartAt::endMillis).containsExactly(T0 + 1000, T0 + 2000, T0 + 2200, T0 + 2400);
        assertThat(p.nextMsn()).isEqualTo(101);
        assertThat(p.nextPart()).isEqualTo(2);
        assertThat(p.ended()).isFalse();
    }

    @Test
    void aPlaylistEndingOnAWholeSegmentAsksForTheNextSegmentsFirstPart() {
        String playlist = """
                #EXTM3U
                #EXT-X-MEDIA-SEQUENCE:7
                #EXT-X-PROGRAM-DATE-TIME:2026-12-07T06:00:00.000Z
                #EXTINF:2.0,
                7.m4s
                #EXT-X-PROGRAM-DATE-TIME:2026-12-07T06:00:02.000Z
                #EXT-X-PART:DURATION=0.5,URI="8.0.m4s"
                #EXTINF:2.0,
                8.m4s
                #EXT-X-ENDLIST
                """;
        PartProbe.Parsed p = PartProbe.parse(playlist);
        assertThat(p.parts()).extracting(PartProbe.PartAt::endMillis).containsExactly(T0 + 2500);
        assertThat(p.nextMsn()).isEqualTo(9);
        assertThat(p.nextPart()).isZero();
        assertThat(p.ended()).isTrue();
    }
}
