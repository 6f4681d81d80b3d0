package io.stripecast.relay.push;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.protocol.v1.ShardPushMessage;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowEntry;
import io.stripecast.relay.window.ShardListener;

import java.util.TreeSet;

/**
 * One child's subscription to one stripe: a bounded queue of sequences to send, drained only while
 * gRPC says the child can take more ({@code isReady}). A child that falls behind the window, or
 * whose queue overflows, is cut off with RESOURCE_EXHAUSTED; its siblings never wait for it.
 */
final class ChildStream implements ShardListener {
    private final ServerCallStreamObserver<ShardPushMessage> observer;
    private final SegmentWindow window;
    private final int stripe;
    private final long firstSequence;
    private final int queueBound;
    private final RelayMetrics metrics;
    private final RelayMetrics.StripeMeters meters;
    private final String stream;
    private final TreeSet<Long> pending = new TreeSet<>();
    /** Sequences already sent, trimmed to the window, so a shard is never sent twice. */
    private final TreeSet<Long> sent = new TreeSet<>();
    private boolean closed;

    ChildStream(ServerCallStreamObserver<ShardPushMessage> observer, SegmentWindow window, int stripe,
                long firstSequence, int queueBound, RelayMetrics metrics) {
        this.observer = observer;
        this.window = window;
        this.stripe = stripe;
        this.firstSequence = firstSequence;
        this.queueBound = queueBound;
        this.metrics = metrics;
        this.stream = window.spec().name();
        this.meters = metrics.stripe(stream, stripe);
    }

    /** Registers for live shards first, then queues what the window already holds: nothing slips between. */
    void start() {
        observer.setOnCancelHandler(this::close);
        observer.setOnReadyHandler(this::drain);
        window.addListener(stripe, this);
        synchronized (this) {
            pending.addAll(window.heldFrom(stripe, firstSequence));
        }
        drain();
    }

    /** It was sent every shard held from its first sequence on, so it lacks only what is missing from there. */
    @Override
    public long wantsFrom() {
        return firstSequence;
    }

    @Override
    public void onShard(long sequence) {
        synchronized (this) {
            if (closed || sequence < firstSequence || sent.contains(sequence)) {
                return;
            }
            pending.add(sequence);
            if (pending.size() > queueBound) {
                cutOff("child queue exceeded " + queueBound + " shards");
                return;
            }
        }
        drain();
    }

    synchronized void drain() {
        while (!closed && observer.isReady() && !pending.isEmpty()) {
            long seq = pending.pollFirst();
            // Inside the entry while gRPC copies the shard's bytes into its own buffers (onNext returns after that):
            // the array they are a view of is not given back meanwhile.
            WindowEntry entry = window.enter(seq);
            Shard shard = entry == null ? null : window.shard(seq, stripe);
            if (shard == null) {
                if (entry != null) {
                    entry.exit();
                }
                if (seq < window.evictedBelow()) {
                    cutOff("child fell behind the window (sequence " + seq + " evicted)");
                }
                continue;
            }
            try {
                observer.onNext(ShardPushMessage.newBuilder().setShard(shard).build());
            } finally {
                entry.exit();
            }
            sent.add(seq);
            meters.shardOut(shard.getData().size());
        }
        long floor = window.evictedBelow();
        while (!sent.isEmpty() && sent.first() < floor) {
            sent.pollFirst();
        }
    }

    private void cutOff(String why) {
        if (closed) {
            return;
        }
        metrics.slowChildCutOff(stream);
        closeQuietly();
        try {
            observer.onError(Status.RESOURCE_EXHAUSTED.withDescription(why).asRuntimeException());
        } catch (RuntimeException alreadyGone) {
            // The call was cancelled concurrently; nothing left to tell the child.
        }
    }

    private synchronized void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        if (!closed) {
            closed = true;
            pending.clear();
            window.removeListener(stripe, this);
            metrics.subscriptionClosed();
        }
    }
}
