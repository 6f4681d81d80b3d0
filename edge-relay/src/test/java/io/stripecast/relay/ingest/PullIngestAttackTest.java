package io.stripecast.relay.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.relay.RelayClient;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 16, point 3 (SSRF through pull ingest): a pulled playlist whose URIs point at other hosts, the cloud's metadata
 * service, private addresses, or redirect elsewhere makes the relay fetch none of them. Each is refused and counted,
 * and the stream goes on with its legit segments. Pull URLs that are internal themselves are refused before any
 * connection, and a name that changes its answer between polls (DNS rebinding) cannot move a poll's connections.
 */
@QuarkusTest
@QuarkusTestResource(value = PullOriginResource.class, restrictToAnnotatedClass = true)
class PullIngestAttackTest {
    @TestHTTPResource("/")
    URL base;
    @Inject
    MeterRegistry registry;

    private double refused(String stream, String reason) {
        Counter c = registry.find("stripecast.relay.pull.refused").tag("stream", stream).tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    /** The bytes of every segment the relay's playlist of the stream lists, in order. */
    private List<byte[]> served(String stream) throws Exception {
        return servedAt(stream, "index.m3u8");
    }

    private static boolean sameSegments(List<byte[]> served, List<byte[]> expected) {
        if (served.size() != expected.size()) {
            return false;
        }
        for (int i = 0; i < served.size(); i++) {
            if (!Arrays.equals(served.get(i), expected.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** seg0..seg2, cdn0, seg3, the same-origin redirect's target, seg4, seg5: the legit ones, in playlist order. */
    private static List<byte[]> legitInOrder() {
        List<byte[]> l = PullOriginResource.LEGIT;
        int n = PullOriginResource.SEGMENTS;
        return List.of(l.get(0), l.get(1), l.get(2), l.get(n), l.get(3), l.get(n + 1), l.get(4), l.get(5));
    }

    @Test
    void hostileUrisInAPulledPlaylistAreRefusedCountedAndTheStreamGoesOn() throws Exception {
        await("the relay serves every legit segment of the pulled stream, in order").atMost(Duration.ofSeconds(30))
                .until(() -> sameSegments(served("pulled"), legitInOrder()));
        assertThat(refused("pulled", UpstreamGuard.OTHER_ORIGIN)).as("localhost, 169.254.169.254, 10.0.0.1 URIs").isGreaterThanOrEqualTo(3);
        assertThat(refused("pulled", UpstreamGuard.FORBIDDEN_ADDRESS)).as("allowed names resolving to the metadata service").isGreaterThanOrEqualTo(2);
        assertThat(refused("pulled", UpstreamGuard.REDIRECT_ELSEWHERE)).isGreaterThanOrEqualTo(1);
        assertThat(refused("pulled", UpstreamGuard.TOO_MANY_REDIRECTS)).isGreaterThanOrEqualTo(1);
        assertThat(refused("pulled", UpstreamGuard.TOO_LARGE)).isGreaterThanOrEqualTo(1);
        assertThat(refused("pulled", UpstreamGuard.SCHEME)).as("file:///etc/passwd").isGreaterThanOrEqualTo(1);

        assertThat(PullOriginResource.INTERNAL_SEEN).as("requests that reached the internal service").isEmpty();
        assertThat(PullOriginResource.ORIGIN_SEEN).as("the origin's server, reached under another name")
                .noneMatch(r -> r.startsWith("localhost") || r.contains("secret"));
        assertThat(PullOriginResource.CDN_SEEN).as("the CDN server, reached through a name that also resolves to metadata")
                .noneMatch(r -> r.contains("mixed"));
        // origin.test exists only in FakeDns: these requests went to the address the relay checked, not to a lookup of its own.
        assertThat(PullOriginResource.ORIGIN_SEEN).anyMatch(r -> r.startsWith("origin.test:"));
    }

    @Test
    void refusedUrisAreNotFetchedAgainAtEveryPoll() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> refused("pulled", UpstreamGuard.TOO_MANY_REDIRECTS) >= 1);
        long loops = PullOriginResource.ORIGIN_SEEN.stream().filter(r -> r.startsWith("origin.test") && r.endsWith("/loop.ts")).count();
        long polls = PullOriginResource.ORIGIN_SEEN.stream().filter(r -> r.startsWith("origin.test") && r.endsWith("/index.m3u8")).count();
        await("ten more polls").atMost(Duration.ofSeconds(30)).until(() -> PullOriginResource.ORIGIN_SEEN.stream()
                .filter(r -> r.startsWith("origin.test") && r.endsWith("/index.m3u8")).count() >= polls + 10);
        assertThat(PullOriginResource.ORIGIN_SEEN.stream().filter(r -> r.startsWith("origin.test") && r.endsWith("/loop.ts")).count())
                .as("redirect loop requests after it was refused").isEqualTo(loops);
        assertThat(refused("pulled", UpstreamGuard.TOO_MANY_REDIRECTS)).isEqualTo(1);
    }

    @Test
    void internalPullUrlsAreRefusedBeforeAnyConnection() {
        // metadata.test resolves to 169.254.169.254; 127.0.0.2 (literal, and as internal.test) is loopback outside the
        // allowed 127.0.0.1/32, where a server listens: had the relay connected, that server would have seen it.
        await("the internal pull URLs refused").atMost(Duration.ofSeconds(30))
                .until(() -> refused("metadata", UpstreamGuard.FORBIDDEN_ADDRESS) >= 2 && refused("literal", UpstreamGuard.FORBIDDEN_ADDRESS) >= 2
                        && refused("named", UpstreamGuard.FORBIDDEN_ADDRESS) >= 2);
        assertThat(PullOriginResource.INTERNAL_SEEN).as("requests that reached the internal service").isEmpty();
    }

    @Test
    void aNameThatRebindsToTheMetadataServiceCannotMoveAPollsConnections() throws Exception {
        // flip.test answers 127.0.0.1 and 169.254.169.254 in turn, one per lookup. A poll resolves once and pins every
        // fetch to what it checked: polls alternate between fetching the playlist and all its legit segments, and being
        // refused before connecting. A lookup per fetch would have refused every other segment, for good.
        await("the legit segments served, polls refused in between").atMost(Duration.ofSeconds(30))
                .until(() -> refused("flip", UpstreamGuard.FORBIDDEN_ADDRESS) >= 5 && sameSegments(served("flip"), legitInOrder()));
        long playlistFetches = PullOriginResource.ORIGIN_SEEN.stream().filter(r -> r.startsWith("flip.test") && r.endsWith("/index.m3u8")).count();
        assertThat(playlistFetches).as("polls that reached the origin under flip.test").isPositive();
        assertThat((long) FakeDns.LOOKUPS.get("flip.test").get()).as("lookups: one per poll, not one per fetch")
                .isLessThanOrEqualTo(2 * playlistFetches + 2);
    }

    /**
     * A pull URL naming a master: each allowed variant becomes a rendition (the one at the metadata service is refused,
     * counted, left out of the ladder and never reached), each rendition serves its own folder's segments although
     * both folders name them alike, both renditions are numbered alike, and one end follows both ENDLISTs.
     */
    @Test
    void aPulledMasterIsALadderOfItsAllowedVariants() throws Exception {
        RelayClient relay = new RelayClient(base.toString());
        int first = PullOriginResource.LADDER_FIRST;
        List<byte[]> hi = new ArrayList<>();
        List<byte[]> lo = new ArrayList<>();
        for (int n = 0; n < PullOriginResource.LADDER_SEGMENTS; n++) {
            hi.add(PullOriginResource.segment("/hi/seg" + (first + n) + ".ts"));
            lo.add(PullOriginResource.segment("/lo/seg" + (first + n) + ".ts"));
        }
        await("both renditions served, ended").atMost(Duration.ofSeconds(30)).until(() -> {
            HttpResponse<String> p1 = relay.get("/live/ladderpull/index-1.m3u8");
            return p1.statusCode() == 200 && p1.body().contains("#EXT-X-ENDLIST")
                    && sameSegments(servedAt("ladderpull", "index.m3u8"), hi) && sameSegments(servedAt("ladderpull", "index-1.m3u8"), lo);
        });
        String master = relay.get("/live/ladderpull/master.m3u8").body();
        assertThat(master).contains("BANDWIDTH=800000,RESOLUTION=640x360,CODECS=\"avc1.64001e\"\nindex.m3u8")
                .contains("BANDWIDTH=300000,RESOLUTION=320x180,CODECS=\"avc1.64000c\"\nindex-1.m3u8")
                .doesNotContain("64x36").doesNotContain("index-2");
        assertThat(mediaSequence(relay.get("/live/ladderpull/index.m3u8").body()))
                .isEqualTo(mediaSequence(relay.get("/live/ladderpull/index-1.m3u8").body()));
        assertThat(refused("ladderpull", UpstreamGuard.OTHER_ORIGIN)).as("the variant at the metadata service").isGreaterThanOrEqualTo(1);
        assertThat(PullOriginResource.ORIGIN_SEEN).noneMatch(r -> r.contains("/latest/v.m3u8"));
    }

    private static String mediaSequence(String playlist) {
        return playlist.lines().filter(l -> l.startsWith("#EXT-X-MEDIA-SEQUENCE:")).findFirst().orElse("none");
    }

    /** The bytes of every segment one of the relay's media playlists of the stream lists, in order. */
    private List<byte[]> servedAt(String stream, String playlistName) throws Exception {
        RelayClient relay = new RelayClient(base.toString());
        HttpResponse<String> playlist = relay.get("/live/" + stream + "/" + playlistName);
        List<byte[]> out = new ArrayList<>();
        if (playlist.statusCode() != 200) {
            return out;
        }
        for (String line : playlist.body().lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList()) {
            HttpResponse<byte[]> seg = relay.getBytes("/live/" + stream + "/" + line);
            assertThat(seg.statusCode()).as("segment %s listed by the relay", line).isEqualTo(200);
            out.add(seg.body());
        }
        return out;
    }
}
