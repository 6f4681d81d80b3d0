package io.stripecast.relay.playback;

import io.stripecast.relay.playback.MediaNames.Media;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The served names both ways: rendition 0 as a stream without renditions, r >= 1 prefixed, parts, and the bounds. */
class MediaNamesTest {
    @Test
    void namesAndTheirParsesAgree() {
        assertThat(MediaNames.playlist(0)).isEqualTo("index.m3u8");
        assertThat(MediaNames.playlist(3)).isEqualTo("index-3.m3u8");
        assertThat(MediaNames.segment(0, 12, true)).isEqualTo("12.m4s");
        assertThat(MediaNames.segment(0, 12, false)).isEqualTo("12.ts");
        assertThat(MediaNames.segment(1, 12, true)).isEqualTo("r1-12.m4s");
        assertThat(MediaNames.part(0, 12, 3)).isEqualTo("12.3.m4s");
        assertThat(MediaNames.part(7, 12, 63)).isEqualTo("r7-12.63.m4s");
        assertThat(MediaNames.parse("12.m4s").media()).isEqualTo(new Media(0, 12, -1, true));
        assertThat(MediaNames.parse("12.ts").media()).isEqualTo(new Media(0, 12, -1, false));
        assertThat(MediaNames.parse("r1-12.m4s").media()).isEqualTo(new Media(1, 12, -1, true));
        assertThat(MediaNames.parse("12.3.m4s").media()).isEqualTo(new Media(0, 12, 3, true));
        assertThat(MediaNames.parse("r7-12.63.m4s").media()).isEqualTo(new Media(7, 12, 63, true));
        assertThat(MediaNames.playlistRendition("index.m3u8")).isZero();
        assertThat(MediaNames.playlistRendition("index-7.m3u8")).isEqualTo(7);
    }

    @ParameterizedTest
    @ValueSource(strings = {"r0-12.m4s", "012.m4s", "12.03.m4s", "r01-12.m4s", "12.3.ts", "r1-12", "12.mp4", "hashes.json", "r-12.m4s",
            "1234567890123456789.m4s"})
    void onlyCanonicalNamesParse(String file) {
        assertThat(MediaNames.parse(file)).isNull();
    }

    @Test
    void namesOutOfTheProtocolsBoundsAreToldApart() {
        assertThat(MediaNames.parse("r8-12.m4s").reason()).isEqualTo("bad_rendition");
        assertThat(MediaNames.parse("r999-12.0.m4s").reason()).isEqualTo("bad_rendition");
        assertThat(MediaNames.parse("12.64.m4s").reason()).isEqualTo("bad_part");
        assertThat(MediaNames.parse("r1-12.999.m4s").detail()).contains("at most 64 parts");
        assertThat(MediaNames.playlistRendition("index-8.m3u8")).isEqualTo(-2);
        assertThat(MediaNames.playlistRendition("index-0.m3u8")).as("rendition 0 is index.m3u8").isEqualTo(-1);
        assertThat(MediaNames.playlistRendition("index-01.m3u8")).isEqualTo(-1);
        assertThat(MediaNames.playlistRendition("master.m3u8")).isEqualTo(-1);
    }
}
