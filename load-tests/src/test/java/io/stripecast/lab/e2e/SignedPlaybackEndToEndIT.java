package io.stripecast.lab.e2e;

import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.JavaService;
import io.stripecast.protocol.trust.PlaybackTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 16, signed playback URLs end to end: the playback signing key is set on the controller only; it reaches the
 * relays over the (mutual TLS) control plane, and the edge r1, fed through the forest, refuses an unsigned viewer
 * (403) while a real ffmpeg given {@code index.m3u8?exp=..&sig=..} plays the stream to its end: every segment URI it
 * follows carries the token the edge put in the playlist, so none is refused.
 */
class SignedPlaybackEndToEndIT {
    private static final Path WORK = Path.of("target", "e2e");
    private static final String KEY = "signed-playback-publisher-key-0123";
    private static final String SIGNING_KEY = "e2e-playback-signing-key-0123456789abcdef";

    private ControllerCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static int status(String url) throws Exception {
        return JavaService.HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void ffmpegPlaysASignedUrlFromAnEdgeToTheEndAndUnsignedViewersAreRefused() throws Exception {
        Path dir = WORK.resolve("signed-playback");
        Path source = Ffmpeg.source(WORK.resolve("media"));
        cluster = ControllerCluster.start(dir, 2, Map.of(
                "stripecast.streams.live.k", "2", "stripecast.streams.live.m", "1", "stripecast.streams.live.window", "120s",
                "stripecast.streams.live.key", KEY, "stripecast.streams.live.ingest-relay", "r0",
                "stripecast.streams.live.playback-signing-key", SIGNING_KEY), 1000);
        String edge = cluster.relay("r1").base();
        String token = PlaybackTokens.query(SIGNING_KEY, "live", System.currentTimeMillis() / 1000 + 600);
        String signed = edge + "/live/live/index.m3u8?" + token;

        Process push = Ffmpeg.push(source, 8, cluster.relay("r0").base() + "/ingest/live/index.m3u8", false, false, KEY,
                dir.resolve("ffmpeg-out"), dir.resolve("push.log"));
        await("the edge lists 2 segments for a signed viewer").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> {
                    HttpResponse<String> r = JavaService.HTTP.send(HttpRequest.newBuilder(URI.create(signed)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    return r.statusCode() == 200 && r.body().lines().filter(l -> !l.startsWith("#")).count() >= 2;
                });
        Process player = Ffmpeg.follow(signed, dir.resolve("follow-signed.log"));

        // Meanwhile, without a token (or with a forged one) the edge and the ingest refuse, playlist and segment alike.
        String playlist = JavaService.HTTP.send(HttpRequest.newBuilder(URI.create(signed)).build(), HttpResponse.BodyHandlers.ofString()).body();
        String firstUri = playlist.lines().filter(l -> !l.startsWith("#")).findFirst().orElseThrow();
        assertThat(firstUri).endsWith("?" + token);
        String bare = firstUri.substring(0, firstUri.indexOf('?'));
        for (String base : List.of(edge, cluster.relay("r0").base())) {
            assertThat(status(base + "/live/live/index.m3u8")).as("%s: playlist without a token", base).isEqualTo(403);
            assertThat(status(base + "/live/live/" + bare)).as("%s: segment without a token", base).isEqualTo(403);
            assertThat(status(base + "/live/live/index.m3u8?" + PlaybackTokens.query("forged-signing-key-0123456789abcdefgh", "live",
                    System.currentTimeMillis() / 1000 + 600))).as("%s: another key's token", base).isEqualTo(403);
        }
        Path refusedLog = dir.resolve("play-unsigned.log");
        int unsigned = Ffmpeg.run(List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-i", edge + "/live/live/index.m3u8",
                "-t", "1", "-c", "copy", "-f", "null", "-"), refusedLog, 60);
        assertThat(unsigned).as("ffmpeg without a token: %s", Files.readString(refusedLog)).isNotZero();
        assertThat(Files.readString(refusedLog)).contains("403");

        assertThat(push.waitFor(60, TimeUnit.SECONDS)).as("ffmpeg push finished").isTrue();
        assertThat(push.exitValue()).as("ffmpeg push exit code").isZero();
        assertThat(player.waitFor(60, TimeUnit.SECONDS)).as("the signed player reached ENDLIST").isTrue();
        String errors = Files.readString(dir.resolve("follow-signed.log"));
        assertThat(player.exitValue()).as("ffmpeg playing the signed URL: %s", errors).isZero();
        assertThat(errors).as("ffmpeg playing the signed URL").doesNotContain("403").isBlank();
        assertThat(cluster.relay("r1").metric("stripecast_relay_playback_refused_total")).as("refusals counted at the edge")
                .isGreaterThanOrEqualTo(3);
    }
}
