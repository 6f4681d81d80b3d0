package io.stripecast.lab.cluster;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SyntheticSourceTest {
    @Test
    void playlistListsTheLastFiveAsFfmpegDoes() {
        assertThat(SyntheticSource.playlist(0, 1000)).isEqualTo("""
                #EXTM3U
                #EXT-X-VERSION:3
                #EXT-X-TARGETDURATION:1
                #EXT-X-MEDIA-SEQUENCE:0
                #EXTINF:1.000000,
                seg0.ts
                """);
        String later = SyntheticSource.playlist(9, 2000);
        assertThat(later).contains("#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:5", "seg5.ts", "seg9.ts", "#EXTINF:2.000000,")
                .doesNotContain("seg4.ts");
    }

    @Test
    void aSegmentIsTheSameBytesEveryTimeAndDiffersBetweenStreamsAndIndexes() {
        assertThat(SyntheticSource.segment("live", 3, 1000)).hasSize(1000).isEqualTo(SyntheticSource.segment("live", 3, 1000));
        assertThat(SyntheticSource.segment("live", 3, 1000)).isNotEqualTo(SyntheticSource.segment("live", 4, 1000));
        assertThat(SyntheticSource.segment("live", 3, 1000)).isNotEqualTo(SyntheticSource.segment("live2", 3, 1000));
    }
}
