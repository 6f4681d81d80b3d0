package io.stripecast.relay.playback;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.protocol.trust.PlaybackTokens;
import io.stripecast.relay.FakeParentResource;
import io.stripecast.relay.RelayClient;
import io.stripecast.relay.stream.StreamRegistry;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * LL-HLS over HTTP (issue 18) on streams "lowlat" (open) and "lowsig" (signed playback), two renditions sent as parts of
 * 200 ms, three to a segment, put in the relay's window as its ingest would (PartFeed): the master playlist, every
 * rendition's playlist, parts, whole segments joined from their parts, blocking reloads on {@code _HLS_part}, preload
 * hints held until their part arrives, and what a hostile viewer gets (max-held-parts is 2 in tests). Stream "other"
 * keeps flowing throughout.
 */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
class LowLatencyPlaybackTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final long PART = 200_000;
    private static final int PARTS = 3;
    private static final String SIGNING_KEY = "lowsig-signing-key-0123456789abcdef";
    static final String LADDER = """
            #EXTM3U
            #EXT-X-VERSION:7
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-STREAM-INF:BANDWIDTH=1200000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"
            index.m3u8
            #EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"
            index-1.m3u8
            """;

    /** One stream's feed, kept across tests: the window is the running relay's, its sequences only go on. */
    private static final class Stream {
        final PartFeed feed;
        final long[] inits;
        long nextMediaSequence = 1000;

        Stream(PartFeed feed) {
            this.feed = feed;
            long now = System.currentTimeMillis();
            this.inits = new long[]{feed.init(0, now), feed.init(1, now)};
            feed.renditions(LADDER, now);
        }

        /** The next segment of both renditions, whole, its last part at the ingest now; returns its media sequence. */
        synchronized long segment() {
            long msn = nextMediaSequence++;
            feed.segment(msn, PARTS, PART, inits, System.currentTimeMillis() - PARTS * PART / 1000);
            return msn;
        }

        /** Part {@code p} of the next segment (not begun by {@link #segment}) in {@code rendition}. */
        synchronized void part(int rendition, long msn, int p) {
            feed.part(rendition, msn, p, PART, inits[rendition], System.currentTimeMillis());
        }

        /** Ends segment {@code msn} (parts from {@code from} on added) in both renditions, so the next test starts after it. */
        synchronized void finish(long msn, int from) {
            for (int p = from; p < PARTS; p++) {
                for (int r = 0; r < 2; r++) {
                    part(r, msn, p);
                }
            }
            for (int r = 0; r < 2; r++) {
                feed.partsEnd(r, msn, PARTS, PARTS * PART, inits[r], System.currentTimeMillis());
            }
            nextMediaSequence = Math.max(nextMediaSequence, msn + 1);
        }
    }

    private static final Map<String, Stream> STREAMS = new ConcurrentHashMap<>();

    @TestHTTPResource("/")
    URL base;
    @Inject
    StreamRegistry streams;
    @Inject
    MeterRegistry registry;

    private RelayClient relay;

    @BeforeEach
    void client() {
        relay = new RelayClient(base.toString());
    }

    private Stream stream(String name) {
        return STREAMS.computeIfAbsent(name, n -> {
            var window = streams.find(n).orElseThrow().window();
            return new Stream(new PartFeed(window, window.lastSequence() + 1));
        });
    }

    private static byte[] joined(int rendition, long msn) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int p = 0; p < PARTS; p++) {
            out.writeBytes(PartFeed.partBytes(rendition, msn, p));
        }
        return out.toByteArray();
    }

    private double counter(String name, String tag, String value) {
        Counter c = registry.find(name).tag(tag, value).counter();
        return c == null ? 0 : c.count();
    }

    private double gauge(String name) {
        Gauge g = registry.find(name).gauge();
        return g == null ? -1 : g.value();
    }

    private CompletableFuture<HttpResponse<byte[]>> getAsync(String path) {
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base.toString()).resolve(path)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void everyRenditionsPlaylistPartsAndWholeSegmentsJoinedFromTheirPartsAreServed() throws Exception {
        Stream s = stream("lowlat");
        long msn = s.segment();
        HttpResponse<String> playlist = relay.get("/live/lowlat/index-1.m3u8");
        assertThat(playlist.statusCode()).isEqualTo(200);
        assertThat(playlist.headers().firstValue("Content-Type")).hasValue("application/vnd.apple.mpegurl");
        assertThat(playlist.body()).contains("#EXT-X-PART-INF:PART-TARGET=0.200000\n",
                "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.600000\n",
                "#EXT-X-PART:DURATION=0.200000,URI=\"r1-" + msn + ".0.m4s\",INDEPENDENT=YES\n",
                "#EXT-X-PART:DURATION=0.200000,URI=\"r1-" + msn + ".2.m4s\"\n#EXTINF:0.600000,\nr1-" + msn + ".m4s\n",
                "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"r1-" + (msn + 1) + ".0.m4s\"\n",
                "#EXT-X-RENDITION-REPORT:URI=\"index.m3u8\",LAST-MSN=" + msn + ",LAST-PART=2\n");
        assertThat(relay.get("/live/lowlat/index.m3u8").body()).contains("URI=\"" + msn + ".1.m4s\"", "\n" + msn + ".m4s\n");

        HttpResponse<byte[]> whole = relay.getBytes("/live/lowlat/r1-" + msn + ".m4s");
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.headers().firstValue("Content-Type")).hasValue("video/iso.segment");
        assertThat(whole.headers().firstValue("Cache-Control")).hasValue("public, max-age=31536000, immutable");
        assertThat(whole.body()).as("the whole segment is its parts joined").isEqualTo(joined(1, msn));
        assertThat(relay.getBytes("/live/lowlat/" + msn + ".m4s").body()).isEqualTo(joined(0, msn));
        HttpResponse<byte[]> part = relay.getBytes("/live/lowlat/r1-" + msn + ".1.m4s");
        assertThat(part.statusCode()).isEqualTo(200);
        assertThat(part.body()).isEqualTo(PartFeed.partBytes(1, msn, 1));
        HttpResponse<Void> head = HTTP.send(HttpRequest.newBuilder(URI.create(base + "live/lowlat/r1-" + msn + ".m4s"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(head.headers().firstValue("Content-Length")).hasValue(Integer.toString(joined(1, msn).length));
        assertThat(relay.getBytes("/live/lowlat/init-" + s.inits[1] + ".mp4").body()).isEqualTo(PartFeed.initBytes(1));

        HttpResponse<String> master = relay.get("/live/lowlat/master.m3u8");
        assertThat(master.statusCode()).isEqualTo(200);
        assertThat(master.headers().firstValue("Content-Type")).hasValue("application/vnd.apple.mpegurl");
        assertThat(master.body()).as("the ladder as the ingest published it").isEqualTo(LADDER);
        assertThat(relay.get("/live/lowlat/").body()).as("the player page plays the ladder in low-latency mode")
                .contains("\"master\":true", "\"lowLatency\":true");
    }

    @Test
    void aBlockingReloadForAPartIsHeldUntilThePartArrives() throws Exception {
        Stream s = stream("lowlat");
        long msn = s.segment();
        // Listed already: answered at once, whatever the part (past the last part of msn means part 0 of the next: held).
        assertThat(relay.get("/live/lowlat/index-1.m3u8?_HLS_msn=" + msn + "&_HLS_part=2").statusCode()).isEqualTo(200);
        CompletableFuture<HttpResponse<byte[]>> held = getAsync("/live/lowlat/index-1.m3u8?_HLS_msn=" + (msn + 1) + "&_HLS_part=0");
        await("the request is held").atMost(Duration.ofSeconds(10)).until(() -> gauge("stripecast.relay.playback.held.requests") == 1);
        assertThat(held).isNotDone();

        s.part(0, msn + 1, 0);
        s.part(1, msn + 1, 0);

        HttpResponse<byte[]> answer = held.get(10, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(new String(answer.body(), StandardCharsets.UTF_8))
                .contains("#EXT-X-PART:DURATION=0.200000,URI=\"r1-" + (msn + 1) + ".0.m4s\",INDEPENDENT=YES\n"
                        + "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"r1-" + (msn + 1) + ".1.m4s\"\n");
        await().atMost(Duration.ofSeconds(5)).until(() -> gauge("stripecast.relay.playback.held.requests") == 0);
        s.finish(msn + 1, 1);
    }

    @Test
    void aHintedPartIsHeldUntilItArrivesAndAnsweredWhole() throws Exception {
        Stream s = stream("lowlat");
        long msn = s.segment();
        double arrived = counter("stripecast.relay.playback.part.holds", "outcome", "arrived");
        CompletableFuture<HttpResponse<byte[]>> hint = getAsync("/live/lowlat/r1-" + (msn + 1) + ".0.m4s");
        await("the hint is held").atMost(Duration.ofSeconds(10)).until(() -> gauge("stripecast.relay.playback.held.parts") == 1);
        assertThat(hint).isNotDone();

        s.part(1, msn + 1, 0);

        HttpResponse<byte[]> answer = hint.get(10, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo(PartFeed.partBytes(1, msn + 1, 0));
        await().atMost(Duration.ofSeconds(5)).until(() -> gauge("stripecast.relay.playback.held.parts") == 0);
        assertThat(counter("stripecast.relay.playback.part.holds", "outcome", "arrived")).isEqualTo(arrived + 1);
        s.part(0, msn + 1, 0);
        s.finish(msn + 1, 1);
    }

    @Test
    void aHeldPartWhoseSegmentEndsWithoutItIs404AtOnce() throws Exception {
        Stream s = stream("lowlat");
        long msn = s.segment() + 1;
        for (int p = 0; p < 2; p++) {
            s.part(0, msn, p);
            s.part(1, msn, p);
        }
        CompletableFuture<HttpResponse<byte[]>> hint = getAsync("/live/lowlat/r1-" + msn + ".2.m4s");
        await("the hint is held").atMost(Duration.ofSeconds(10)).until(() -> gauge("stripecast.relay.playback.held.parts") == 1);

        // The segment turned out two parts long (the encoder cut it early).
        s.feed.partsEnd(1, msn, 2, 2 * PART, s.inits[1], System.currentTimeMillis());

        HttpResponse<byte[]> answer = hint.get(10, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(new String(answer.body(), StandardCharsets.UTF_8)).getString("detail")).contains("ended with 2 parts");
        await().atMost(Duration.ofSeconds(5)).until(() -> gauge("stripecast.relay.playback.held.parts") == 0);
        s.feed.partsEnd(0, msn, 2, 2 * PART, s.inits[0], System.currentTimeMillis());
        s.nextMediaSequence = msn + 1;
        assertThat(relay.get("/live/lowlat/index-1.m3u8").body()).contains("#EXTINF:0.400000,\nr1-" + msn + ".m4s\n");
    }

    @Test
    void aHeldPartThatNeverArrivesIs503AfterThreeTargetDurations() throws Exception {
        Stream s = stream("lowlat");
        long msn = s.segment();
        double timeouts = counter("stripecast.relay.playback.part.holds", "outcome", "timeout");
        HttpResponse<String> answer = relay.get("/live/lowlat/r1-" + (msn + 1) + ".0.m4s");
        assertThat(answer.statusCode()).isEqualTo(503);
        assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(answer.body()).contains("did not arrive within 3000 ms");
        assertThat(counter("stripecast.relay.playback.part.holds", "outcome", "timeout")).isEqualTo(timeouts + 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> gauge("stripecast.relay.playback.held.parts") == 0);
    }

    @Test
    void requestsThatCanNeverBeAnsweredAreRefusedClearlyAndCounted() throws Exception {
        Stream s = stream("lowlat");
        long msn = s.segment();
        refused("/live/lowlat/index-1.m3u8?_HLS_msn=" + (msn + 1) + "&_HLS_part=40", 400, "part_too_far", "Advance Part Limit of 15");
        refused("/live/lowlat/index-1.m3u8?_HLS_msn=" + (msn + 1) + "&_HLS_part=64", 400, "bad_part", "at most 64 parts");
        refused("/live/lowlat/r9-" + msn + ".m4s", 400, "bad_rendition", "renditions 0..7");
        refused("/live/lowlat/index-8.m3u8", 400, "bad_rendition", "renditions 0..7");
        refused("/live/lowlat/" + msn + ".64.m4s", 400, "bad_part", "at most 64 parts");
        refused("/live/lowlat/r1-" + (msn + 5) + ".0.m4s", 404, "part_too_far", "neither here nor due soon");
        HttpResponse<String> old = relay.get("/live/lowlat/r1-7.0.m4s");
        assertThat(old.statusCode()).isEqualTo(404);
        assertThat(old.body()).contains("the next part expected is r1-" + (msn + 1) + ".0.m4s");
        assertThat(relay.get("/live/lowlat/index-5.m3u8").statusCode()).as("a rendition the stream does not have").isEqualTo(404);
        relay.assertOtherStreamFlows();
    }

    private void refused(String path, int status, String reason, String detail) throws Exception {
        double before = counter("stripecast.relay.playback.rejected", "reason", reason);
        HttpResponse<String> r = relay.get(path);
        assertThat(r.statusCode()).as(path).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).as(path).hasValue("application/problem+json");
        assertThat(new JsonObject(r.body()).getString("detail")).as(path).contains(detail);
        assertThat(counter("stripecast.relay.playback.rejected", "reason", reason)).as(path).isEqualTo(before + 1);
    }

    @Test
    void aFloodOfHintRequestsIsBoundedAndViewersLeavingFreeTheirPlaces() throws Exception {
        Stream s = stream("lowlat");
        long msn = s.segment();
        String path = "/live/lowlat/r1-" + (msn + 1) + ".0.m4s";
        double busy = counter("stripecast.relay.playback.part.holds", "outcome", "busy");
        List<Socket> viewers = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                viewers.add(rawGet(path));
            }
            await("two part requests held").atMost(Duration.ofSeconds(10)).until(() -> gauge("stripecast.relay.playback.held.parts") == 2);
            HttpResponse<String> third = relay.get(path);
            assertThat(third.statusCode()).isEqualTo(503);
            assertThat(third.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(counter("stripecast.relay.playback.part.holds", "outcome", "busy")).isEqualTo(busy + 1);
            // Blocking playlist reloads have places of their own.
            assertThat(relay.get("/live/lowlat/index-1.m3u8?_HLS_msn=" + msn + "&_HLS_part=0").statusCode()).isEqualTo(200);
        } finally {
            for (Socket v : viewers) {
                v.close();
            }
        }
        await("the viewers that left hold nothing").atMost(Duration.ofSeconds(10))
                .until(() -> gauge("stripecast.relay.playback.held.parts") == 0);
        relay.assertOtherStreamFlows();
    }

    @Test
    void aSignedStreamSignsItsMasterEveryPlaylistItsPartsAndHints() throws Exception {
        Stream s = stream("lowsig");
        long msn = s.segment();
        s.part(0, msn + 1, 0);
        s.part(1, msn + 1, 0);
        for (String path : List.of("master.m3u8", "index-1.m3u8", "r1-" + msn + ".0.m4s", "r1-" + msn + ".m4s", "r1-" + (msn + 1) + ".1.m4s")) {
            HttpResponse<String> r = relay.get("/live/lowsig/" + path);
            assertThat(r.statusCode()).as("%s without a token", path).isEqualTo(403);
        }
        String token = PlaybackTokens.query(SIGNING_KEY, "lowsig", System.currentTimeMillis() / 1000 + 600);
        String master = relay.get("/live/lowsig/master.m3u8?" + token).body();
        assertThat(master).contains("\nindex.m3u8?" + token + "\n", "\nindex-1.m3u8?" + token + "\n");
        String playlist = relay.get("/live/lowsig/index-1.m3u8?" + token).body();
        List<String> uris = uris(playlist);
        assertThat(uris).contains("init-" + s.inits[1] + ".mp4?" + token, "r1-" + msn + ".0.m4s?" + token, "r1-" + msn + ".m4s?" + token,
                "r1-" + (msn + 1) + ".0.m4s?" + token, "r1-" + (msn + 1) + ".1.m4s?" + token, "index.m3u8?" + token);
        assertThat(uris).allSatisfy(u -> assertThat(u).endsWith("?" + token));
        for (String uri : uris) {
            if (uri.startsWith("r1-" + (msn + 1) + ".1.m4s") || uri.endsWith(".m3u8?" + token)) {
                continue;
            }
            assertThat(relay.getBytes("/live/lowsig/" + uri).statusCode()).as(uri).isEqualTo(200);
        }
        CompletableFuture<HttpResponse<byte[]>> hint = getAsync("/live/lowsig/r1-" + (msn + 1) + ".1.m4s?" + token);
        await("the signed hint is held").atMost(Duration.ofSeconds(10)).until(() -> gauge("stripecast.relay.playback.held.parts") == 1);
        s.part(1, msn + 1, 1);
        assertThat(hint.get(10, TimeUnit.SECONDS).body()).isEqualTo(PartFeed.partBytes(1, msn + 1, 1));
        s.part(0, msn + 1, 1);
        s.finish(msn + 1, 2);
    }

    /** Every URI a playlist lists: URI lines and URI="..." attributes. */
    private static List<String> uris(String playlist) {
        List<String> out = new ArrayList<>();
        for (String line : playlist.lines().toList()) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                out.add(line);
            } else if (line.contains("URI=\"")) {
                int open = line.indexOf("URI=\"") + 5;
                out.add(line.substring(open, line.indexOf('"', open)));
            }
        }
        return out;
    }

    @Test
    void aStreamWithoutALadderGetsAMasterOfOneVariant() throws Exception {
        relay.assertOtherStreamFlows();
        HttpResponse<String> master = relay.get("/live/other/master.m3u8");
        assertThat(master.statusCode()).isEqualTo(200);
        assertThat(master.body()).matches("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=[1-9][0-9]*\nindex.m3u8\n");
        assertThat(relay.get("/live/other/").body()).contains("\"master\":false", "\"lowLatency\":false");
        assertThat(relay.get("/live/nosuchstream/master.m3u8").statusCode()).isEqualTo(404);
    }

    private Socket rawGet(String path) throws Exception {
        Socket s = new Socket(base.getHost(), base.getPort());
        OutputStream out = s.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return s;
    }
}
