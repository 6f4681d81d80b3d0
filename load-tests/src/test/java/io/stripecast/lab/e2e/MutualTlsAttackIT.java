package io.stripecast.lab.e2e;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import io.stripecast.lab.cluster.LabTrust;
import io.stripecast.protocol.trust.CertificateAuthority;
import io.stripecast.protocol.trust.Credentials;
import io.stripecast.protocol.trust.GrpcTls;
import io.stripecast.protocol.trust.PeerIdentity;
import io.stripecast.protocol.v1.ControlPlaneGrpc;
import io.stripecast.protocol.v1.ControllerMessage;
import io.stripecast.protocol.v1.Hello;
import io.stripecast.protocol.v1.RelayMessage;
import io.stripecast.protocol.v1.ShardPushGrpc;
import io.stripecast.protocol.v1.ShardPushMessage;
import io.stripecast.protocol.v1.SubscribeRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 16, point 1: rogue clients against a controller and four relay processes speaking mutual TLS, while ffmpeg
 * streams. With no certificate, with a certificate of another CA, or with a valid certificate claiming another
 * relay's id (in a hello, as a subscriber, as a parent), they are refused on both planes; the forest stays as it
 * was, and every relay still serves every segment byte-identical.
 */
class MutualTlsAttackIT {
    private static final int SECONDS = 24;
    private static final Path WORK = Path.of("target", "e2e");
    private static final String KEY = "mtls-attack-key-0123";
    private static final Duration CALL = Duration.ofSeconds(20);
    private static Path source;

    private ControllerCluster cluster;
    private final CertificateAuthority ca = LabTrust.get().ca();
    private final CertificateAuthority foreign = CertificateAuthority.generate("stripecast-lab-ca", Duration.ofDays(1));

