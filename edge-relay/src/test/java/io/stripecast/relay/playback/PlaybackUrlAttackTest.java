package io.stripecast.relay.playback;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.protocol.trust.PlaybackTokens;
import io.stripecast.relay.FakeParentResource;
import io.stripecast.relay.RawHttp;
import io.stripecast.relay.RelayClient;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
 * Issue 16, signed playback URLs: stream {@code private} plays only with {@code ?exp=..&sig=..} signed for its prefix
 * with its key. A missing, malformed, expired, too long-lived, other stream's, other key's or tampered token is a 403
 * problem on every path of the stream (playlist, segment, player page, hashes.json, beacon, tracker), counted by reason;
 * open streams go on as before. A valid token plays: the playlist carries it on in every URI, and each of those answers.
 */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
class PlaybackUrlAttackTest {
    private static final String STREAM = "private";
    private static final String KEY = "playback-signing-key-0123456789abcdef";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @TestHTTPResource("/")
    URL base;
    @Inject
    MeterRegistry registry;

    private RelayClient relay;

    @BeforeEach
    void publish() throws Exception {
        relay = new RelayClient(base.toString());
        relay.publish(STREAM, "private-key-0123456789");
        relay.publish(STREAM, "private-key-0123456789");
    }

    private double refused(String reason) {
        Counter c = registry.find("stripecast.relay.playback.refused").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }

    private static String valid() {
        return PlaybackTokens.query(KEY, STREAM, now() + 600);
    }

    private String origin() {
        String b = base.toString();
        return b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
    }

