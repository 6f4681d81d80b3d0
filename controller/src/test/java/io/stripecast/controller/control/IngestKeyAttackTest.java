package io.stripecast.controller.control;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.protocol.v1.Assignments;
import io.stripecast.protocol.v1.ControlPlaneGrpc;
import io.stripecast.protocol.v1.ControllerMessage;
import io.stripecast.protocol.v1.Hello;
import io.stripecast.protocol.v1.IngestKey;
import io.stripecast.protocol.v1.RelayMessage;
import io.stripecast.protocol.v1.Report;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The controller takes a stream's segment-signing key only from its ingest (or standby) and hands it to every relay
 * of the stream; a key another relay claims is refused and counted, never handed out; a malformed one ends the session.
 */
@QuarkusTest
class IngestKeyAttackTest {
    @Inject
    ControlServer server;
    @Inject
    Coordinator coordinator;
    @Inject
    MeterRegistry registry;

    private ManagedChannel channel;

    final class Relay implements StreamObserver<ControllerMessage> {
        final List<ControllerMessage> got = new CopyOnWriteArrayList<>();
        final AtomicReference<Status> end = new AtomicReference<>();
        final StreamObserver<RelayMessage> out = ControlPlaneGrpc.newStub(channel).connect(this);

        Relay hello(String id) {
            out.onNext(RelayMessage.newBuilder().setHello(Hello.newBuilder().setRelayId(id).setDataAddress("127.0.0.1:" + (21000 + id.length()))
                    .setUplinkMbps(1000).setProtocolVersion(1)).build());
            return this;
        }

        void reportKey(byte[] key) {
            out.onNext(RelayMessage.newBuilder().setReport(Report.newBuilder().addIngestKeys(IngestKey.newBuilder().setStream("live")
                    .setPublicKey(ByteString.copyFrom(key)))).build());
        }

        List<ByteString> keysAssigned() {
            for (int i = got.size() - 1; i >= 0; i--) {
                if (got.get(i).hasAssignments()) {
                    Assignments a = got.get(i).getAssignments();
                    return a.getStreamsList().stream().filter(s -> s.getParams().getName().equals("live")).findFirst()
                            .map(s -> s.getIngestPublicKeysList()).orElse(List.of());
                }
            }
            return List.of();
        }

        @Override
        public void onNext(ControllerMessage value) {
            got.add(value);
        }

        @Override
        public void onError(Throwable t) {
            end.set(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            end.set(Status.OK);
        }
    }

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private double refused() {
        return registry.find("stripecast.controller.rejected").tags("reason", "ingest_key").counters().stream()
                .mapToDouble(c -> c.count()).sum();
    }

    private static byte[] key(int fill) {
        byte[] k = new byte[32];
        java.util.Arrays.fill(k, (byte) fill);
        return k;
    }

    @Test
    void onlyTheIngestsKeyReachesTheRelaysAndAClaimIsCounted() {
        Relay ingest = new Relay().hello("ingest");
        Relay member = new Relay().hello("member");
        await("forest with ingest and member").atMost(Duration.ofSeconds(10))
                .until(() -> coordinator.view("live").forest().size() >= 2);
        ingest.reportKey(key(1));
        await("the ingest's key handed to the member").atMost(Duration.ofSeconds(10))
                .until(() -> member.keysAssigned().contains(ByteString.copyFrom(key(1))));

        double before = refused();
        member.reportKey(key(2));
        await("a member's claim refused and counted").atMost(Duration.ofSeconds(10)).until(() -> refused() == before + 1);
        // A later message from the ingest is processed after the claim (one coordinator thread): then the assignments
        // must still name only the ingest's key.
        ingest.reportKey(key(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> refused() == before + 1 && member.end.get() == null);
        assertThat(member.keysAssigned()).doesNotContain(ByteString.copyFrom(key(2)));
        assertThat(ingest.keysAssigned()).doesNotContain(ByteString.copyFrom(key(2)));

        member.reportKey(new byte[31]);
        await().atMost(Duration.ofSeconds(10)).until(() -> member.end.get() != null);
        assertThat(member.end.get().getCode()).as("a malformed key").isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
}
