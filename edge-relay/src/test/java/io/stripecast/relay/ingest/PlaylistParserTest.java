package io.stripecast.relay.ingest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PlaylistParserTest {
    private final PlaylistParser parser = new PlaylistParser(10_000, true);

    private MediaPlaylist parse(String text) throws PlaylistException {
        return parser.parse(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsWhatFfmpegsHlsMuxerWrites() throws Exception {
        MediaPlaylist p = parse("""
                #EXTM3U
                #EXT-X-VERSION:3
                #EXT-X-TARGETDURATION:1
                #EXT-X-MEDIA-SEQUENCE:17
                #EXTINF:1.000000,
                index17.ts
                #EXT-X-DISCONTINUITY
                #EXTINF:0.960000,
                index18.ts
                #EXT-X-ENDLIST
                """);
        assertThat(p.mediaSequence()).isEqualTo(17);
        assertThat(p.entries()).containsExactly(
                new PlaylistEntry(17, "index17.ts", 1_000_000, false, null),
                new PlaylistEntry(18, "index18.ts", 960_000, true, null));
        assertThat(p.endList()).isTrue();
    }

    @Test
    void carriesTheFmp4InitSegmentOfEachEntry() throws Exception {
        MediaPlaylist p = parse("#EXTM3U\r\n#EXT-X-MAP:URI=\"init.mp4\"\r\n#EXTINF:2.0,\r\nindex0.m4s\r\n");
        assertThat(p.entries()).containsExactly(new PlaylistEntry(0, "index0.m4s", 2_000_000, false, "init.mp4"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "#EXTINF:-1,\nseg.ts\n",
            "#EXTINF:0,\nseg.ts\n",
            "#EXTINF:NaN,\nseg.ts\n",
            "#EXTINF:Infinity,\nseg.ts\n",
            "#EXTINF:1e12,\nseg.ts\n",
            "#EXTINF:601,\nseg.ts\n",
            "#EXTINF:abc,\nseg.ts\n",
            "seg.ts\n",
            "#EXTINF:1,\n../../etc/passwd\n",
            "#EXTINF:1,\n/abs/seg.ts\n",
            "#EXTINF:1,\nhttp://elsewhere/seg.ts\n",
            "#EXTINF:1,\n.hidden.ts\n",
            "#EXT-X-MEDIA-SEQUENCE:-5\n#EXTINF:1,\nseg.ts\n",
            "#EXT-X-MEDIA-SEQUENCE:99999999999999999999\n#EXTINF:1,\nseg.ts\n",
            "#EXT-X-STREAM-INF:BANDWIDTH=1\nlow.m3u8\n",
            "#EXT-X-MAP:URI=\"../init.mp4\"\n#EXTINF:1,\nseg.m4s\n",
    })
    void refusesHostileEntriesWithAReason(String body) {
        assertThatThrownBy(() -> parse("#EXTM3U\n" + body)).isInstanceOf(PlaylistException.class).hasMessageNotContaining("null");
    }

    @Test
    void refusesWhatIsNotAPlaylist() {
        assertThatThrownBy(() -> parse("<html>hello</html>")).isInstanceOf(PlaylistException.class).hasMessageContaining("#EXTM3U");
        assertThatThrownBy(() -> parse("")).isInstanceOf(PlaylistException.class);
    }

    @Test
    void refusesAMillionEntries() {
        StringBuilder b = new StringBuilder("#EXTM3U\n");
        for (int i = 0; i < 1_000_000; i++) {
            b.append("#EXTINF:1,\ns").append(i).append(".ts\n");
        }
        assertThatThrownBy(() -> parse(b.toString())).isInstanceOf(PlaylistException.class).hasMessageContaining("more than 10000");
    }

    @Test
    void refusesOverlongLines() {
        assertThatThrownBy(() -> parse("#EXTM3U\n#EXTINF:1," + "x".repeat(5000) + "\nseg.ts\n"))
                .isInstanceOf(PlaylistException.class).hasMessageContaining("longer than");
    }

    @Test
    void pullModeAcceptsRelativeAndAbsoluteUris() throws Exception {
        MediaPlaylist p = new PlaylistParser(100, false).parse(
                "#EXTM3U\n#EXTINF:1,\nsub/seg1.ts\n#EXTINF:1,\nhttp://origin/seg2.ts\n".getBytes(StandardCharsets.UTF_8));
        assertThat(p.entries()).extracting(PlaylistEntry::uri).containsExactly("sub/seg1.ts", "http://origin/seg2.ts");
    }
}
