package io.stripecast.relay.push;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.protocol.v1.ShardPushGrpc;
import io.stripecast.protocol.v1.ShardPushMessage;
import io.stripecast.protocol.v1.SubscribeRequest;
import io.stripecast.relay.FakeParentResource;
import io.stripecast.relay.RelayClient;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A parent that sends corrupt or inconsistent shards: they are dropped and counted, never served. */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
class PeerChecksumTest {
    private static final long SEQUENCE = 17_000_000_000L;

    @Inject
    DataPlane dataPlane;
    @Inject
    MeterRegistry registry;
    @TestHTTPResource("/")
    URL base;

    private double counter(String name, String... tags) {
        return registry.find(name).tags(tags).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    @Test
    void shardWithBadCrcIsDroppedCountedAndNeverServed() throws Exception {
        await("relay subscribed to the fake parent in every stripe").atMost(Duration.ofSeconds(10))
                .until(() -> FakeParentResource.SUBSCRIBERS.size() == 3);
        byte[] segment = "a segment the fake parent really holds ".repeat(1000).getBytes();
        SegmentMeta meta = SegmentMeta.newBuilder().setSequence(SEQUENCE).setKind(SegmentKind.SEGMENT_KIND_MPEG_TS)
                .setMediaSequence(SEQUENCE).setDurationMicros(1_000_000).setLength(segment.length)
                .setIngestTimeMillis(System.currentTimeMillis()).setSha256(ByteString.copyFrom(Shards.sha256(segment)))
                .setK(2).setM(1).build();
        Shard[] good = Shards.encode(new StripeCodec(2, 1), meta, segment);
        byte[] corrupted = good[0].getData().toByteArray();
        corrupted[100] ^= 0x5a;
        double crcFailuresBefore = counter("stripecast.relay.checksum.failures", "stream", "fed", "kind", "shard");
        double wrongStripeBefore = counter("stripecast.relay.shards.rejected", "stream", "fed", "reason", "wrong_stripe");

        FakeParentResource.push(good[0].toBuilder().setData(ByteString.copyFrom(corrupted)).build());
        FakeParentResource.pushOn(0, good[1]); // stripe 1's shard on stripe 0's subscription
        FakeParentResource.push(good[1]);
        FakeParentResource.push(good[2]);

        await().atMost(Duration.ofSeconds(10)).until(() ->
                counter("stripecast.relay.checksum.failures", "stream", "fed", "kind", "shard") == crcFailuresBefore + 1
                        && counter("stripecast.relay.shards.rejected", "stream", "fed", "reason", "wrong_stripe") == wrongStripeBefore + 1);

        RelayClient relay = new RelayClient(base.toString());
        await("segment rebuilt from the two good shards").atMost(Duration.ofSeconds(10)).until(() -> {
            HttpResponse<byte[]> r = relay.getBytes("/live/fed/" + SEQUENCE + ".ts");
            return r.statusCode() == 200 && Arrays.equals(r.body(), segment);
        });

        // What the relay forwards in stripe 0 is the true shard (regenerated), never the corrupt one.
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", dataPlane.grpcPort()).usePlaintext().build();
        try {
            Iterator<ShardPushMessage> it = ShardPushGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .subscribe(SubscribeRequest.newBuilder().setStream("fed").setStripe(0).setFromSequence(SEQUENCE).setChildId("probe").build());
            assertThat(it.next().hasAccepted()).isTrue();
            Shard served = it.next().getShard();
            assertThat(served.getSegment().getSequence()).isEqualTo(SEQUENCE);
            assertThat(served.getData()).isEqualTo(good[0].getData());
            assertThat(Shards.crcMatches(served)).isTrue();
        } finally {
            channel.shutdownNow();
        }
        relay.assertOtherStreamFlows();
    }
}
