package io.stripecast.relay.push;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.protocol.v1.ShardPushGrpc;
import io.stripecast.protocol.v1.ShardPushMessage;
import io.stripecast.protocol.v1.SubscribeRequest;
import io.stripecast.relay.FakeParentResource;
import io.stripecast.relay.RelayClient;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.window.WindowEntry;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A child that stops reading is cut off with RESOURCE_EXHAUSTED; its sibling gets every shard. */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
class SlowChildTest {
    private static final int SEGMENTS = 40;

    @Inject
    DataPlane dataPlane;
    @Inject
    MeterRegistry registry;
    @Inject
    StreamRegistry streams;
    @TestHTTPResource("/")
    URL base;

    @Test
    void slowChildIsCutOffAndNeverSlowsItsSibling() throws Exception {
        // A small fixed HTTP/2 window (no BDP auto-tuning), so the unread shards back up quickly.
        ManagedChannel slowChannel = NettyChannelBuilder.forAddress("127.0.0.1", dataPlane.grpcPort()).usePlaintext()
                .flowControlWindow(64 * 1024).build();
        ManagedChannel fastChannel = NettyChannelBuilder.forAddress("127.0.0.1", dataPlane.grpcPort()).usePlaintext().build();
        try {
            RelayClient relay = new RelayClient(base.toString());
            relay.assertOtherStreamFlows();
            double cutOffsBefore = registry.find("stripecast.relay.slow.child.cutoffs").tags("stream", "other").counters().stream()
                    .mapToDouble(c -> c.count()).sum();
            // Both children start at the segment just published: from sequence 0 they would first catch up on what
            // earlier tests left of this stream in its 30 s window, more large shards than a queue of 8 holds in some
            // runs, and a catch-up is not what this test is about.
            List<WindowEntry> held = streams.find("other").orElseThrow().window().snapshot();
            long from = held.get(held.size() - 1).sequence();
            AtomicReference<Status> slowEnd = new AtomicReference<>();
            AtomicReference<ClientCallStreamObserver<SubscribeRequest>> slowCall = new AtomicReference<>();
            ShardPushGrpc.newStub(slowChannel).subscribe(subscribe("slow-child", from), new ClientResponseObserver<SubscribeRequest, ShardPushMessage>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<SubscribeRequest> call) {
                    call.disableAutoRequestWithInitial(1); // takes the first message, then asks for no more
                    slowCall.set(call);
                }

                @Override
                public void onNext(ShardPushMessage value) {
                }

                @Override
                public void onError(Throwable t) {
                    slowEnd.set(Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                    slowEnd.set(Status.OK);
                }
            });
            List<Long> fastGot = new CopyOnWriteArrayList<>();
            ShardPushGrpc.newStub(fastChannel).subscribe(subscribe("fast-child", from), new io.grpc.stub.StreamObserver<>() {
                @Override
                public void onNext(ShardPushMessage m) {
                    if (m.hasShard()) {
                        fastGot.add(m.getShard().getSegment().getSequence());
                    }
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            });
            for (int i = 0; i < SEGMENTS; i++) {
                publishLargeSegment(relay, i);
            }
            await("fast child got every shard").atMost(Duration.ofSeconds(20)).until(() -> fastGot.size() >= SEGMENTS + 1);
            assertThat(fastGot).isSorted().doesNotHaveDuplicates();
            await("slow child cut off and counted").atMost(Duration.ofSeconds(20)).until(() ->
                    registry.find("stripecast.relay.slow.child.cutoffs").tags("stream", "other").counters().stream()
                            .mapToDouble(c -> c.count()).sum() == cutOffsBefore + 1);
            assertThat(slowEnd.get()).as("the status waits behind the data the child has not read").isNull();
            // Once the slow child reads again it drains what was in flight and learns why it was cut off.
            slowCall.get().request(Integer.MAX_VALUE);
            await("slow child told").atMost(Duration.ofSeconds(20)).until(() -> slowEnd.get() != null);
            assertThat(slowEnd.get().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        } finally {
            slowChannel.shutdownNow();
            fastChannel.shutdownNow();
        }
    }

    private static SubscribeRequest subscribe(String child, long from) {
        return SubscribeRequest.newBuilder().setStream("other").setStripe(0).setFromSequence(from).setChildId(child).build();
    }

    private static void publishLargeSegment(RelayClient relay, int i) throws Exception {
        String name = "big" + i + ".ts";
        byte[] body = ("large segment " + i + " ").repeat(20_000).getBytes(StandardCharsets.UTF_8);
        assertThat(relay.put("/ingest/other/" + name, "other-key-0123456789", body).statusCode()).isEqualTo(201);
        String playlist = "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:" + (1_000_000 + i) + "\n#EXTINF:1.0,\n" + name + "\n";
        assertThat(relay.put("/ingest/other/index.m3u8", "other-key-0123456789", playlist.getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(204);
    }
}
