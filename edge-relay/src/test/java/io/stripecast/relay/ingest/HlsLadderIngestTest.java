package io.stripecast.relay.ingest;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.relay.FakeParentResource;
import io.stripecast.relay.RelayClient;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.window.WindowEntry;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Real ffmpeg's HLS muxer with {@code -var_stream_map "v:0 v:1"} and a master playlist, PUT through a recording proxy
 * into this in-JVM ingest relay (streams "ladder": MPEG-TS, "ladderfmp4": fMP4 with an init per variant): the relay
 * serves the ladder with ffmpeg's attributes and the edge's URIs, each rendition's playlist lists exactly the segments
 * ffmpeg uploaded for that variant, byte for byte, both renditions share media sequences, and one end follows both.
 */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
class HlsLadderIngestTest {
    private static final Logger LOG = Logger.getLogger(HlsLadderIngestTest.class);
    @TestHTTPResource("/")
    URL base;
    @Inject
    StreamRegistry streams;

    @ParameterizedTest
    @ValueSource(strings = {"ladder", "ladderfmp4"})
    void ffmpegsVarStreamMapIsPublishedAsTwoAlignedRenditions(String stream) throws Exception {
        boolean fmp4 = stream.equals("ladderfmp4");
        String ext = fmp4 ? ".m4s" : ".ts";
        try (RecordingProxy proxy = new RecordingProxy(base.getPort())) {
            Path log = Files.createTempFile("ffmpeg-hls-ladder", ".log");
            List<String> command = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "warning", "-nostdin", "-re",
                    "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25", "-t", "6", "-map", "0:v", "-map", "0:v",
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-b:v:0", "800k", "-b:v:1", "300k", "-s:v:1", "320x180",
                    "-f", "hls"));
            if (fmp4) {
                command.addAll(List.of("-hls_segment_type", "fmp4"));
            }
            command.addAll(List.of("-var_stream_map", "v:0 v:1", "-master_pl_name", "master.m3u8", "-hls_time", "1",
                    "-hls_list_size", "5", "-method", "PUT", "-headers", "Authorization: Bearer " + stream + "-key-0123456789\r\n",
                    "http://127.0.0.1:" + proxy.port() + "/ingest/" + stream + "/stream_%v.m3u8"));
            Process ffmpeg = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            assertThat(ffmpeg.waitFor(60, TimeUnit.SECONDS)).as("ffmpeg streams 6 s within 60 s").isTrue();
            assertThat(ffmpeg.exitValue()).as("ffmpeg's exit code; its log: %s", Files.readString(log)).isZero();
            List<String> order = proxy.uploads.stream().map(RecordingProxy.Upload::file).toList();
            LOG.infof("ffmpeg -var_stream_map (%s) uploaded, in order: %s", stream, order);

            try {
                await("both renditions' ENDLIST end the stream").atMost(Duration.ofSeconds(20))
                        .until(() -> window(stream).stream().anyMatch(WindowEntry::isEnd));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("no end; ffmpeg PUT: " + order + "; answers: " + proxy.answers, e);
            }
            List<WindowEntry> window = window(stream);
            assertThat(window.stream().filter(WindowEntry::isEnd)).as("one end for both renditions").hasSize(1);
            long end = window.stream().filter(WindowEntry::isEnd).findFirst().orElseThrow().sequence();
            assertThat(window.stream().filter(WindowEntry::isMedia)).allMatch(e -> e.sequence() < end, "media before the end");

            // Whatever ffmpeg uploaded last under each name (it PUTs each segment once).
            Map<String, byte[]> uploaded = new LinkedHashMap<>();
            proxy.uploads.forEach(u -> uploaded.put(u.file(), u.body()));
            RelayClient relay = new RelayClient(base.toString());
            HttpResponse<String> master = relay.get("/live/" + stream + "/master.m3u8");
            assertThat(master.statusCode()).isEqualTo(200);
            assertThat(master.body()).isEqualTo(new HlsMasterParser(true).parse(uploaded.get("master.m3u8")).render())
                    .contains("RESOLUTION=640x360,CODECS=\"avc1.").contains("RESOLUTION=320x180,CODECS=\"avc1.")
                    .containsPattern("BANDWIDTH=\\d+,RESOLUTION=640x360,CODECS=\"[^\"]+\"\nindex.m3u8\n")
                    .containsPattern("BANDWIDTH=\\d+,RESOLUTION=320x180,CODECS=\"[^\"]+\"\nindex-1.m3u8\n");

            List<String> mediaSequences = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                String name = r == 0 ? "index.m3u8" : "index-1.m3u8";
                String playlist = relay.get("/live/" + stream + "/" + name).body();
                assertThat(playlist).as(name).contains("#EXT-X-ENDLIST");
                mediaSequences.add(playlist.lines().filter(l -> l.startsWith("#EXT-X-MEDIA-SEQUENCE:")).findFirst().orElseThrow());
                List<byte[]> served = new ArrayList<>();
                for (String uri : playlist.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList()) {
                    HttpResponse<byte[]> seg = relay.getBytes("/live/" + stream + "/" + uri);
                    assertThat(seg.statusCode()).as("%s lists %s", name, uri).isEqualTo(200);
                    served.add(seg.body());
                }
                String prefix = "stream_" + r;
                List<byte[]> expected = uploaded.entrySet().stream()
                        .filter(e -> e.getKey().startsWith(prefix) && e.getKey().endsWith(ext)).map(Map.Entry::getValue).toList();
                assertThat(served).as("%s: its segments", name).hasSizeGreaterThanOrEqualTo(3);
                List<byte[]> tail = expected.subList(expected.size() - served.size(), expected.size());
                for (int i = 0; i < served.size(); i++) {
                    assertThat(served.get(i)).as("%s segment %d of %d is ffmpeg's %s upload", name, i, served.size(), prefix)
                            .isEqualTo(tail.get(i));
                }
                if (fmp4) {
                    String map = playlist.lines().filter(l -> l.startsWith("#EXT-X-MAP:URI=\"")).findFirst().orElseThrow();
                    String initUri = map.substring(16, map.indexOf('"', 16));
                    assertThat(relay.getBytes("/live/" + stream + "/" + initUri).body()).as("%s's init", name)
                            .isEqualTo(uploaded.get("init_" + r + ".mp4"));
                }
            }
            assertThat(mediaSequences.get(1)).as("rendition 1's media sequence lines up with rendition 0's").isEqualTo(mediaSequences.get(0));
        }
    }

    private List<WindowEntry> window(String stream) {
        return new ArrayList<>(streams.find(stream).orElseThrow().window().snapshot());
    }
}
