package io.stripecast.relay.ingest;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HlsMasterParserTest {
    /** Exactly what ffmpeg 5.1 uploads as master.m3u8 with -var_stream_map "v:0 v:1" -master_pl_name master.m3u8. */
    static final String FFMPEG = "#EXTM3U\n#EXT-X-VERSION:3\n"
            + "#EXT-X-STREAM-INF:BANDWIDTH=880000,RESOLUTION=640x360,CODECS=\"avc1.f4001e\"\nstream_0.m3u8\n\n"
            + "#EXT-X-STREAM-INF:BANDWIDTH=330000,RESOLUTION=320x180,CODECS=\"avc1.f4000c\"\nstream_1.m3u8\n\n";

    private static HlsMaster push(String text) throws PlaylistException {
        return new HlsMasterParser(true).parse(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String variants(int n) {
        StringBuilder s = new StringBuilder("#EXTM3U\n");
        for (int i = 0; i < n; i++) {
            s.append("#EXT-X-STREAM-INF:BANDWIDTH=").append(100_000 * (i + 1)).append("\nv").append(i).append(".m3u8\n");
        }
        return s.toString();
    }

    @Test
    void ffmpegsMasterMapsEachVariantToARenditionInOrderAndRendersTheEdgeURIs() throws Exception {
        assertThat(HlsMasterParser.isMaster(FFMPEG.getBytes(StandardCharsets.UTF_8))).isTrue();
        HlsMaster m = push(FFMPEG);
        assertThat(m.variants()).hasSize(2);
        assertThat(m.renditionOf("stream_0.m3u8")).isZero();
        assertThat(m.renditionOf("stream_1.m3u8")).isEqualTo(1);
        assertThat(m.renditionOf("stream_2.m3u8")).isEqualTo(-1);
        assertThat(m.variants().get(1).codecs()).isEqualTo("avc1.f4000c");
        assertThat(m.render()).isEqualTo("#EXTM3U\n#EXT-X-VERSION:3\n"
                + "#EXT-X-STREAM-INF:BANDWIDTH=880000,RESOLUTION=640x360,CODECS=\"avc1.f4001e\"\nindex.m3u8\n"
                + "#EXT-X-STREAM-INF:BANDWIDTH=330000,RESOLUTION=320x180,CODECS=\"avc1.f4000c\"\nindex-1.m3u8\n");
    }

    @Test
    void keepsOnlyTheAttributesAPlayerPicksBy() throws Exception {
        HlsMaster m = push("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000,AVERAGE-BANDWIDTH=900,FRAME-RATE=25.000,"
                + "CLOSED-CAPTIONS=NONE,NAME=\"x,y\",CODECS=\"avc1.64001f,mp4a.40.2\"\na.m3u8\n");
        assertThat(m.render()).contains("BANDWIDTH=1000,AVERAGE-BANDWIDTH=900,CODECS=\"avc1.64001f,mp4a.40.2\",FRAME-RATE=25.000\nindex.m3u8")
                .doesNotContain("CLOSED").doesNotContain("NAME");
    }

    @Test
    void eightVariantsAreARenditionLadderNineAreRefused() throws Exception {
        assertThat(push(variants(8)).variants()).hasSize(8);
        assertThatThrownBy(() -> push(variants(9))).isInstanceOf(PlaylistException.class).hasMessageStartingWith("more than 8 variants");
    }

    @Test
    void pushedVariantURIsMustBePlainNamesBesideTheMaster() {
        for (String uri : new String[]{"v/a.m3u8", "../a.m3u8", "http://evil.example/a.m3u8", "/abs.m3u8", "a.ts", "..m3u8"}) {
            assertThatThrownBy(() -> push("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n" + uri + "\n"))
                    .as(uri).isInstanceOf(PlaylistException.class);
        }
    }

    @Test
    void pulledVariantURIsMayBeRelativeOrAbsoluteTheGuardChecksThemResolved() throws Exception {
        HlsMaster m = new HlsMasterParser(false).parse(("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nhi/index.m3u8\n"
                + "#EXT-X-STREAM-INF:BANDWIDTH=2\nhttp://169.254.169.254/x.m3u8\n").getBytes(StandardCharsets.UTF_8));
        assertThat(m.variants()).extracting(HlsMaster.Variant::uri).containsExactly("hi/index.m3u8", "http://169.254.169.254/x.m3u8");
    }

    @Test
    void hostileAttributesAreRefusedNotCopiedIntoEveryEdgesMaster() {
        String[] bad = {
                "BANDWIDTH=1,CODECS=\"" + "a".repeat(200) + "\"",
                "BANDWIDTH=99999999999999999999",
                "BANDWIDTH=1,RESOLUTION=640x360\\n#EXT-X-ENDLIST",
                "BANDWIDTH=1,CODECS=\"a\\\"b\"",
                "BANDWIDTH=1,CODECS=unquoted",
                "BANDWIDTH=1,FRAME-RATE=NaN",
                "RESOLUTION=1x1",
                "BANDWIDTH=1,CODECS=\"unterminated",
        };
        for (String attrs : bad) {
            assertThatThrownBy(() -> push("#EXTM3U\n#EXT-X-STREAM-INF:" + attrs + "\na.m3u8\n")).as(attrs)
                    .isInstanceOf(PlaylistException.class);
        }
        assertThatThrownBy(() -> push("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1," + "X=1,".repeat(2000) + "\na.m3u8\n"))
                .hasMessageContaining("longer than");
    }

    @Test
    void aMasterWithoutVariantsOrWithAlternativeRenditionsOrDuplicatesIsRefused() {
        assertThatThrownBy(() -> push("#EXTM3U\n#EXT-X-VERSION:3\n")).hasMessageContaining("without any #EXT-X-STREAM-INF");
        assertThatThrownBy(() -> push("#EXTM3U\na.m3u8\n")).hasMessageContaining("without #EXT-X-STREAM-INF");
        assertThatThrownBy(() -> push("#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",URI=\"a.m3u8\"\n"
                + "#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO=\"a\"\nv.m3u8\n")).hasMessageContaining("EXT-X-MEDIA");
        assertThatThrownBy(() -> push("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\na.m3u8\n"))
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> push("not a playlist\n")).hasMessageContaining("#EXTM3U");
    }
}
