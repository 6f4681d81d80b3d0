package io.stripecast.relay;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.stripecast.protocol.trust.SegmentSignatures;
import io.stripecast.protocol.v1.ShardPushGrpc;
import io.stripecast.protocol.v1.ShardPushMessage;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.protocol.v1.SubscribeAccepted;
import io.stripecast.protocol.v1.SubscribeRequest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A parent relay under the test's control, for stream {@code fed}: the relay under test subscribes
 * to it in every stripe, and the test decides what shards (good or hostile) it pushes.
 */
public class FakeParentResource implements QuarkusTestResourceLifecycleManager {
    /** The relay's open subscriptions, by stripe. */
    public static final Map<Integer, ServerCallStreamObserver<ShardPushMessage>> SUBSCRIBERS = new ConcurrentHashMap<>();
    /** The relay's subscriptions for stream {@code signed}, by stripe: its segments must be signed by {@link #INGEST}. */
    public static final Map<Integer, ServerCallStreamObserver<ShardPushMessage>> SIGNED_SUBSCRIBERS = new ConcurrentHashMap<>();
    /** The key pair of stream {@code signed}'s ingest; its public half is in the topology file, as a controller would send it. */
    public static final KeyPair INGEST = SegmentSignatures.generate();
    private Server server;

    @Override
    public Map<String, String> start() {
        try {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(new ShardPushGrpc.ShardPushImplBase() {
                        @Override
                        public void subscribe(SubscribeRequest request, StreamObserver<ShardPushMessage> observer) {
                            var call = (ServerCallStreamObserver<ShardPushMessage>) observer;
                            call.onNext(ShardPushMessage.newBuilder().setAccepted(SubscribeAccepted.newBuilder().setK(2).setM(1)).build());
                            (request.getStream().equals("signed") ? SIGNED_SUBSCRIBERS : SUBSCRIBERS).put(request.getStripe(), call);
                        }
                    })
                    .build().start();
            Path topology = Files.createTempFile("stripecast-test-topology", ".json");
            Files.writeString(topology, """
                    {"relays": {"test-relay": "127.0.0.1:1", "fake-parent": "127.0.0.1:%d"},
                     "streams": {
                       "live":  {"root": "test-relay", "stripes": [{}, {}, {}]},
                       "other": {"root": "test-relay", "stripes": [{}, {}, {}, {}]},
                       "ending": {"root": "test-relay", "stripes": [{}, {}, {}]},
                       "large": {"root": "test-relay", "stripes": [{}, {}, {}]},
                       "copied": {"root": "test-relay", "stripes": [{}, {}, {}]},
                       "private": {"root": "test-relay", "stripes": [{}, {}, {}]},
                       "lowlat": {"root": "test-relay", "stripes": [{}, {}, {}]},
                       "lowsig": {"root": "test-relay", "stripes": [{}, {}, {}]},
                       "cmaf": {"root": "test-relay", "stripes": [{}, {}, {}]},
                       "cmafkeep": {"root": "test-relay", "stripes": [{}, {}, {}]},
                       "cmafbad": {"root": "test-relay", "stripes": [{}, {}, {}]},
                       "ladder": {"root": "test-relay", "stripes": [{}, {}, {}]},
                       "ladderfmp4": {"root": "test-relay", "stripes": [{}, {}, {}]},
                       "fed":   {"root": "fake-parent", "stripes": [
                                   {"test-relay": "fake-parent"}, {"test-relay": "fake-parent"}, {"test-relay": "fake-parent"}]},
                       "signed": {"root": "fake-parent", "ingestKeys": ["%s"], "stripes": [
                                   {"test-relay": "fake-parent"}, {"test-relay": "fake-parent"}, {"test-relay": "fake-parent"}]}
                     }}
                    """.formatted(server.getPort(), Base64.getEncoder().encodeToString(SegmentSignatures.raw(INGEST.getPublic()))));
            return Map.of("stripecast.relay.topology-file", topology.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Pushes a shard to the relay on its stripe's subscription. */
    public static void push(Shard shard) {
        pushOn(shard.getStripe(), shard);
    }

    /** Pushes a shard on the subscription of any stripe (a confused or hostile parent). */
    public static void pushOn(int subscriptionStripe, Shard shard) {
        SUBSCRIBERS.get(subscriptionStripe).onNext(ShardPushMessage.newBuilder().setShard(shard).build());
    }

    /** Pushes a shard of stream {@code signed} on its stripe's subscription. */
    public static void pushSigned(Shard shard) {
        SIGNED_SUBSCRIBERS.get(shard.getStripe()).onNext(ShardPushMessage.newBuilder().setShard(shard).build());
    }

    @Override
    public void stop() {
        if (server != null) {
            server.shutdownNow();
        }
    }
}
