package io.stripecast.controller.control;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.protocol.v1.ControlPlaneGrpc;
import io.stripecast.protocol.v1.ControllerMessage;
import io.stripecast.protocol.v1.Demand;
import io.stripecast.protocol.v1.Hello;
import io.stripecast.protocol.v1.RelayMessage;
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
 * Issue 16: a relay whose viewers flood it must not be cut off by the controller. Demands beyond the relay's demand rate
 * are dropped and counted; the session, and the relay's place in every forest, stay. On-demand streams are announced to
 * relays, so a relay knows what it may ask for.
 */
@QuarkusTest
class DemandThrottleAttackTest {
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

        List<String> lastAnnounced() {
            for (int i = got.size() - 1; i >= 0; i--) {
                if (got.get(i).hasAssignments()) {
                    return got.get(i).getAssignments().getOnDemandStreamsList();
                }
            }
            return List.of();
        }

        public void onNext(ControllerMessage value) {
            got.add(value);
        }

        public void onError(Throwable t) {
            end.set(Status.fromThrowable(t));
        }

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
        coordinator.undefine("vod", "test");
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private double throttled() {
        var c = registry.find("stripecast.controller.throttled.messages").tag("kind", "demand").counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aFloodOfDemandsIsThrottledNotCutOff() {
        new Relay().hello("ingest");
        Relay member = new Relay().hello("flooded");
        await().atMost(Duration.ofSeconds(10)).until(() -> coordinator.view("live").forest().contains("flooded"));
        coordinator.define(new StreamDefinition("vod", 2, 1, Duration.ofSeconds(30), "ingest", null, true, 5, null, null,
                false, 0, "test", null));
        await("vod announced as on-demand").atMost(Duration.ofSeconds(10)).until(() -> member.lastAnnounced().contains("vod"));
        double before = throttled();
        // 2,000 Demands at once (what 500 viewer requests a second for 4 s would be without the relay's own bound),
        // and the max-messages-per-second of the test profile is 20.
        for (int i = 0; i < 2000; i++) {
            member.out.onNext(RelayMessage.newBuilder().setDemand(Demand.newBuilder().setStream(i % 2 == 0 ? "vod" : "nosuch" + i)
                    .setJoin(true)).build());
        }
        await("demands counted as throttled").atMost(Duration.ofSeconds(10)).until(() -> throttled() - before >= 1900);
        assertThat(member.end.get()).as("the flooded relay's session stays").isNull();
        assertThat(coordinator.view("live").forest().contains("flooded")).isTrue();
        assertThat(coordinator.view("live").check().ok()).isTrue();
        // One of the first Demands (within the burst) was for vod: the relay joined it.
        await().atMost(Duration.ofSeconds(10)).until(() -> coordinator.view("vod").forest().contains("flooded"));
        assertThat(member.lastAnnounced()).as("a carried stream is no longer announced").doesNotContain("vod");
    }
}
