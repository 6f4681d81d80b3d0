package io.stripecast.relay.ingest.cmaf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The manifest parser over ffmpeg's own MPDs and hostile ones, and the master playlist rendered from it. */
class DashManifestTest {
    /** ffmpeg 5.1's live manifest for the README's two-rendition command, as it PUT it. */
    static final String LIVE = """
            <?xml version="1.0" encoding="utf-8"?>
            <MPD xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
            	xmlns="urn:mpeg:dash:schema:mpd:2011"
            	xmlns:xlink="http://www.w3.org/1999/xlink"
            	profiles="urn:mpeg:dash:profile:isoff-live:2011"
            	type="dynamic"
            	minimumUpdatePeriod="PT500S"
            	availabilityStartTime="2026-12-07T06:25:20.515Z"
            	maxSegmentDuration="PT2.0S"
            	minBufferTime="PT2.0S">
            	<ProgramInformation>
            	</ProgramInformation>
            	<ServiceDescription id="0">
            	</ServiceDescription>
            	<Period id="0" start="PT0.0S">
            		<AdaptationSet id="0" contentType="video" startWithSAP="1" segmentAlignment="true" bitstreamSwitching="true" frameRate="25/1" maxWidth="640" maxHeight="360" par="16:9">
            			<Resync dT="200000" type="0"/>
            			<Representation id="0" mimeType="video/mp4" codecs="avc1.f4001e" bandwidth="800000" width="640" height="360" sar="1:1">
            				<Resync dT="2000000" type="1"/>
            				<SegmentTemplate timescale="1000000" duration="2000000" availabilityTimeOffset="1.800" availabilityTimeComplete="false" initialization="init-stream$RepresentationID$.m4s" media="chunk-stream$RepresentationID$-$Number%05d$.m4s" startNumber="1">
            				</SegmentTemplate>
            			</Representation>
            		</AdaptationSet>
            		<AdaptationSet id="1" contentType="video" startWithSAP="1" segmentAlignment="true" bitstreamSwitching="true" frameRate="25/1" maxWidth="320" maxHeight="180" par="16:9">
            			<Resync dT="200000" type="0"/>
            			<Representation id="1" mimeType="video/mp4" codecs="avc1.f4000c" bandwidth="300000" width="320" height="180" sar="1:1">
            				<SegmentTemplate timescale="1000000" duration="2000000" availabilityTimeOffset="1.800" availabilityTimeComplete="false" initialization="init-stream$RepresentationID$.m4s" media="chunk-stream$RepresentationID$-$Number%05d$.m4s" startNumber="1">
            				</SegmentTemplate>
            			</Representation>
            		</AdaptationSet>
            	</Period>
            </MPD>
            """;

    @Test
    void readsFfmpegsTwoRenditionManifestAndRendersTheMaster() throws Exception {
        DashManifest m = DashManifest.parse(LIVE.getBytes(StandardCharsets.UTF_8));
        assertThat(m.ended()).isFalse();
        assertThat(m.representations()).containsExactly(
                new DashManifest.Representation(0, "video", 800_000, 640, 360, "avc1.f4001e", "25.000"),
                new DashManifest.Representation(1, "video", 300_000, 320, 180, "avc1.f4000c", "25.000"));
        String master = MasterPlaylist.render(List.of(new MasterPlaylist.Rendition(0, m.representations().get(0)),
                new MasterPlaylist.Rendition(1, m.representations().get(1))));
        assertThat(master).isEqualTo("""
                #EXTM3U
                #EXT-X-VERSION:7
                #EXT-X-INDEPENDENT-SEGMENTS
                #EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.f4001e",FRAME-RATE=25.000
                index.m3u8
                #EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=320x180,CODECS="avc1.f4000c",FRAME-RATE=25.000
                index-1.m3u8
                """);
    }