    /** Every path of the stream, with {@code query} ("" for none) as a viewer would send it: status and body. */
    private Map<String, HttpResponse<String>> everyPath(String query) throws Exception {
        String q = query.isEmpty() ? "" : "?" + query;
        Map<String, HttpResponse<String>> out = new LinkedHashMap<>();
        out.put("playlist", get("/live/" + STREAM + "/index.m3u8" + q));
        out.put("segment", get("/live/" + STREAM + "/" + newestSegment() + q));
        out.put("page", get("/live/" + STREAM + "/" + q));
        out.put("hashes", get("/live/" + STREAM + "/hashes.json" + q));
        out.put("beacon", HTTP.send(HttpRequest.newBuilder(URI.create(origin() + "/live/" + STREAM + "/stats" + q))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"http\": 1, \"p2p\": 0}")).build(),
                HttpResponse.BodyHandlers.ofString()));
        return out;
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(origin() + pathAndQuery)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A segment name the window holds now (read from the window's hashes with a valid token). */
    private String newestSegment() throws Exception {
        JsonObject hashes = new JsonObject(get("/live/" + STREAM + "/hashes.json?" + valid()).body());
        return hashes.getJsonObject("segments").fieldNames().stream().reduce((a, b) -> b).orElseThrow();
    }

    /** The tracker handshake's status, the socket closed at once. */
    private int trackerStatus(String query) throws IOException {
        try (Socket s = RawHttp.connectFrom("127.0.0.1", base.getPort())) {
            return RawHttp.status(RawHttp.exchangeHead(s, RawHttp.upgradeRequest("/tracker/" + STREAM + (query.isEmpty() ? "" : "?" + query),
                    "localhost:" + base.getPort(), null)));
        }
    }

    /** Every path refuses this query with 403 and a problem body, each counted under {@code reason}. */
    private void refusedEverywhere(String what, String query, String reason) throws Exception {
        double before = refused(reason);
        Map<String, HttpResponse<String>> answers = everyPath(query);
        for (var e : answers.entrySet()) {
            HttpResponse<String> r = e.getValue();
            assertThat(r.statusCode()).as("%s: %s", what, e.getKey()).isEqualTo(403);
            assertThat(r.headers().firstValue("Content-Type")).as("%s: %s", what, e.getKey()).contains("application/problem+json");
            JsonObject problem = new JsonObject(r.body());
            assertThat(problem.getInteger("status")).isEqualTo(403);
            assertThat(problem.getString("detail")).as("%s: %s", what, e.getKey()).isNotBlank().doesNotContain(KEY);
        }
        assertThat(trackerStatus(query)).as("%s: tracker", what).isEqualTo(403);
        assertThat(refused(reason) - before).as("%s: counted as %s", what, reason).isEqualTo(answers.size() + 1);
    }

    @Test
    void noTokenIsRefusedOnEveryPathOfTheStream() throws Exception {
        refusedEverywhere("no token", "", "missing");
        assertThat(new JsonObject(get("/live/" + STREAM + "/index.m3u8").body()).getString("detail"))
                .contains("?exp=<unix seconds>&sig=", "/live/private/|<exp>");
    }

    @Test
    void malformedTokensAreRefused() throws Exception {
        String sig = PlaybackTokens.sign(KEY, STREAM, now() + 600);
        long exp = now() + 600;
        refusedEverywhere("exp only", "exp=" + exp, "malformed");
        refusedEverywhere("sig only", "sig=" + sig, "malformed");
        refusedEverywhere("exp not a number", "exp=soon&sig=" + sig, "malformed");
        refusedEverywhere("exp too long", "exp=0000000000000" + exp + "&sig=" + sig, "malformed");
        refusedEverywhere("sig too short", "exp=" + exp + "&sig=" + sig.substring(1), "malformed");
        refusedEverywhere("sig too long", "exp=" + exp + "&sig=" + sig + "A", "malformed");
        refusedEverywhere("sig padded", "exp=" + exp + "&sig=" + sig.substring(1) + "=", "malformed");
        // Two of a parameter: a cache, a proxy and this relay could each read another one.
        refusedEverywhere("two expiries", valid() + "&exp=" + (exp + 1), "malformed");
        refusedEverywhere("two signatures", valid() + "&sig=" + sig, "malformed");
    }

    @Test
    void expiredAndTooLongLivedTokensAreRefused() throws Exception {
        refusedEverywhere("expired", PlaybackTokens.query(KEY, STREAM, now() - 5), "expired");
        // The default bound is 7 days (stripecast.playback.max-token-lifetime).
        refusedEverywhere("8 days ahead", PlaybackTokens.query(KEY, STREAM, now() + 8 * 86400), "too_far");
    }

    @Test
    void otherStreamsOtherKeysAndTamperedTokensAreRefused() throws Exception {
        long exp = now() + 600;
        String sig = PlaybackTokens.sign(KEY, STREAM, exp);
        refusedEverywhere("another stream's token", PlaybackTokens.query(KEY, "other", exp), "bad_signature");
        refusedEverywhere("another key's token", PlaybackTokens.query("another-signing-key-0123456789abcdef", STREAM, exp),
                "bad_signature");
        refusedEverywhere("expiry moved on", "exp=" + (exp + 3600) + "&sig=" + sig, "bad_signature");
        refusedEverywhere("expiry written otherwise", "exp=0" + exp + "&sig=" + sig, "bad_signature");
        char first = sig.charAt(0) == 'A' ? 'B' : 'A';
        refusedEverywhere("first character changed", "exp=" + exp + "&sig=" + first + sig.substring(1), "bad_signature");
        // The last character of 43 carries 2 unused bits: a decoder would read both spellings as the same bytes.
        char last = sig.charAt(42);
        char twin = (char) (last ^ 1);
        if (!Character.isLetterOrDigit(twin)) {
            twin = last == 'A' ? 'B' : 'A';
        }
        refusedEverywhere("last character changed", "exp=" + exp + "&sig=" + sig.substring(0, 42) + twin, "bad_signature");
        // An unsigned, made-up token on an open stream changes nothing there: open streams stay open.
        assertThat(get("/live/live/index.m3u8?exp=1&sig=x").statusCode()).isIn(200, 404);
    }

    @Test
    void aValidTokenPlaysAndThePlaylistCarriesItOnInEveryUri() throws Exception {
        String token = valid();
        double refusedBefore = registry.find("stripecast.relay.playback.refused").counters().stream().mapToDouble(Counter::count).sum();
        URI playlistUri = URI.create(origin() + "/live/" + STREAM + "/index.m3u8?" + token);
        HttpResponse<String> playlist = HTTP.send(HttpRequest.newBuilder(playlistUri).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(playlist.statusCode()).isEqualTo(200);
        List<String> uris = new ArrayList<>();
        for (String line : playlist.body().lines().toList()) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                uris.add(line);
            } else if (line.contains("URI=\"")) {
                uris.add(line.substring(line.indexOf("URI=\"") + 5, line.indexOf('"', line.indexOf("URI=\"") + 5)));
            }
        }
        assertThat(uris).as("segments listed").hasSizeGreaterThanOrEqualTo(2);
        for (String uri : uris) {
            assertThat(uri).as("a listed URI carries the viewer's token").endsWith("?" + token);
            HttpResponse<byte[]> segment = HTTP.send(HttpRequest.newBuilder(playlistUri.resolve(uri)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(segment.statusCode()).as(uri).isEqualTo(200);
            assertThat(new String(segment.body(), StandardCharsets.UTF_8)).startsWith("private-segment-");
        }
        // A blocking reload adds its directive to the signed query; the token still counts.
        HttpResponse<String> held = get("/live/" + STREAM + "/index.m3u8?" + token + "&_HLS_msn=1");
        assertThat(held.statusCode()).isEqualTo(200);

        Map<String, HttpResponse<String>> answers = everyPath(token);
        assertThat(answers.get("page").statusCode()).isEqualTo(200);
        assertThat(answers.get("page").headers().firstValue("Cache-Control")).as("a signed page is its viewer's").hasValueSatisfying(
                v -> assertThat(v).startsWith("private"));
        assertThat(answers.get("hashes").statusCode()).isEqualTo(200);
        assertThat(answers.get("segment").statusCode()).isEqualTo(200);
        assertThat(answers.get("beacon").statusCode()).isEqualTo(204);
        assertThat(trackerStatus("session=abcdefghijklmnop0123&" + token)).isEqualTo(101);
        double refusedAfter = registry.find("stripecast.relay.playback.refused").counters().stream().mapToDouble(Counter::count).sum();
        assertThat(refusedAfter).as("nothing refused").isEqualTo(refusedBefore);
    }

    @Test
    void binSignPlaybackUrlMintsAUrlTheEdgeAccepts() throws Exception {
        Path script = Path.of("..", "bin", "sign-playback-url").toAbsolutePath().normalize();
        Process p = new ProcessBuilder(script.toString(), KEY, STREAM, "300", origin() + "/").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        List<String> urls = out.lines().toList();
        assertThat(urls).hasSize(2);
        assertThat(urls.get(0)).startsWith(origin() + "/live/" + STREAM + "/index.m3u8?exp=");
        HttpResponse<String> playlist = HTTP.send(HttpRequest.newBuilder(URI.create(urls.get(0))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(playlist.statusCode()).as(playlist.body()).isEqualTo(200);
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(urls.get(1))).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .as("the player page's URL").isEqualTo(200);
        // The same token as the Java signer's for that expiry.
        String exp = urls.get(0).replaceAll(".*exp=([0-9]+)&.*", "$1");
        assertThat(urls.get(0)).endsWith("sig=" + PlaybackTokens.sign(KEY, STREAM, Long.parseLong(exp)));
        // A key too short for the edge is refused by the tool as well.
        Process shortKey = new ProcessBuilder(script.toString(), "too-short", STREAM, "300").redirectErrorStream(true).start();
        assertThat(shortKey.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(shortKey.exitValue()).isNotZero();
    }

    @Test
    void refusedViewersCostOtherStreamsNothing() throws Exception {
        for (int i = 0; i < 50; i++) {
            assertThat(get("/live/" + STREAM + "/index.m3u8?exp=" + (now() + 60) + "&sig=" + "A".repeat(43)).statusCode()).isEqualTo(403);
        }
        // Open streams play without any token, as before.
        relay.assertOtherStreamFlows();
        byte[] live = relay.publish("live", "live-key-0123456789");
        await("the open stream live serves its newest segment").atMost(Duration.ofSeconds(10)).until(() -> {
            HttpResponse<String> r = get("/live/live/index.m3u8");
            if (r.statusCode() != 200) {
                return false;
            }
            String last = r.body().lines().filter(l -> !l.startsWith("#")).reduce((a, b) -> b).orElse("");
            return java.util.Arrays.equals(relay.getBytes("/live/live/" + last).body(), live) && !last.contains("?");
        });
        // The signed stream itself still plays for a valid token.
        assertThat(get("/live/" + STREAM + "/index.m3u8?" + valid()).statusCode()).isEqualTo(200);
    }
}
