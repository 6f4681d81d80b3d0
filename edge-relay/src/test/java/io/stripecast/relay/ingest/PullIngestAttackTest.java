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
        RelayClient relay = new RelayClient(base.toString());
        HttpResponse<String> playlist = relay.get("/live/" + stream + "/index.m3u8");
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
        await("metadata.test (169.254.169.254) and 10.0.0.1 refused").atMost(Duration.ofSeconds(30))
                .until(() -> refused("metadata", UpstreamGuard.FORBIDDEN_ADDRESS) >= 2 && refused("literal", UpstreamGuard.FORBIDDEN_ADDRESS) >= 2);
        assertThat(registry.find("stripecast.relay.ingest.rejected").tag("reason", "pull_failed").counter())
                .as("no connection was tried (it would have failed: nothing listens there)")
                .satisfiesAnyOf(c -> assertThat(c).isNull(), c -> assertThat(c.count()).isZero());
    }

    @Test
    void aNameThatRebindsToTheMetadataServiceIsRefusedFromThatPollOn() throws Exception {
        // First lookup: 127.0.0.1; every later one: 169.254.169.254. The first poll resolves once and fetches the
        // playlist and every legit segment from the address it checked (a lookup per fetch would have been refused
        // from the second fetch on); every later poll is refused before connecting.
        await("the first poll's segments served and later polls refused").atMost(Duration.ofSeconds(30))
                .until(() -> FakeDns.LOOKUPS.get("flip.test") != null && FakeDns.LOOKUPS.get("flip.test").get() >= 5
                        && sameSegments(served("flip"), legitInOrder()));
        assertThat(PullOriginResource.ORIGIN_SEEN.stream().filter(r -> r.startsWith("flip.test") && r.endsWith("/index.m3u8")).count())
                .as("playlist requests that reached the origin under flip.test").isEqualTo(1);
        assertThat(refused("flip", UpstreamGuard.FORBIDDEN_ADDRESS)).isGreaterThanOrEqualTo(3);
    }
}
