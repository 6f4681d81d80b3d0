package io.stripecast.relay.playback;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.relay.FakeControllerResource;
import io.stripecast.relay.push.DataPlane;
import io.stripecast.protocol.v1.Demand;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 16, point 3: viewers asking for playlists of streams that do not exist cannot make the relay flood its
 * controller. A Demand goes only for a stream the controller announced as on-demand, one at a time per stream, and
 * all of them through a token bucket; every other name is a 404 at once, and no map grows with the names viewers make up.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeControllerResource.class, restrictToAnnotatedClass = true)
class DemandFloodAttackTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @TestHTTPResource("/")
    URL base;
    @Inject
    DataPlane dataPlane;
    @Inject
    OnDemand onDemand;
    @Inject
    MeterRegistry registry;

    @BeforeEach
    void announced() {
        await("the fake controller's announcement").atMost(Duration.ofSeconds(10))
                .until(() -> dataPlane.controller().map(c -> c.announcedOnDemand("vod0")).orElse(false));
    }

    private CompletableFuture<HttpResponse<Void>> playlist(String stream) {
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base + "live/" + stream + "/index.m3u8"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
    }

    private double demands(String outcome) {
        var c = registry.find("stripecast.relay.demands").tag("outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    private long demandsFor(String stream) {
        return FakeControllerResource.DEMANDS.stream().map(Demand::getStream).filter(stream::equals).count();
    }

    @Test
    void unknownNamesAre404AtOnceAndNeverReachTheController() {
        Random random = new Random(16);
        int before = FakeControllerResource.DEMANDS.size();
        double unknownBefore = demands("unknown_stream");
        long started = System.nanoTime();
        for (int batch = 0; batch < 10; batch++) {
            List<CompletableFuture<HttpResponse<Void>>> answers = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                answers.add(playlist("x" + Long.toHexString(random.nextLong())));
            }
            for (var a : answers) {
                assertThat(a.join().statusCode()).isEqualTo(404);
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(took).as("2,000 unknown names are answered without waiting for any stream").isLessThan(Duration.ofSeconds(30));
        assertThat(FakeControllerResource.DEMANDS.size()).as("no Demand for a name the controller never announced").isEqualTo(before);
        assertThat(demands("unknown_stream") - unknownBefore).isEqualTo(2000);
        assertThat(onDemand.trackedViews()).as("views remembered").isLessThanOrEqualTo(FakeControllerResource.ANNOUNCED.size());
        assertThat(onDemand.outstandingDemands()).isLessThanOrEqualTo(FakeControllerResource.ANNOUNCED.size());
        assertThat(dataPlane.controller().orElseThrow().hasAssignments()).isTrue();
    }

    @Test
    void manyViewersOfOneAnnouncedStreamMakeOneDemand() {
        String stream = "vod49";
        long before = demandsFor(stream);
        List<CompletableFuture<HttpResponse<Void>>> answers = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            answers.add(playlist(stream));
        }
        for (var a : answers) {
            // The fake controller never assigns it: every viewer gets 404 after the wait (2 s in this test).
            assertThat(a.join().statusCode()).isEqualTo(404);
        }
        assertThat(demandsFor(stream) - before).as("one outstanding Demand per stream").isEqualTo(1);
        assertThat(demands("coalesced")).isGreaterThanOrEqualTo(99);
    }

    @Test
    void demandsForManyAnnouncedStreamsAreRateBounded() {
        int before = FakeControllerResource.DEMANDS.size();
        long started = System.nanoTime();
        List<CompletableFuture<HttpResponse<Void>>> answers = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            answers.add(playlist("vod" + i));
        }
        answers.forEach(CompletableFuture::join);
        double seconds = (System.nanoTime() - started) / 1e9;
        int sent = FakeControllerResource.DEMANDS.size() - before;
        // The bucket: a burst of 10, then 5 a second.
        assertThat(sent).as("Demands sent in %.1f s", seconds).isLessThanOrEqualTo((int) Math.ceil(10 + 5 * seconds));
        assertThat(sent).as("some got through").isGreaterThanOrEqualTo(5);
        assertThat(demands("throttled")).isPositive();
    }
}
