package io.stripecast.controller.control;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.protocol.v1.ControlPlaneGrpc;
import io.stripecast.protocol.v1.ControllerMessage;
import io.stripecast.protocol.v1.Demand;
import io.stripecast.protocol.v1.Hello;
import io.stripecast.protocol.v1.RelayMessage;
import io.stripecast.protocol.v1.Report;
import io.stripecast.protocol.v1.StripeStatus;
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

/** Hostile or malformed relays get a clear status and cannot disturb the forest of the others. */
@QuarkusTest
class ControlPlaneBadInputTest {
    @Inject
    ControlServer server;
    @Inject
    Coordinator coordinator;

    private ManagedChannel channel;

    /** A relay's session as the test drives it. */
    final class Relay implements StreamObserver<ControllerMessage> {
        final List<ControllerMessage> got = new CopyOnWriteArrayList<>();
        final AtomicReference<Status> end = new AtomicReference<>();
        final StreamObserver<RelayMessage> out = ControlPlaneGrpc.newStub(channel).connect(this);

        Relay hello(String id, double uplink) {
            out.onNext(RelayMessage.newBuilder().setHello(Hello.newBuilder().setRelayId(id).setDataAddress("127.0.0.1:" + (20000 + id.length()))
                    .setUplinkMbps(uplink).setProtocolVersion(1)).build());
            return this;
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

        Status.Code awaitEnd() {
            await().atMost(Duration.ofSeconds(10)).until(() -> end.get() != null);
            return end.get().getCode();
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

    private int members() {
        return coordinator.view("live").forest().size();
    }

    private Relay healthyForest() {
        Relay ingest = new Relay().hello("ingest", 1000);
        Relay member = new Relay().hello("member", 1000);
        await("forest with ingest and member").atMost(Duration.ofSeconds(10)).until(() -> members() >= 2);
        return member;
    }

    @Test
    void absurdUplinkIsInvalidArgument() {
        healthyForest();
        int before = members();
        assertThat(new Relay().hello("liar", 1e12).awaitEnd()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(new Relay().hello("nan", Double.NaN).awaitEnd()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(new Relay().hello("../bad id", 100).awaitEnd()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(members()).isEqualTo(before);
    }

    @Test
    void anythingBeforeHelloIsFailedPrecondition() {
        Relay r = new Relay();
        r.out.onNext(RelayMessage.newBuilder().setReport(Report.getDefaultInstance()).build());
        assertThat(r.awaitEnd()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    }

    @Test
    void duplicateIdFromAnotherAddressIsAlreadyExists() {
        healthyForest();
        int before = members();
        // Same id from 127.0.0.2: another host claims to be "member".
        ManagedChannel other = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
                .localSocketPicker(new NettyChannelBuilder.LocalSocketPicker() {
                    @Override
                    public java.net.SocketAddress createSocketAddress(java.net.SocketAddress remote, io.grpc.Attributes attrs) {
                        return new java.net.InetSocketAddress("127.0.0.2", 0);
                    }
                }).build();
        try {
            Relay impostor = new Relay();
            AtomicReference<Status> end = new AtomicReference<>();
            StreamObserver<RelayMessage> out = ControlPlaneGrpc.newStub(other).connect(new StreamObserver<>() {
                public void onNext(ControllerMessage v) {
                }

                public void onError(Throwable t) {
                    end.set(Status.fromThrowable(t));
                }

                public void onCompleted() {
                    end.set(Status.OK);
                }
            });
            out.onNext(RelayMessage.newBuilder().setHello(Hello.newBuilder().setRelayId("member").setDataAddress("127.0.0.2:1")
                    .setUplinkMbps(100).setProtocolVersion(1)).build());
            await().atMost(Duration.ofSeconds(10)).until(() -> end.get() != null);
            assertThat(end.get().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
            impostor.out.onCompleted();
        } finally {
            other.shutdownNow();
        }
        assertThat(members()).isEqualTo(before);
    }

    @Test
    void aFloodOfReportsIsResourceExhaustedAndOthersStay() {
        healthyForest();
        Relay flooder = new Relay().hello("flooder", 100);
        await().atMost(Duration.ofSeconds(10)).until(() -> coordinator.view("live").forest().contains("flooder"));
        Report report = Report.newBuilder().addStripes(StripeStatus.newBuilder().setStream("live").setStripe(0)).build();
        for (int i = 0; i < 200 && flooder.end.get() == null; i++) {
            flooder.out.onNext(RelayMessage.newBuilder().setReport(report).build());
        }
        assertThat(flooder.awaitEnd()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        await().atMost(Duration.ofSeconds(10)).until(() -> !coordinator.view("live").forest().contains("flooder"));
        assertThat(coordinator.view("live").forest().contains("member")).isTrue();
        assertThat(coordinator.view("live").check().ok()).isTrue();
    }

    @Test
    void malformedReportIsInvalidArgument() {
        healthyForest();
        Relay r = new Relay().hello("sloppy", 100);
        r.out.onNext(RelayMessage.newBuilder().setReport(Report.newBuilder()
                .addStripes(StripeStatus.newBuilder().setStream("live").setStripe(99))).build());
        assertThat(r.awaitEnd()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(coordinator.view("live").check().ok()).isTrue();
    }

    @Test
    void demandForAnUnknownStreamIsIgnoredWithoutHarm() {
        Relay member = healthyForest();
        member.out.onNext(RelayMessage.newBuilder().setDemand(Demand.newBuilder().setStream("nosuch").setJoin(true)).build());
        member.out.onNext(RelayMessage.newBuilder().setDemand(Demand.newBuilder().setStream("../x").setJoin(true)).build());
        assertThat(member.awaitEnd()).as("a malformed name ends the session").isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(coordinator.streamNames()).containsExactly("live");
    }
}
