package io.stripecast.relay.mesh;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.relay.FakeParentResource;
import io.stripecast.relay.RelayClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The tracker speaks WebTorrent announce as p2p-media-loader does, and bad input closes only the bad socket. */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
class TrackerProtocolTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TestHTTPResource("/")
    URL base;
    /** Metrics and health are on the management port. */
    @TestHTTPResource(value = "/", management = true)
    URL management;

    /** A tracker client: what it received and how its socket ended. */
    final class Peer implements WebSocket.Listener {
        final List<JsonObject> got = new CopyOnWriteArrayList<>();
        final CompletableFuture<Integer> closedWith = new CompletableFuture<>();
        final StringBuilder partial = new StringBuilder();
        final WebSocket ws;

        Peer(String stream) throws Exception {
            this(stream, "");
        }

        Peer(String stream, String query) throws Exception {
            ws = HTTP.newWebSocketBuilder().buildAsync(URI.create("ws://" + base.getHost() + ":" + base.getPort() + "/tracker/" + stream + query), this)
                    .get(10, TimeUnit.SECONDS);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                got.add(new JsonObject(partial.toString()));
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closedWith.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closedWith.complete(-1);
        }

        void send(JsonObject m) {
            ws.sendText(m.encode(), true).join();
        }

        int awaitClose() throws Exception {
            return closedWith.get(10, TimeUnit.SECONDS);
        }
    }

    private static JsonObject announce(String peerId, String infoHash, int offers) {
        JsonArray list = new JsonArray();
        for (int i = 0; i < offers; i++) {
            list.add(new JsonObject().put("offer", new JsonObject().put("type", "offer").put("sdp", "v=0 fake sdp " + i))
                    .put("offer_id", "offer-" + peerId + "-" + i + "\u00ff\u0001"));
        }
        return new JsonObject().put("action", "announce").put("info_hash", infoHash).put("peer_id", peerId).put("numwant", offers)
                .put("uploaded", 0).put("downloaded", 0).put("event", "started").put("offers", list);
    }

    @Test
    void offersReachAnotherPeerOfTheSwarmAndAnswersComeBackByteExact() throws Exception {
        Peer a = new Peer("other");
        Peer b = new Peer("other");
        a.send(announce("peer-aaaaaaaaaaaaaaa", "swarm-1", 0));
        await().atMost(Duration.ofSeconds(5)).until(() -> !a.got.isEmpty());
        assertThat(a.got.get(0).getInteger("interval")).isPositive();
        b.send(announce("peer-bbbbbbbbbbbbbbb", "swarm-1", 1));
        await().atMost(Duration.ofSeconds(5)).until(() -> a.got.stream().anyMatch(m -> m.containsKey("offer")));
        JsonObject offer = a.got.stream().filter(m -> m.containsKey("offer")).findFirst().orElseThrow();
        assertThat(offer.getString("peer_id")).isEqualTo("peer-bbbbbbbbbbbbbbb");
        assertThat(offer.getString("offer_id")).isEqualTo("offer-peer-bbbbbbbbbbbbbbb-0\u00ff\u0001");
        a.send(new JsonObject().put("action", "announce").put("info_hash", "swarm-1").put("peer_id", "peer-aaaaaaaaaaaaaaa")
                .put("to_peer_id", "peer-bbbbbbbbbbbbbbb").put("offer_id", offer.getString("offer_id"))
                .put("answer", new JsonObject().put("type", "answer").put("sdp", "v=0 answer")));
        await().atMost(Duration.ofSeconds(5)).until(() -> b.got.stream().anyMatch(m -> m.containsKey("answer")));
        JsonObject answer = b.got.stream().filter(m -> m.containsKey("answer")).findFirst().orElseThrow();
        assertThat(answer.getString("offer_id")).isEqualTo("offer-peer-bbbbbbbbbbbbbbb-0\u00ff\u0001");
        assertThat(answer.getString("peer_id")).isEqualTo("peer-aaaaaaaaaaaaaaa");
        a.ws.abort();
        b.ws.abort();
    }

    @Test
    void offersNeverCrossSwarms() throws Exception {
        Peer a = new Peer("other");
        Peer b = new Peer("other");
        a.send(announce("peer-x-1", "swarm-x", 0));
        b.send(announce("peer-y-1", "swarm-y", 3));
        await().atMost(Duration.ofSeconds(5)).until(() -> b.got.size() >= 1);
        assertThat(a.got).noneMatch(m -> m.containsKey("offer"));
        a.ws.abort();
        b.ws.abort();
    }

    @Test
    void malformedJsonClosesWith1007AndOtherSwarmsAreFine() throws Exception {
        Peer good = new Peer("other");
        good.send(announce("peer-good-1", "swarm-ok", 0));
        Peer bad = new Peer("other");
        bad.ws.sendText("{not json", true).join();
        assertThat(bad.awaitClose()).isEqualTo(1007);
        Peer alsoBad = new Peer("other");
        alsoBad.send(new JsonObject().put("action", "scrape"));
        assertThat(alsoBad.awaitClose()).isEqualTo(1007);
        good.send(announce("peer-good-1", "swarm-ok", 0));
        await().atMost(Duration.ofSeconds(5)).until(() -> good.got.size() >= 2);
        good.ws.abort();
    }

    @Test
    void hugeMessageClosesWith1009() throws Exception {
        Peer p = new Peer("other");
        p.ws.sendText("x".repeat(100_000), true).join();
        assertThat(p.awaitClose()).isEqualTo(1009);
    }

    @Test
    void offerFloodClosesWith1008() throws Exception {
        Peer p = new Peer("other");
        for (int i = 0; i < 40 && !p.closedWith.isDone(); i++) {
            try {
                p.send(announce("peer-flood-1", "swarm-f", 1));
            } catch (java.util.concurrent.CompletionException closedMeanwhile) {
                // The relay closed the socket between this send and the client seeing the close: the flood was stopped.
                break;
            }
        }
        assertThat(p.awaitClose()).isEqualTo(1008);
    }

    @Test
    void peerIdReusedFromAnotherSocketClosesTheNewOneWith4409() throws Exception {
        Peer first = new Peer("other");
        first.send(announce("peer-dup-000000001", "swarm-d", 0));
        await().atMost(Duration.ofSeconds(5)).until(() -> !first.got.isEmpty());
        Peer second = new Peer("other");
        second.send(announce("peer-dup-000000001", "swarm-d", 0));
        assertThat(second.awaitClose()).isEqualTo(4409);
        first.send(announce("peer-dup-000000001", "swarm-d", 0));
        await().atMost(Duration.ofSeconds(5)).until(() -> first.got.size() >= 2);
        first.ws.abort();
    }

    @Test
    void aFullSwarmSaysSoWithoutClosing() throws Exception {
        Peer[] peers = new Peer[4];
        for (int i = 0; i < 4; i++) {
            peers[i] = new Peer("other");
            peers[i].send(announce("peer-full-" + i, "swarm-full", 0));
            // One at a time: sent together, which of them arrives fourth (and finds the swarm full) is up to the network.
            Peer joined = peers[i];
            await().atMost(Duration.ofSeconds(5)).until(() -> joined.got.size() >= 1);
        }
        for (int i = 0; i < 3; i++) {
            assertThat(peers[i].got.get(0).getString("failure reason")).as("peer %d joined", i).isNull();
        }
        assertThat(peers[3].got.get(0).getString("failure reason")).contains("full");
        for (Peer p : peers) {
            p.ws.abort();
        }
    }

    @Test
    void streamsWithoutMeshHaveNoTracker() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(base.toURI().resolve("/tracker/live")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(HTTP.send(HttpRequest.newBuilder(base.toURI().resolve("/tracker/nosuch")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
    }

    @Test
    void statsBeaconIsBoundedValidatedAndCounted() throws Exception {
        URI stats = base.toURI().resolve("/live/other/stats");
        assertThat(post(stats, "{\"http\": 1000, \"p2p\": 3000}")).isEqualTo(204);
        assertThat(post(stats, "{\"http\": -1, \"p2p\": 3}")).isEqualTo(400);
        assertThat(post(stats, "{\"http\": \"lots\"}")).isEqualTo(400);
        assertThat(post(stats, "garbage")).isEqualTo(400);
        assertThat(post(stats, "{\"http\": 1, \"p2p\": 1, \"pad\": \"" + "x".repeat(2000) + "\"}")).isEqualTo(413);
        assertThat(post(base.toURI().resolve("/live/live/stats"), "{\"http\": 1, \"p2p\": 1}")).as("no mesh for live").isEqualTo(404);
        String metrics = HTTP.send(HttpRequest.newBuilder(management.toURI().resolve("/q/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("stripecast_relay_mesh_p2p_bytes_total{stream=\"other\"}", "stripecast_relay_mesh_offload_ratio{stream=\"other\"}");
        new RelayClient(base.toString()).assertOtherStreamFlows();
    }

    @Test
    void aBeaconWithTheTrackerSessionFeedsTheSuperPeerRuleAndGetsARole() throws Exception {
        String session = "sessionAAAAAAAAAAAAA";
        Peer a = new Peer("other", "?session=" + session);
        a.send(announce("peer-session-a", "swarm-s", 0));
        await().atMost(Duration.ofSeconds(5)).until(() -> !a.got.isEmpty());
        URI stats = base.toURI().resolve("/live/other/stats");
        // Two beacons of a page that uploads twice what it takes: past probation, a good uploader, alone: first fetcher.
        String good = "{\"http\": 100000, \"p2p\": 300000, \"uploaded\": 800000, \"p2pSegments\": 3, \"p2pFailures\": 0, \"session\": \"" + session + "\"}";
        assertThat(postForBody(stats, good)).startsWith("200 {\"role\":\"free\",\"next\":\"free\",\"nextInMs\":");
        assertThat(postForBody(stats, good)).startsWith("200 {\"role\":\"first\",\"next\":\"first\",\"nextInMs\":");
        assertThat(postForBody(stats, "{\"http\": 1, \"p2p\": 1, \"session\": \"nobodyHoldsThisSession\"}")).as("unknown session").isEqualTo("204 ");
        assertThat(post(stats, "{\"http\": 1, \"p2p\": 1, \"session\": \"short\"}")).isEqualTo(400);
        assertThat(post(stats, "{\"http\": 1, \"p2p\": 1, \"uploaded\": -5}")).isEqualTo(400);

        // Another socket presenting the same session does not take it over.
        Peer b = new Peer("other", "?session=" + session);
        b.send(announce("peer-session-b", "swarm-s", 1));
        await().atMost(Duration.ofSeconds(5)).until(() -> a.got.stream().anyMatch(m -> m.containsKey("offer")));
        assertThat(postForBody(stats, good)).startsWith("200 {\"role\":\"first\"");
        a.ws.abort();
        await().atMost(Duration.ofSeconds(5)).until(() -> postForBody(stats, good).startsWith("204"));
        b.ws.abort();
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create("http://" + base.getHost() + ":" + base.getPort() + "/tracker/other?session=bad!"))
                .build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(400);
    }

    @Test
    void playerPageHandsStunTurnAndThePolicyToTheBrowser() throws Exception {
        String page = HTTP.send(HttpRequest.newBuilder(base.toURI().resolve("/live/other/")).build(), HttpResponse.BodyHandlers.ofString()).body();
        String config = page.substring(page.indexOf("const config = ") + "const config = ".length());
        config = config.substring(0, config.indexOf(";\n"));
        assertThat(config).as("no configured value closes the script element").doesNotContain("</");
        JsonObject c = new JsonObject(config);
        assertThat(c.getString("iceTransportPolicy")).isEqualTo("relay");
        assertThat(c.getInteger("swarmViewers")).as("viewers of the stream on this edge's tracker").isNotNegative();
        assertThat(c.getJsonArray("iceServers").getJsonObject(0)).isEqualTo(new JsonObject().put("urls", "stun:stun.example.net:3478"));
        assertThat(c.getJsonArray("iceServers").getJsonObject(1)).isEqualTo(new JsonObject().put("urls", "turn:turn.example.net:3478?transport=udp")
                .put("username", "viewer").put("credential", "s3cret</script>"));
    }

    private static String postForBody(URI uri, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    private static int post(URI uri, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