    @BeforeAll
    static void encodeSource() throws Exception {
        source = Ffmpeg.source(WORK.resolve("media"));
    }

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void rogueClientsAreRefusedOnBothPlanesAndTheForestAndSegmentsAreUntouched() throws Exception {
        Path dir = WORK.resolve("mtls-attack");
        cluster = ControllerCluster.start(dir, 4, Map.of("stripecast.streams.live.k", "2", "stripecast.streams.live.m", "1",
                "stripecast.streams.live.window", "120s", "stripecast.streams.live.key", KEY,
                "stripecast.streams.live.ingest-relay", "r0"), 20);
        await("forest sound").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                .until(() -> cluster.forest("live").get("check").get("ok").asBoolean());
        Process ffmpeg = Ffmpeg.push(source, SECONDS, cluster.relay("r0").base() + "/ingest/live/index.m3u8", false, false, KEY,
                dir.resolve("ffmpeg-out"), dir.resolve("ffmpeg-push.log"));
        await("segments ingested").atMost(Duration.ofSeconds(60))
                .until(() -> cluster.relay("r0").metric("stripecast_relay_ingest_segments_total") >= 3);
        List<Map<String, String>> forestBefore = cluster.parents("live");
        String controller = "127.0.0.1:" + cluster.controllerGrpc;
        String ingest = "127.0.0.1:" + cluster.relay("r0").grpcPort;

        // The control plane.
        Credentials noCertificate = new Credentials(null, null, ca.certificate());
        Credentials otherCa = withOurCaTrusted(foreign.issue(PeerIdentity.relay("", "r1"), Duration.ofHours(1)));
        Credentials rogue = ca.issue(PeerIdentity.relay("", "rogue"), Duration.ofHours(1));
        double identityRejections = controllerRejected("identity_mismatch");
        double addressRejections = controllerRejected("address_mismatch");

        assertThat(hello(plaintext(controller), "r1", "127.0.0.1:1").getCode()).as("plaintext hello").isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(hello(tls(controller, noCertificate, PeerIdentity.CONTROLLER), "r1", "127.0.0.1:1").getCode())
                .as("hello without a client certificate").isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(hello(tls(controller, otherCa, PeerIdentity.CONTROLLER), "r1", "127.0.0.1:1").getCode())
                .as("hello with another CA's certificate").isEqualTo(Status.Code.UNAVAILABLE);
        Status claimed = hello(tls(controller, rogue, PeerIdentity.CONTROLLER), "r1", "127.0.0.1:" + cluster.relay("r1").grpcPort);
        assertThat(claimed.getCode()).as("a valid certificate saying hello as another relay").isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(claimed.getDescription()).contains("not the certificate's");
        Status elsewhere = hello(tls(controller, rogue, PeerIdentity.CONTROLLER), "rogue", "10.9.9.9:9100");
        assertThat(elsewhere.getCode()).as("a data address that is not where the relay connects from")
                .isEqualTo(Status.Code.PERMISSION_DENIED);
        await("refusals counted").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(controllerRejected("identity_mismatch")).isEqualTo(identityRejections + 1);
            assertThat(controllerRejected("address_mismatch")).isEqualTo(addressRejections + 1);
        });

        // The data plane, as a subscriber at the ingest.
        double mismatches = subscribeRejected("identity_mismatch");
        double wrongParent = subscribeRejected("wrong_parent");
        assertThat(subscribe(plaintext(ingest), 0, "r1").getCode()).as("plaintext subscriber").isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(subscribe(tls(ingest, noCertificate, PeerIdentity.relay("", "r0")), 0, "r1").getCode())
                .as("subscriber without a certificate").isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(subscribe(tls(ingest, otherCa, PeerIdentity.relay("", "r0")), 0, "r1").getCode())
                .as("subscriber with another CA's certificate").isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(subscribe(tls(ingest, rogue, PeerIdentity.relay("", "r0")), 0, "r1").getCode())
                .as("valid certificate subscribing as another relay").isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(subscribe(tls(ingest, rogue, PeerIdentity.relay("", "r0")), 0, "rogue").getCode())
                .as("valid certificate, no assignment").isEqualTo(Status.Code.FAILED_PRECONDITION);
        // A real relay's certificate asking the ingest for a stripe where the controller gave it another parent.
        int stripe = stripeWhereParentIsNot(forestBefore, "r3", "r0");
        Credentials r3 = ca.issue(PeerIdentity.relay("", "r3"), Duration.ofHours(1));
        assertThat(subscribe(tls(ingest, r3, PeerIdentity.relay("", "r0")), stripe, "r3").getCode())
                .as("r3's certificate asking for stripe %d, which r0 does not feed it", stripe).isEqualTo(Status.Code.FAILED_PRECONDITION);
        await("subscription refusals counted").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(subscribeRejected("identity_mismatch")).isEqualTo(mismatches + 1);
            assertThat(subscribeRejected("wrong_parent")).isEqualTo(wrongParent + 2);
        });
        assertThat(cluster.parents("live")).as("the forest after the rogue clients").isEqualTo(forestBefore);
        assertThat(cluster.forest("live").get("relays").asInt()).isEqualTo(4);

        // As a parent: an interior relay dies and a rogue with a valid certificate of its own takes its data port. The
        // controller is frozen meanwhile (SIGSTOP), so nobody re-parents the orphans: they keep dialling that address.
        var victim = cluster.anInteriorRelay("live");
        JavaService victimRelay = cluster.relay(victim.getKey());
        AtomicInteger rogueSubscriptions = new AtomicInteger();
        Server roguePort = null;
        cluster.controller.signal("STOP");
        try {
            victimRelay.kill();
            roguePort = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", victimRelay.grpcPort))
                    .sslContext(GrpcTls.server(rogue))
                    .addService(new ShardPushGrpc.ShardPushImplBase() {
                        @Override
                        public void subscribe(SubscribeRequest request, StreamObserver<ShardPushMessage> out) {
                            rogueSubscriptions.incrementAndGet();
                            out.onError(Status.UNAVAILABLE.asRuntimeException());
                        }
                    }).build().start();
            double reconnectsBefore = parentReconnects();
            await("the victim's children dial its address (now the rogue's) again and again").atMost(Duration.ofSeconds(20))
                    .until(() -> parentReconnects() >= reconnectsBefore + 3);
            assertThat(rogueSubscriptions).as("subscriptions that reached the rogue parent").hasValue(0);
        } finally {
            cluster.controller.signal("CONT");
        }
        try {
            await("victim out of the forest").atMost(Duration.ofSeconds(30))
                    .until(() -> !cluster.forest("live").get("stripes").get(0).get("parents").has(victim.getKey()));

            assertThat(ffmpeg.waitFor(90, TimeUnit.SECONDS)).as("ffmpeg finished").isTrue();
            List<String> expected = HlsCheck.localHashes(dir.resolve("ffmpeg-out"));
            assertThat(expected).hasSizeGreaterThanOrEqualTo(SECONDS - 2);
            for (var e : cluster.relays.entrySet()) {
                if (e.getKey().equals(victim.getKey())) {
                    continue;
                }
                JavaService relay = e.getValue();
                await(e.getKey() + " lists every segment").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                        .until(() -> HlsCheck.listedSegments(relay, "live") >= expected.size());
                assertThat(HlsCheck.servedHashes(relay, "live")).as("segments served by %s", e.getKey()).containsExactlyElementsOf(expected);
            }
            assertThat(rogueSubscriptions).as("subscriptions that reached the rogue parent").hasValue(0);
        } finally {
            if (roguePort != null) {
                roguePort.shutdownNow();
            }
        }
    }

    private static Credentials withOurCaTrusted(Credentials c) {
        return new Credentials(c.key(), c.certificate(), LabTrust.get().ca().certificate());
    }

    private double controllerRejected(String reason) throws Exception {
        return cluster.controller.metric("stripecast_controller_rejected_total", "reason=\"" + reason + "\"");
    }

    private double subscribeRejected(String reason) throws Exception {
        return cluster.relay("r0").metric("stripecast_relay_subscribe_rejected_total", "reason=\"" + reason + "\"");
    }

    private double parentReconnects() throws Exception {
        double sum = 0;
        for (JavaService r : cluster.relays.values()) {
            if (r.isAlive()) {
                sum += r.metric("stripecast_relay_parent_reconnects_total");
            }
        }
        return sum;
    }

    private static int stripeWhereParentIsNot(List<Map<String, String>> forest, String child, String parent) {
        for (int s = 0; s < forest.size(); s++) {
            if (forest.get(s).containsKey(child) && !parent.equals(forest.get(s).get(child))) {
                return s;
            }
        }
        throw new AssertionError(child + " has " + parent + " as parent in every stripe: " + forest);
    }

    private static ManagedChannel plaintext(String target) {
        return NettyChannelBuilder.forTarget(target).usePlaintext().build();
    }

    private static ManagedChannel tls(String target, Credentials own, PeerIdentity server) {
        return NettyChannelBuilder.forTarget(target).sslContext(GrpcTls.client(own, server)).build();
    }

    /** Says hello; OK means the controller welcomed it (the attack worked), else the status the session ended with. */
    private static Status hello(ManagedChannel channel, String relayId, String dataAddress) throws Exception {
        CompletableFuture<Status> outcome = new CompletableFuture<>();
        try {
            StreamObserver<RelayMessage> up = ControlPlaneGrpc.newStub(channel).connect(new StreamObserver<>() {
                @Override
                public void onNext(ControllerMessage m) {
                    outcome.complete(Status.OK.withDescription("answered " + m.getBodyCase()));
                }

                @Override
                public void onError(Throwable t) {
                    outcome.complete(Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                    outcome.complete(Status.OK.withDescription("completed"));
                }
            });
            up.onNext(RelayMessage.newBuilder().setHello(Hello.newBuilder().setRelayId(relayId).setDataAddress(dataAddress)
                    .setUplinkMbps(1000).setProtocolVersion(1).setIngest(true)).build());
            return outcome.get(CALL.toSeconds(), TimeUnit.SECONDS);
        } finally {
            channel.shutdownNow();
        }
    }

    /** Subscribes; OK means the relay accepted (the attack worked), else the refusal's status. */
    private static Status subscribe(ManagedChannel channel, int stripe, String childId) throws Exception {
        CompletableFuture<Status> outcome = new CompletableFuture<>();
        try {
            ShardPushGrpc.newStub(channel).subscribe(SubscribeRequest.newBuilder().setStream("live").setStripe(stripe)
                    .setChildId(childId).build(), new StreamObserver<>() {
                @Override
                public void onNext(ShardPushMessage m) {
                    outcome.complete(Status.OK.withDescription("served " + m.getBodyCase()));
                }

                @Override
                public void onError(Throwable t) {
                    outcome.complete(Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                    outcome.complete(Status.OK.withDescription("completed"));
                }
            });
            return outcome.get(CALL.toSeconds(), TimeUnit.SECONDS);
        } finally {
            channel.shutdownNow();
        }
    }
}
