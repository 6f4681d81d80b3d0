package io.stripecast.lab.e2e;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.stripecast.lab.cluster.LabTrust;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.trust.Credentials;
import io.stripecast.protocol.trust.GrpcTls;
import io.stripecast.protocol.trust.PeerIdentity;
import io.stripecast.protocol.trust.SegmentSignatures;
import io.stripecast.protocol.v1.Assignments;
import io.stripecast.protocol.v1.ControlPlaneGrpc;
import io.stripecast.protocol.v1.ControllerMessage;
import io.stripecast.protocol.v1.Hello;
import io.stripecast.protocol.v1.IngestKey;
import io.stripecast.protocol.v1.RelayMessage;
import io.stripecast.protocol.v1.Report;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.protocol.v1.ShardPushGrpc;
import io.stripecast.protocol.v1.ShardPushMessage;
import io.stripecast.protocol.v1.StreamAssignment;
import io.stripecast.protocol.v1.StripeParent;
import io.stripecast.protocol.v1.StripeStatus;
import io.stripecast.protocol.v1.SubscribeAccepted;
import io.stripecast.protocol.v1.SubscribeRequest;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A relay that joins the forest as any relay could before mutual TLS (a hello to the controller, a big uplink to
 * become interior), takes the true shards from its parents and sends its children only lies: for every true shard,
 * metadata naming other bytes signed with its own key, the true metadata unsigned, a segment dated an hour ahead, and
 * CRC-valid shards of wrong content under the ingest's true signed metadata. It also claims an ingest key for the
 * stream. It never forwards a true shard.
 */
final class RogueRelay implements AutoCloseable {
    static final String ID = "rogue";
    /** A certificate the lab's CA issued for this id: mutual TLS lets it in, only the signatures can stop its lies. */
    static final Credentials OWN = LabTrust.get().ca().issue(PeerIdentity.relay("", ID), Duration.ofDays(1));
    private static final long FUTURE_SEQUENCE_OFFSET = 1_000_000;

    private final KeyPair key = SegmentSignatures.generate();
    private final Server server;
    private final ManagedChannel controller;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    /** stream/stripe -> the children subscribed here. */
    private final Map<String, List<ServerCallStreamObserver<ShardPushMessage>>> children = new ConcurrentHashMap<>();
    /** stream/stripe -> the parent followed (to take the true shards from). */
    private final Map<String, String> following = new ConcurrentHashMap<>();
    private final Map<String, ManagedChannel> parentChannels = new ConcurrentHashMap<>();
    private final AtomicLong lastSequence = new AtomicLong();
    final AtomicLong liesSent = new AtomicLong();
    private volatile ClientCallStreamObserver<RelayMessage> session;
    private volatile Assignments assignments = Assignments.getDefaultInstance();

