package io.stripecast.relay.push;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.protocol.v1.ShardPushMessage;
import io.stripecast.protocol.v1.SubscribeRequest;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.net.Backoff;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.topology.ParentRef;
import io.stripecast.relay.window.HeldBytes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The child side of one stripe: a subscription to the parent from the first sequence this relay
 * lacks, re-opened with exponential backoff whenever the parent goes away.
 */
final class ParentLink {
    private static final Logger LOG = Logger.getLogger(ParentLink.class);

    private final StreamRuntime runtime;
    private final int stripe;
    private final ParentRef parent;
    private final ManagedChannel channel;
    private final String selfId;
    private final RelayMetrics metrics;
    private final ScheduledExecutorService timer;
    private final Backoff backoff;
    /** Subscribe, parsing shards into the relay's pooled arrays. */
    private final io.grpc.MethodDescriptor<SubscribeRequest, ShardPushWire.Received> subscribe;
    private ClientCallStreamObserver<SubscribeRequest> call;
    private boolean stopped;
    private boolean everConnected;

    ParentLink(StreamRuntime runtime, int stripe, ParentRef parent, ManagedChannel channel, String selfId,
               RelayMetrics metrics, ScheduledExecutorService timer, Duration initialBackoff, Duration maxBackoff) {
        this.runtime = runtime;
        this.stripe = stripe;
        this.parent = parent;
        this.channel = channel;
        this.selfId = selfId;
        this.metrics = metrics;
        this.timer = timer;
        this.backoff = new Backoff(initialBackoff, maxBackoff);
        this.subscribe = ShardPushWire.subscribe(runtime.window().buffers());
    }

    ParentRef parent() {
        return parent;
    }

    boolean feeds(StreamRuntime r) {
        return runtime == r;
    }

    synchronized void start() {
        subscribe();
    }

    synchronized void stop() {
        stopped = true;
        runtime.setReceiving(stripe, false);
        if (call != null) {
            call.cancel("reassigned", null);
        }
    }

    private synchronized void subscribe() {
        if (stopped) {
            return;
        }
        long from = runtime.window().firstLacking(stripe);
        SubscribeRequest request = SubscribeRequest.newBuilder()
                .setStream(runtime.spec().name())
                .setStripe(stripe)
                .setFromSequence(from)
                .setChildId(selfId)
                .build();
        // As for the controller session: our backoff decides when to retry, not the channel's own (which
        // grows to minutes and would keep a healed parent unreachable).
        channel.resetConnectBackoff();
        ClientCalls.asyncServerStreamingCall(channel.newCall(subscribe, CallOptions.DEFAULT), request, new Receiver());
    }

    private synchronized void scheduleReconnect(Status status) {
        runtime.setReceiving(stripe, false);
        call = null;
        if (stopped) {
            return;
        }
        // Whatever this relay forwards in this stripe must not wait for the parent to come back.
        runtime.assembler().upstreamLost(stripe);
        if (everConnected) {
            LOG.infof("stream %s stripe %d: parent %s gone (%s), reconnecting", runtime.spec().name(), stripe,
                    parent.relayId(), status.getCode());
            everConnected = false;
        }
        metrics.parentReconnect(runtime.spec().name(), stripe);
        timer.schedule(this::subscribe, backoff.nextDelayMillis(), TimeUnit.MILLISECONDS);
    }

    private final class Receiver implements ClientResponseObserver<SubscribeRequest, ShardPushWire.Received> {
        @Override
        public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
            synchronized (ParentLink.this) {
                call = requestStream;
            }
        }

        @Override
        public void onNext(ShardPushWire.Received received) {
            ShardPushMessage message = received.message();
            if (message.hasAccepted()) {
                synchronized (ParentLink.this) {
                    backoff.reset();
                    everConnected = true;
                }
                if (message.getAccepted().getK() != runtime.spec().k() || message.getAccepted().getM() != runtime.spec().m()) {
                    metrics.shardRejected(runtime.spec().name(), "wrong_params");
                    call.cancel("parent has other stream parameters", null);
                    return;
                }
                runtime.setReceiving(stripe, true);
                return;
            }
            if (message.hasShard() && accept(message.getShard(), received.bytes(), received.dataCrc())) {
                return;
            }
            if (received.bytes() != null) {
                received.bytes().release();
            }
        }

        /** True when the assembler took the shard, and with it its bytes; false for a refused one (its bytes are ours). */
        private boolean accept(Shard shard, HeldBytes bytes, long dataCrc) {
            String problem = runtime.validator().problem(shard, stripe, System.currentTimeMillis(), dataCrc);
            if (problem != null) {
                if (problem.equals("crc")) {
                    metrics.checksumFailure(runtime.spec().name(), "shard");
                } else {
                    metrics.shardRejected(runtime.spec().name(), problem);
                }
                return false;
            }
            runtime.assembler().accept(shard, bytes);
            return true;
        }

        @Override
        public void onError(Throwable t) {
            scheduleReconnect(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            scheduleReconnect(Status.UNAVAILABLE.withDescription("parent ended the stream"));
        }
    }
}
