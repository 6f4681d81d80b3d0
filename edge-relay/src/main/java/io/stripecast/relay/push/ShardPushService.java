package io.stripecast.relay.push;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.stripecast.protocol.v1.ShardPushGrpc;
import io.stripecast.protocol.v1.ShardPushMessage;
import io.stripecast.protocol.v1.SubscribeAccepted;
import io.stripecast.protocol.v1.SubscribeRequest;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.protocol.Names;
import io.stripecast.protocol.trust.PeerIdentity;
import io.stripecast.protocol.trust.PeerIdentityInterceptor;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.topology.AssignmentSource;
import io.stripecast.relay.window.SegmentWindow;

import java.util.Optional;
import java.util.function.Supplier;

/** The parent side of the data plane: validates a child's subscription and starts its {@link ChildStream}. */
public final class ShardPushService extends ShardPushGrpc.ShardPushImplBase {
    /** Sequences are assigned from a clock-based base; anything beyond 2^53 is nonsense. */
    private static final long MAX_SEQUENCE = 1L << 53;

    private final StreamRegistry streams;
    private final RelayMetrics metrics;
    private final Supplier<AssignmentSource> assignments;
    private final int queueBound;
    private volatile boolean draining;

    public ShardPushService(StreamRegistry streams, RelayMetrics metrics, Supplier<AssignmentSource> assignments, int queueBound) {
        this.streams = streams;
        this.metrics = metrics;
        this.assignments = assignments;
        this.queueBound = queueBound;
    }

    public void setDraining(boolean draining) {
        this.draining = draining;
    }

    @Override
    public void subscribe(SubscribeRequest request, StreamObserver<ShardPushMessage> responseObserver) {
        Status refusal = check(request);
        if (refusal != null) {
            responseObserver.onError(refusal.asRuntimeException());
            return;
        }
        StreamRuntime runtime = streams.find(request.getStream()).orElseThrow();
        SegmentWindow window = runtime.window();
        long windowStart = window.firstSequence();
        long first = Math.max(request.getFromSequence(), Math.max(windowStart, window.evictedBelow()));
        var observer = (ServerCallStreamObserver<ShardPushMessage>) responseObserver;
        observer.onNext(ShardPushMessage.newBuilder().setAccepted(SubscribeAccepted.newBuilder()
                .setWindowStart(windowStart)
                .setWindowEnd(window.lastSequence())
                .setFirstSequence(first)
                .setK(runtime.spec().k())
                .setM(runtime.spec().m())).build());
        metrics.subscriptionOpened();
        new ChildStream(observer, window, request.getStripe(), first, queueBound, metrics).start();
        // What this relay holds complete but lacks in the stripe (orphaned meanwhile) is regenerated for the child.
        runtime.assembler().childSubscribed(request.getStripe(), first);
    }

    private Status check(SubscribeRequest r) {
        if (!Names.isStreamName(r.getStream())) {
            return reject("bad_stream_name", Status.INVALID_ARGUMENT, "stream name must match [A-Za-z0-9][A-Za-z0-9_-]{0,63}");
        }
        if (!Names.isRelayId(r.getChildId())) {
            return reject("bad_child_id", Status.INVALID_ARGUMENT, "child_id must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}");
        }
        // With mutual TLS the child is who its certificate says, whatever the request claims.
        Optional<PeerIdentity> peer = PeerIdentityInterceptor.current();
        if (peer.isPresent() && (peer.get().isController() || !peer.get().relayId().equals(r.getChildId()))) {
            return reject("identity_mismatch", Status.PERMISSION_DENIED,
                    "child_id " + r.getChildId() + " is not the certificate's identity (" + peer.get() + ")");
        }
        if (r.getFromSequence() < 0 || r.getFromSequence() > MAX_SEQUENCE) {
            return reject("bad_sequence", Status.INVALID_ARGUMENT, "from_sequence out of range");
        }
        Optional<StreamRuntime> runtime = streams.find(r.getStream());
        if (runtime.isEmpty()) {
            return reject("unknown_stream", Status.NOT_FOUND, "stream " + r.getStream() + " is not carried here");
        }
        int stripes = runtime.get().spec().stripes();
        if (r.getStripe() >= stripes) {
            return reject("bad_stripe", Status.INVALID_ARGUMENT, "stripe " + r.getStripe() + " not in [0, " + stripes + ")");
        }
        if (draining) {
            return reject("draining", Status.UNAVAILABLE, "relay is draining");
        }
        if (!assignments.get().mayServe(r.getStream(), r.getStripe(), r.getChildId())) {
            return reject("wrong_parent", Status.FAILED_PRECONDITION,
                    r.getChildId() + " is not this relay's child in stripe " + r.getStripe());
        }
        return null;
    }

    private Status reject(String reason, Status status, String description) {
        metrics.subscribeRejected(reason);
        return status.withDescription(description);
    }
}