    RogueRelay(int controllerGrpcPort, double uplinkMbps) throws IOException {
        // A compromised relay: its certificate is valid (issued by the lab's CA for its own id), its segments are lies.
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).sslContext(GrpcTls.server(OWN))
                .addService(new ShardPushGrpc.ShardPushImplBase() {
                    @Override
                    public void subscribe(SubscribeRequest request, StreamObserver<ShardPushMessage> observer) {
                        var call = (ServerCallStreamObserver<ShardPushMessage>) observer;
                        call.onNext(ShardPushMessage.newBuilder().setAccepted(SubscribeAccepted.newBuilder().setK(2).setM(1)
                                .setFirstSequence(request.getFromSequence())).build());
                        children.computeIfAbsent(request.getStream() + "/" + request.getStripe(), k -> new CopyOnWriteArrayList<>())
                                .add(call);
                        call.setOnCancelHandler(() -> children.get(request.getStream() + "/" + request.getStripe()).remove(call));
                    }
                })
                .build().start();
        controller = NettyChannelBuilder.forAddress("127.0.0.1", controllerGrpcPort)
                .sslContext(GrpcTls.client(OWN, PeerIdentity.CONTROLLER)).build();
        session = (ClientCallStreamObserver<RelayMessage>) ControlPlaneGrpc.newStub(controller).connect(new ControllerReceiver());
        send(RelayMessage.newBuilder().setHello(Hello.newBuilder().setRelayId(ID).setDataAddress("127.0.0.1:" + server.getPort())
                .setPlaybackUrl("http://127.0.0.1:1").setUplinkMbps(uplinkMbps).setProtocolVersion(1)).build());
        timer.scheduleAtFixedRate(this::report, 300, 300, TimeUnit.MILLISECONDS);
    }

    int childCount() {
        return children.values().stream().mapToInt(List::size).sum();
    }

    private synchronized void send(RelayMessage m) {
        session.onNext(m);
    }

    /** Says it receives every stripe it follows, and claims to be the ingest of every stream it carries. */
    private void report() {
        Report.Builder r = Report.newBuilder();
        for (StreamAssignment a : assignments.getStreamsList()) {
            String stream = a.getParams().getName();
            for (StripeParent p : a.getParentsList()) {
                r.addStripes(StripeStatus.newBuilder().setStream(stream).setStripe(p.getStripe()).setParentId(p.getParentId())
                        .setReceiving(true).setLastSequence(lastSequence.get()));
            }
            r.addIngestKeys(IngestKey.newBuilder().setStream(stream)
                    .setPublicKey(ByteString.copyFrom(SegmentSignatures.raw(key.getPublic()))));
        }
        try {
            send(RelayMessage.newBuilder().setReport(r).build());
        } catch (RuntimeException gone) {
            // The controller cut the session: nothing more to claim.
        }
    }

    private void onAssignments(Assignments a) {
        assignments = a;
        for (StreamAssignment s : a.getStreamsList()) {
            for (StripeParent p : s.getParentsList()) {
                String link = s.getParams().getName() + "/" + p.getStripe();
                if (!p.getParentAddress().equals(following.get(link))) {
                    following.put(link, p.getParentAddress());
                    follow(s.getParams().getName(), p.getStripe(), p.getParentId(), p.getParentAddress());
                }
            }
        }
    }

    private void follow(String stream, int stripe, String parentId, String address) {
        ManagedChannel ch = parentChannels.computeIfAbsent(address, ad -> NettyChannelBuilder.forTarget(ad)
                .sslContext(GrpcTls.clientOfRelay(OWN, parentId))
                .maxInboundMessageSize(40 << 20).build());
        ShardPushGrpc.newStub(ch).subscribe(SubscribeRequest.newBuilder().setStream(stream).setStripe(stripe).setChildId(ID).build(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(ShardPushMessage m) {
                        if (m.hasShard()) {
                            lie(stream, m.getShard());
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        following.remove(stream + "/" + stripe);
                    }

                    @Override
                    public void onCompleted() {
                        following.remove(stream + "/" + stripe);
                    }
                });
    }

    /** Everything but the truth, for one true shard. */
    private void lie(String stream, Shard truth) {
        SegmentMeta meta = truth.getSegment();
        lastSequence.accumulateAndGet(meta.getSequence(), Math::max);
        byte[] data = truth.getData().toByteArray();
        byte[] wrong = data.clone();
        for (int i = 0; i < wrong.length; i += 97) {
            wrong[i] ^= 0x5a;
        }
        // 1. Other bytes, metadata naming them (SHA-256 of a made-up segment), signed with the rogue's own key.
        SegmentMeta forged = SegmentSignatures.sign(key.getPrivate(), stream, meta.toBuilder()
                .setSha256(ByteString.copyFrom(Shards.sha256(wrong))).clearSignature().build());
        // 2. The true metadata without its signature.
        SegmentMeta unsigned = meta.toBuilder().clearSignature().build();
        // 3. A segment dated an hour ahead (would push every honest segment out of a window), as signed as it can be.
        SegmentMeta future = SegmentSignatures.sign(key.getPrivate(), stream, meta.toBuilder().clearSignature()
                .setSequence(meta.getSequence() + FUTURE_SEQUENCE_OFFSET).setIngestTimeMillis(System.currentTimeMillis() + 3_600_000)
                .build());
        List<Shard> lies = List.of(
                Shards.of(forged, truth.getStripe(), wrong),
                Shards.of(unsigned, truth.getStripe(), wrong),
                Shards.of(future, truth.getStripe(), data),
                // 4. Last, the true signed metadata over wrong bytes with a CRC that matches them.
                Shards.of(meta, truth.getStripe(), wrong));
        for (ServerCallStreamObserver<ShardPushMessage> child : children.getOrDefault(stream + "/" + truth.getStripe(), List.of())) {
            synchronized (child) {
                for (Shard s : lies) {
                    try {
                        child.onNext(ShardPushMessage.newBuilder().setShard(s).build());
                        liesSent.incrementAndGet();
                    } catch (RuntimeException gone) {
                        break;
                    }
                }
            }
        }
    }

    private final class ControllerReceiver implements ClientResponseObserver<RelayMessage, ControllerMessage> {
        @Override
        public void beforeStart(ClientCallStreamObserver<RelayMessage> requestStream) {
            session = requestStream;
        }

        @Override
        public void onNext(ControllerMessage m) {
            if (m.hasAssignments()) {
                onAssignments(m.getAssignments());
            }
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            session.cancel("rogue leaves", null);
        } catch (RuntimeException ignored) {
            // already gone
        }
        controller.shutdownNow();
        parentChannels.values().forEach(ManagedChannel::shutdownNow);
        server.shutdownNow();
    }
}
