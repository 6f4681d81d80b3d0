package io.stripecast.relay.ingest;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.relay.FakeParentResource;
import io.stripecast.relay.ingest.cmaf.Box;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.window.WindowEntry;
import jakarta.inject.Inject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Real ffmpeg's DASH muxer, two renditions with the README's low-latency flags, PUT through a recording proxy into this
 * in-JVM ingest relay (streams "cmaf" and, kept-alive, "cmafkeep"): every completed segment reaches the window as parts that concatenate to exactly
 * what ffmpeg uploaded, then its PARTS_END; both renditions share media sequences; the ladder lists both; parts go out
 * while their segment's upload is still open; ffmpeg's final manifest ends the stream after the last PARTS_END.
 */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
class DashIngestTest {
    @TestHTTPResource("/")
    URL base;
    @Inject
    StreamRegistry streams;
    @Inject
    MeterRegistry registry;
    private String stream;

    /**
     * @param stream {@code cmaf}: a new connection per file (ffmpeg's default); {@code cmafkeep}: kept-alive connections
     *               ({@code -http_persistent 1}), on which ffmpeg sends its next upload right behind the last
     */
    @ParameterizedTest
    @ValueSource(strings = {"cmaf", "cmafkeep"})
    void ffmpegsDashMuxerIsPublishedPartByPart(String stream) throws Exception {
        this.stream = stream;
        try (RecordingProxy proxy = new RecordingProxy(base.getPort())) {
            Path log = Files.createTempFile("ffmpeg-dash", ".log");
            Process ffmpeg = new ProcessBuilder("ffmpeg", "-hide_banner", "-loglevel", "warning", "-nostdin", "-re",
                    "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=25",
                    "-t", "7", "-map", "0:v", "-map", "1:v", "-c:v", "libx264", "-tune", "zerolatency", "-preset", "veryfast",
                    "-g", "50", "-keyint_min", "50", "-b:v:0", "800k", "-b:v:1", "300k",
                    "-f", "dash", "-strict", "experimental", "-streaming", "1", "-ldash", "1", "-lhls", "1", "-hls_playlist", "1",
                    "-seg_duration", "2", "-frag_duration", "0.2", "-frag_type", "duration", "-use_template", "1", "-use_timeline", "0",
                    // The DASH muxer has no -headers: the key goes as the password of the URL (HTTP Basic, after a challenge).
                    "-http_persistent", stream.equals("cmafkeep") ? "1" : "0",
                    "-method", "PUT", "http://stripecast:" + stream + "-key-0123456789@127.0.0.1:" + proxy.port() + "/ingest/" + stream + "/manifest.mpd")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            assertThat(ffmpeg.waitFor(60, TimeUnit.SECONDS)).as("ffmpeg streams 7 s within 60 s").isTrue();
            assertThat(ffmpeg.exitValue()).as("ffmpeg's exit code; its log: %s", Files.readString(log)).isZero();

            try {
                await("ffmpeg's final manifest ends the stream").atMost(Duration.ofSeconds(20))
                        .until(() -> window().stream().anyMatch(WindowEntry::isEnd));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("no end; window: " + summary() + "; ffmpeg PUT: "
                        + proxy.uploads.stream().map(u -> u.file() + "(" + u.body().length + ")").toList() + "; answers: " + proxy.answers, e);
            }
            List<WindowEntry> window = window();
            WindowEntry end = window.stream().filter(WindowEntry::isEnd).findFirst().orElseThrow();

            // Inits: one per rendition, the bytes ffmpeg PUT.
            Map<Integer, WindowEntry> inits = new TreeMap<>();
            for (WindowEntry e : window) {
                if (e.meta().getKind() == io.stripecast.protocol.v1.SegmentKind.SEGMENT_KIND_FMP4_INIT) {
                    assertThat(inits.put(e.rendition(), e)).as("one init per rendition").isNull();
                }
            }
            assertThat(inits.keySet()).containsExactly(0, 1);
            for (var i : inits.entrySet()) {
                assertThat(i.getValue().segment().toByteArray()).as("init of rendition %d", i.getKey()).isEqualTo(proxy.last("init-stream" + i.getKey() + ".m4s"));
            }

            List<WindowEntry> partsEnds = window.stream().filter(WindowEntry::isPartsEnd).toList();
            Map<Integer, List<Long>> completedByRendition = partsEnds.stream().collect(Collectors.groupingBy(WindowEntry::rendition,
                    TreeMap::new, Collectors.mapping(e -> e.meta().getMediaSequence(), Collectors.toList())));
            assertThat(completedByRendition.keySet()).as("both renditions completed segments").containsExactly(0, 1);
            assertThat(completedByRendition.get(0)).as("7 s in 2 s segments: 4 segments (the last 1 s)").hasSize(4);
            assertThat(completedByRendition.get(1)).as("renditions of one moment share media sequences").isEqualTo(completedByRendition.get(0));

            int cutThrough = 0;
            StringBuilder timing = new StringBuilder("part publish times (ms after the segment's first part):");
            for (WindowEntry pe : partsEnds) {
                SegmentMeta m = pe.meta();
                List<WindowEntry> parts = window.stream()
                        .filter(e -> e.isPart() && e.rendition() == pe.rendition() && e.meta().getMediaSequence() == m.getMediaSequence())
                        .sorted((a, b) -> Long.compare(a.sequence(), b.sequence())).toList();
                String what = "rendition " + pe.rendition() + " segment " + m.getMediaSequence();
                assertThat(parts).as(what + ": every part it counts").hasSize(m.getPartIndex());
                ByteArrayOutputStream joined = new ByteArrayOutputStream();
                long duration = 0;
                for (int i = 0; i < parts.size(); i++) {
                    SegmentMeta p = parts.get(i).meta();
                    assertThat(p.getPartIndex()).as(what + ": parts in order").isEqualTo(i);
                    assertThat(p.getIndependent()).as(what + " part " + i + " starts with a key frame").isEqualTo(i == 0);
                    assertThat(p.getInitSequence()).as(what + ": its rendition's init").isEqualTo(inits.get(pe.rendition()).sequence());
                    assertThat(parts.get(i).sequence()).isLessThan(pe.sequence());
                    joined.write(parts.get(i).segment().toByteArray());
                    duration += p.getDurationMicros();
                }
                assertThat(duration).as(what + ": PARTS_END's duration is its parts'").isEqualTo(m.getDurationMicros());
                String file = "chunk-stream" + pe.rendition() + "-%05d.m4s".formatted(parts.get(0).meta().getUpstreamSequence());
                assertThat(joined.toByteArray()).as(what + ": parts concatenated = what ffmpeg PUT as " + file).isEqualTo(proxy.last(file));
                assertThat(Box.children(joined.toByteArray(), 0, joined.size()).get(0).type()).isEqualTo("styp");
                assertThat(end.sequence()).as("the end follows every PARTS_END").isGreaterThan(pe.sequence());
                timing.append("\n  r").append(pe.rendition()).append(" #").append(parts.get(0).meta().getUpstreamSequence()).append(':');
                for (WindowEntry p : parts) {
                    timing.append(' ').append(p.meta().getIngestTimeMillis() - parts.get(0).meta().getIngestTimeMillis());
                }
                timing.append(" end ").append(m.getIngestTimeMillis() - parts.get(0).meta().getIngestTimeMillis());
                if (m.getDurationMicros() == 2_000_000) {
                    assertThat(parts).as(what).hasSize(10);
                    long firstPart = parts.get(0).meta().getIngestTimeMillis();
                    assertThat(m.getIngestTimeMillis() - firstPart)
                            .as(what + ": its first part was published while its upload was still open").isGreaterThanOrEqualTo(1000);
                    cutThrough++;
                }
            }
            assertThat(cutThrough).as("full 2 s segments checked for cut-through").isGreaterThanOrEqualTo(6);
            System.out.println(timing);

            WindowEntry ladder = window.stream().filter(WindowEntry::isRenditions).reduce((a, b) -> b).orElseThrow();
            String master = new String(ladder.segment().toByteArray(), StandardCharsets.UTF_8);
            assertThat(master).startsWith("#EXTM3U\n").contains("#EXT-X-INDEPENDENT-SEGMENTS")
                    .contains("#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS=\"avc1.")
                    .contains("#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=320x180,CODECS=\"avc1.")
                    .contains("\nindex.m3u8\n").contains("\nindex-1.m3u8\n");

            // The HLS playlists ffmpeg uploaded beside the manifest were taken and left alone, and nothing was dropped.
            assertThat(proxy.uploads.stream().filter(u -> u.file().endsWith(".m3u8")).count()).isPositive();
            assertThat(registry.find("stripecast.relay.ingest.files.ignored").tag("stream", stream).counter().count()).isPositive();
            assertThat(registry.find("stripecast.relay.ingest.segments.dropped").tag("stream", stream).counters()).isEmpty();
            assertThat(window.stream().filter(e -> e.isEnd()).count()).as("one end, not a second from the HLS playlists").isEqualTo(1);
        }
    }

    /** Each entry as kind/rendition/media sequence/part, for a failure's message. */
    private String summary() {
        return window().stream().map(e -> e.meta().getKind().name().replace("SEGMENT_KIND_", "") + "/r" + e.rendition()
                + "/" + e.meta().getMediaSequence() + "/" + e.meta().getPartIndex()).toList().toString();
    }

    private List<WindowEntry> window() {
        return new ArrayList<>(streams.find(stream).orElseThrow().window().snapshot());
    }
}
