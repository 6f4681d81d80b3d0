package io.stripecast.relay.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.relay.FakeParentResource;
import io.stripecast.relay.RawHttp;
import io.stripecast.relay.RelayClient;
import io.stripecast.relay.ingest.cmaf.FfmpegDash;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.window.WindowEntry;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 18 point 4, on stream "cmafbad": every way a DASH upload can go wrong gets a clear answer or a counted drop,
 * never a published lie: what was published of a cut segment stays (its parts are whole fragments) and the segment gets
 * no PARTS_END; and stream "other" keeps flowing. The bodies are real ffmpeg CMAF, cut or bent on purpose.
 */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
class DashIngestBadInputTest {
    private static final String KEY = "cmafbad-key-0123456789";
    /** Encoder segment numbers, increasing across tests so that none looks like an encoder restart. */
    private static final AtomicLong NUMBER = new AtomicLong(100);

    static byte[] init;
    static byte[] segment;
    static List<Integer> fragmentEnds;
    static byte[] audioInit;
    static byte[] audioSegment;

    @TestHTTPResource("/")
    URL base;
    @Inject
    StreamRegistry streams;
    @Inject
    IngestService ingest;
    @Inject
    MeterRegistry registry;

    private RelayClient relay;

    @BeforeAll
    static void encode() throws Exception {
        Path video = FfmpegDash.encode(Files.createTempDirectory("cmafbad-video"), 3);
        init = Files.readAllBytes(video.resolve("init-stream0.m4s"));
        segment = Files.readAllBytes(video.resolve("chunk-stream0-00001.m4s"));
        fragmentEnds = FfmpegDash.fragmentEnds(segment);
        Path audio = FfmpegDash.encodeAudio(Files.createTempDirectory("cmafbad-audio"), 3);
        audioInit = Files.readAllBytes(audio.resolve("init-stream0.m4s"));
        audioSegment = Files.readAllBytes(audio.resolve("chunk-stream0-00001.m4s"));
    }

    @BeforeEach
    void setUp() throws Exception {
        relay = new RelayClient(base.toString());
        assertThat(relay.put("/ingest/cmafbad/init-stream0.m4s", KEY, init).statusCode()).isEqualTo(201);
        await("rendition 0's init is published").atMost(Duration.ofSeconds(10))
                .until(() -> window().stream().anyMatch(e -> e.rendition() == 0 && !e.carriesMedia() && e.meta().getKind()
                        == io.stripecast.protocol.v1.SegmentKind.SEGMENT_KIND_FMP4_INIT));
        // Nothing of an earlier test is still open: the bound on open uploads is tested from zero.
        await("earlier uploads closed").atMost(Duration.ofSeconds(10)).until(() -> dash().openUploads() == 0);
    }

    @Test
    void aSegmentSentWholeIsPublishedWithItsPartsEnd() throws Exception {
        long n = NUMBER.incrementAndGet();
        try (ChunkedPut put = open(n)) {
            sendFragments(put, 0, fragmentEnds.size());
            put.end();
            assertThat(put.status(10_000)).isEqualTo(201);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> partsEnd(n) != null);
        assertThat(parts(n)).hasSize(fragmentEnds.size());
        assertThat(partsEnd(n).meta().getPartIndex()).isEqualTo(fragmentEnds.size());
    }

    @Test
    void anUploadCutMidwayKeepsItsWholePartsAndGetsNoPartsEnd() throws Exception {
        long n = NUMBER.incrementAndGet();
        double before = dropped("upload_cut");
        try (ChunkedPut put = open(n)) {
            sendFragments(put, 0, 3);
            // Half of the fourth fragment, then the connection goes.
            put.chunk(segment, fragmentEnds.get(2), (fragmentEnds.get(2) + fragmentEnds.get(3)) / 2);
            await("three whole parts published").atMost(Duration.ofSeconds(10)).until(() -> parts(n).size() == 3);
        }
        await("the cut is counted").atMost(Duration.ofSeconds(10)).until(() -> dropped("upload_cut") > before);
        assertThat(parts(n)).as("the half fragment is never published").hasSize(3);
        assertThat(partsEnd(n)).as("a cut segment gets no PARTS_END").isNull();
        relay.assertOtherStreamFlows();
    }