    @Test
    void readsTheManifestFfmpegWritesWhenItStopsAsTheEnd(@TempDir Path dir) throws Exception {
        FfmpegDash.encode(dir, 3);
        DashManifest m = DashManifest.parse(Files.readAllBytes(dir.resolve("manifest.mpd")));
        assertThat(m.ended()).as("ffmpeg's last manifest is static").isTrue();
        assertThat(m.representations()).hasSize(1);
        DashManifest.Representation r = m.representations().get(0);
        assertThat(r.id()).isZero();
        assertThat(r.kind()).isEqualTo("video");
        assertThat(r.width()).isEqualTo(320);
        assertThat(r.height()).isEqualTo(180);
        assertThat(r.codecs()).startsWith("avc1.");
        assertThat(r.bandwidth()).isEqualTo(300_000);
    }

    @Test
    void anAudioRepresentationIsReadAsAudioAndLeftToTheCaller() throws Exception {
        String mpd = """
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic"><Period>
                <AdaptationSet contentType="audio"><Representation id="1" mimeType="audio/mp4" codecs="mp4a.40.2" bandwidth="96000"/></AdaptationSet>
                <AdaptationSet mimeType="video/mp4" width="1280" height="720" frameRate="30000/1001"><Representation id="0" codecs="avc1.64001f" bandwidth="3000000"/></AdaptationSet>
                </Period></MPD>""";
        DashManifest m = DashManifest.parse(mpd.getBytes(StandardCharsets.UTF_8));
        assertThat(m.representations()).containsExactly(
                new DashManifest.Representation(1, "audio", 96_000, 0, 0, "mp4a.40.2", null),
                new DashManifest.Representation(0, "video", 3_000_000, 1280, 720, "avc1.64001f", "29.970"));
    }

    @Test
    void aDoctypeIsRefusedSoNoEntityIsEverExpanded() {
        String xxe = """
                <?xml version="1.0"?>
                <!DOCTYPE MPD [<!ENTITY x SYSTEM "file:///etc/passwd">]>
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><Period><AdaptationSet contentType="video">
                <Representation id="0" codecs="&x;" bandwidth="1"/></AdaptationSet></Period></MPD>""";
        String laughs = """
                <?xml version="1.0"?>
                <!DOCTYPE MPD [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="&c;"/>""";
        for (String hostile : List.of(xxe, laughs)) {
            assertThatThrownBy(() -> DashManifest.parse(hostile.getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOf(CmafException.class).extracting(e -> ((CmafException) e).reason()).isEqualTo("bad_manifest");
        }
    }

    @Test
    void valuesThatWouldBreakTheMasterPlaylistAreRefused() {
        for (String rep : List.of(
                "<Representation id=\"0\" codecs='avc1\",BANDWIDTH=1' bandwidth=\"1\"/>",
                "<Representation id=\"0\" codecs=\"avc1&#10;#EXT-X-ENDLIST\" bandwidth=\"1\"/>",
                "<Representation id=\"x\" bandwidth=\"1\"/>",
                "<Representation id=\"0\" bandwidth=\"-5\"/>",
                "<Representation id=\"0\"/>",
                "<Representation id=\"0\" bandwidth=\"1\" width=\"99999999\"/>",
                "<Representation id=\"0\" bandwidth=\"1\" frameRate=\"25/0\"/>")) {
            String mpd = "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\"><Period><AdaptationSet contentType=\"video\">" + rep
                    + "</AdaptationSet></Period></MPD>";
            assertThatThrownBy(() -> DashManifest.parse(mpd.getBytes(StandardCharsets.UTF_8))).as(rep)
                    .isInstanceOf(CmafException.class).extracting(e -> ((CmafException) e).reason()).isEqualTo("bad_manifest");
        }
    }

    @Test
    void notXmlOrNotAnMpdIsRefused() {
        for (String bad : List.of("not xml", "<MPD", "<html/>")) {
            assertThatThrownBy(() -> DashManifest.parse(bad.getBytes(StandardCharsets.UTF_8))).as(bad)
                    .isInstanceOf(CmafException.class);
        }
    }
}
