package io.stripecast.controller.control;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.protocol.trust.PublisherKeys;
import io.stripecast.protocol.v1.ControlPlaneGrpc;
import io.stripecast.protocol.v1.ControllerMessage;
import io.stripecast.protocol.v1.Hello;
import io.stripecast.protocol.v1.RelayMessage;
import io.stripecast.protocol.v1.StreamAssignment;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 16: the publisher key never travels the control plane. The stream's ingest relay (and anyone who says hello
 * as it) gets a salted verifier that accepts the key and nothing else; no message carries the key's bytes.
 */
@QuarkusTest
class PublisherKeyAttackTest {
    @Inject
    ControlServer server;
    @ConfigProperty(name = "stripecast.streams.live.key")
    String key;

    private ManagedChannel channel;

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private List<ControllerMessage> sessionOf(String id, String address) {
        List<ControllerMessage> got = new CopyOnWriteArrayList<>();
        StreamObserver<RelayMessage> out = ControlPlaneGrpc.newStub(channel).connect(new StreamObserver<>() {
            @Override
            public void onNext(ControllerMessage value) {
                got.add(value);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
        out.onNext(RelayMessage.newBuilder().setHello(Hello.newBuilder().setRelayId(id).setDataAddress(address)
                .setUplinkMbps(1000).setProtocolVersion(1)).build());
        return got;
    }

    private static Optional<StreamAssignment> live(List<ControllerMessage> got) {
        return got.stream().filter(ControllerMessage::hasAssignments)
                .flatMap(m -> m.getAssignments().getStreamsList().stream())
                .filter(a -> a.getParams().getName().equals("live")).reduce((a, b) -> b);
    }

    @Test
    void theIngestGetsAVerifierAndNoMessageCarriesTheKey() {
        List<ControllerMessage> ingest = sessionOf("ingest", "127.0.0.1:21001");
        List<ControllerMessage> member = sessionOf("member-k", "127.0.0.1:21002");
        await("assignments of stream live for both").atMost(Duration.ofSeconds(15))
                .until(() -> live(ingest).map(StreamAssignment::getRoot).orElse(false) && live(member).isPresent());

        StreamAssignment root = live(ingest).orElseThrow();
        assertThat(root.getParams().hasPublisherKeyVerifier()).isTrue();
        assertThat(PublisherKeys.matches(root.getParams().getPublisherKeyVerifier(), key)).as("the key passes").isTrue();
        assertThat(PublisherKeys.matches(root.getParams().getPublisherKeyVerifier(), key + "x")).isFalse();
        assertThat(PublisherKeys.matches(root.getParams().getPublisherKeyVerifier(), key.substring(1))).isFalse();
        assertThat(live(member).orElseThrow().getParams().hasPublisherKeyVerifier()).as("a mere member gets nothing").isFalse();

        byte[] secret = key.getBytes(StandardCharsets.UTF_8);
        for (List<ControllerMessage> session : List.of(ingest, member)) {
            for (ControllerMessage m : session) {
                assertThat(indexOf(m.toByteArray(), secret)).as("key bytes in a control-plane message").isEqualTo(-1);
                assertThat(m.toString()).doesNotContain(key);
            }
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