    @Test
    void aBoxRunningPastTheEndOfTheBodyIsRefusedAndTheSegmentLeftIncomplete() throws Exception {
        long n = NUMBER.incrementAndGet();
        try (ChunkedPut put = open(n)) {
            sendFragments(put, 0, 2);
            // The third fragment's moof and the first bytes of its mdat, whose size says more follows; then the end.
            put.chunk(segment, fragmentEnds.get(1), fragmentEnds.get(1) + 200);
            put.end();
            assertThat(put.status(10_000)).isEqualTo(400);
        }
        assertThat(rejected("truncated")).isPositive();
        // The answer may come before the worker has published the second part: it is published all the same.
        await("the two whole parts published").atMost(Duration.ofSeconds(10)).until(() -> parts(n).size() == 2);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> partsEnd(n) == null && parts(n).size() == 2);
        relay.assertOtherStreamFlows();
    }

    @Test
    void aBoxSmallerThanItsHeaderIs400() throws Exception {
        long n = NUMBER.incrementAndGet();
        byte[] lie = Arrays.copyOf(segment, 64);
        ByteBuffer.wrap(lie).putInt(0, 4); // styp says it is 4 bytes long
        try (ChunkedPut put = open(n)) {
            put.chunk(lie, 0, lie.length);
            assertThat(put.status(10_000)).isEqualTo(400);
        }
        assertThat(rejected("box_size")).isPositive();
        assertThat(parts(n)).isEmpty();
        relay.assertOtherStreamFlows();
    }

    @Test
    void aBoxClaimingMoreThanASegmentMayHaveIs413BeforeItsBodyIsRead() throws Exception {
        long n = NUMBER.incrementAndGet();
        byte[] head = new byte[16];
        ByteBuffer.wrap(head).putInt(1).put("moof".getBytes(StandardCharsets.US_ASCII)).putLong(1L << 40);
        try (ChunkedPut put = open(n)) {
            put.chunk(head, 0, head.length);
            assertThat(put.status(10_000)).isEqualTo(413);
        }
        assertThat(rejected("too_large")).isPositive();
        relay.assertOtherStreamFlows();
    }

    @Test
    void aPartLargerThanThePartBoundIs413() throws Exception {
        long n = NUMBER.incrementAndGet();
        // The first fragment's styp and moof as ffmpeg wrote them, then an mdat claiming 300 KB (max-part-bytes is 256 KiB).
        int moofEnd = fragmentEnds.get(0) - ByteBuffer.wrap(segment).getInt(mdatStart(0));
        byte[] head = Arrays.copyOf(segment, moofEnd + 8);
        ByteBuffer.wrap(head).putInt(moofEnd, 300_000);
        try (ChunkedPut put = open(n)) {
            put.chunk(head, 0, head.length);
            assertThat(put.status(10_000)).isEqualTo(413);
        }
        assertThat(rejected("part_too_large")).isPositive();
        assertThat(parts(n)).isEmpty();
        relay.assertOtherStreamFlows();
    }

    @Test
    void aFragmentThatLiesAboutItsSamplesIsRefusedAndNothingOfItPublished() throws Exception {
        long n = NUMBER.incrementAndGet();
        byte[] bent = segment.clone();
        // The second fragment's trun claims a million samples (size, type, version and flags, then the count).
        int trun = indexOf(bent, "trun".getBytes(StandardCharsets.US_ASCII), fragmentEnds.get(0));
        ByteBuffer.wrap(bent).putInt(trun + 12, 1_000_000);
        try (ChunkedPut put = open(n)) {
            put.chunk(bent, 0, fragmentEnds.get(0));
            await("part 0 published").atMost(Duration.ofSeconds(10)).until(() -> parts(n).size() == 1);
            put.chunk(bent, fragmentEnds.get(0), fragmentEnds.get(1));
            assertThat(put.status(10_000)).isEqualTo(400);
        }
        assertThat(rejected("bad_fragment")).isPositive();
        assertThat(parts(n)).hasSize(1);
        assertThat(partsEnd(n)).isNull();
        relay.assertOtherStreamFlows();
    }

    @Test
    void anUploadThatNeverEndsIsCutAtItsDeadline() throws Exception {
        long n = NUMBER.incrementAndGet();
        double before = rejected("upload_deadline");
        long started = System.nanoTime();
        try (ChunkedPut put = open(n)) {
            sendFragments(put, 0, 1);
            // upload-deadline is 6 s in tests: the relay answers 408 and closes, whatever the client still sends.
            assertThat(put.status(15_000)).isEqualTo(408);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofSeconds(5), Duration.ofSeconds(14));
        assertThat(rejected("upload_deadline") - before).isEqualTo(1);
        assertThat(parts(n)).hasSize(1);
        assertThat(partsEnd(n)).isNull();
        relay.assertOtherStreamFlows();
    }

    @Test
    void moreOpenUploadsThanTheBoundAre429() throws Exception {
        List<ChunkedPut> open = new ArrayList<>();
        try {
            // max-open-uploads is 6 in tests; each one is seen open (its first part published) before the next.
            for (int i = 0; i < 6; i++) {
                long n = NUMBER.incrementAndGet();
                ChunkedPut put = open(n);
                open.add(put);
                sendFragments(put, 0, 1);
                await().atMost(Duration.ofSeconds(10)).until(() -> parts(n).size() == 1);
            }
            try (ChunkedPut seventh = open(NUMBER.incrementAndGet())) {
                assertThat(seventh.status(10_000)).isEqualTo(429);
            }
            assertThat(rejected("too_many_uploads")).isPositive();
            relay.assertOtherStreamFlows();
        } finally {
            for (ChunkedPut p : open) {
                p.close();
            }
        }
        // Closed: the slots are free again.
        await().atMost(Duration.ofSeconds(10)).until(() -> dash().openUploads() == 0);
        aSegmentSentWholeIsPublishedWithItsPartsEnd();
    }

    @Test
    void aRenditionPastTheBoundIs400() throws Exception {
        try (ChunkedPut put = new ChunkedPut(base.getPort(), "127.0.0.1", "/ingest/cmafbad/chunk-stream8-00001.m4s", KEY)) {
            assertThat(put.status(10_000)).isEqualTo(400);
        }
        assertThat(relay.put("/ingest/cmafbad/init-stream9.m4s", KEY, init).statusCode()).isEqualTo(400);
        assertThat(rejected("too_many_renditions")).isGreaterThanOrEqualTo(2);
        assertThat(window().stream().filter(e -> e.rendition() >= 8)).isEmpty();
        relay.assertOtherStreamFlows();
    }

    @Test
    void audioIsRefusedWithACountNotCarried() throws Exception {
        double before = dropped("not_video");
        assertThat(relay.put("/ingest/cmafbad/init-stream2.m4s", KEY, audioInit).statusCode()).isEqualTo(201);
        try (ChunkedPut put = new ChunkedPut(base.getPort(), "127.0.0.1", "/ingest/cmafbad/chunk-stream2-00001.m4s", KEY)) {
            put.chunk(audioSegment, 0, audioSegment.length);
            put.end();
            assertThat(put.status(10_000)).isEqualTo(422);
        }
        assertThat(dropped("not_video") - before).isEqualTo(1);
        assertThat(window().stream().filter(e -> e.rendition() == 2)).as("nothing of the audio stream is published").isEmpty();
        relay.assertOtherStreamFlows();
    }

    @Test
    void aManifestWithADoctypeIs400AndChangesNothing() throws Exception {
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE MPD [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\"><Period><AdaptationSet contentType=\"video\">"
                + "<Representation id=\"0\" codecs=\"&x;\" bandwidth=\"1\"/></AdaptationSet></Period></MPD>";
        HttpResponse<String> r = relay.put("/ingest/cmafbad/manifest.mpd", KEY, xxe.getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).doesNotContain("root:");
        assertThat(window().stream().filter(e -> e.isRenditions() || e.isEnd())).as("no ladder, no end from it").isEmpty();
        relay.assertOtherStreamFlows();
    }

    @Test
    void aRequestWithoutCredentialsIsChallengedWithoutCountingAgainstTheAddress() throws Exception {
        int port = base.getPort();
        // ffmpeg's first try with user:key@ in its URL: no credentials, Expect: 100-continue. Many of them, as a long
        // stream makes, must never earn the address a wait.
        for (int i = 0; i < 10; i++) {
            try (Socket s = RawHttp.connectFrom("127.0.0.9", port)) {
                String head = RawHttp.exchangeHead(s, "PUT /ingest/cmafbad/init-stream0.m4s HTTP/1.1\r\nHost: relay\r\n"
                        + "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n");
                assertThat(RawHttp.status(head)).as("try %d", i).isEqualTo(401);
                assertThat(head).contains("WWW-Authenticate: Basic realm=\"stripecast-ingest\"");
            }
        }
        // Then the same with Basic credentials, the key as the password: 100 Continue, then 201.
        String basic = java.util.Base64.getEncoder().encodeToString(("stripecast:" + KEY).getBytes(StandardCharsets.UTF_8));
        try (Socket s = RawHttp.connectFrom("127.0.0.9", port)) {
            String head = RawHttp.exchangeHead(s, "PUT /ingest/cmafbad/init-stream0.m4s HTTP/1.1\r\nHost: relay\r\n"
                    + "Authorization: Basic " + basic + "\r\nContent-Length: " + init.length + "\r\nExpect: 100-continue\r\n"
                    + "Connection: close\r\n\r\n");
            assertThat(RawHttp.status(head)).isEqualTo(100);
            s.getOutputStream().write(init);
            s.getOutputStream().flush();
            assertThat(RawHttp.status(RawHttp.exchangeHead(s, ""))).isEqualTo(201);
        }
        assertThat(rejected("no_key")).isGreaterThanOrEqualTo(10);
    }

    private ChunkedPut open(long number) throws Exception {
        return new ChunkedPut(base.getPort(), "127.0.0.1", "/ingest/cmafbad/chunk-stream0-%05d.m4s".formatted(number), KEY);
    }

    /** Sends fragments [from, to) of the real segment, one HTTP chunk each, as ffmpeg does. */
    private void sendFragments(ChunkedPut put, int from, int to) {
        for (int f = from; f < to; f++) {
            assertThat(put.chunk(segment, f == 0 ? 0 : fragmentEnds.get(f - 1), fragmentEnds.get(f))).isTrue();
        }
    }

    /** Where fragment f's mdat starts. */
    private static int mdatStart(int f) {
        int at = f == 0 ? 0 : fragmentEnds.get(f - 1);
        while (true) {
            int size = ByteBuffer.wrap(segment).getInt(at);
            if (new String(segment, at + 4, 4, StandardCharsets.US_ASCII).equals("mdat")) {
                return at;
            }
            at += size;
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        for (int i = from; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i - 4;
            }
        }
        throw new AssertionError("not found");
    }

    private List<WindowEntry> parts(long number) {
        return window().stream().filter(e -> e.isPart() && e.rendition() == 0 && e.meta().getUpstreamSequence() == number).toList();
    }

    /** The PARTS_END of the segment whose parts carry this encoder number, or null. */
    private WindowEntry partsEnd(long number) {
        List<WindowEntry> parts = parts(number);
        if (parts.isEmpty()) {
            return null;
        }
        long msn = parts.get(0).meta().getMediaSequence();
        return window().stream().filter(e -> e.isPartsEnd() && e.rendition() == 0 && e.meta().getMediaSequence() == msn)
                .findFirst().orElse(null);
    }

    private List<WindowEntry> window() {
        return runtime().window().snapshot();
    }

    private StreamRuntime runtime() {
        return streams.find("cmafbad").orElseThrow();
    }

    private DashIngest dash() {
        return ingest.dash(runtime());
    }

    private double rejected(String reason) {
        Counter c = registry.find("stripecast.relay.ingest.rejected").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    private double dropped(String reason) {
        Counter c = registry.find("stripecast.relay.ingest.segments.dropped").tag("stream", "cmafbad").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }
}
