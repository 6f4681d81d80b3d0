package io.stripecast.relay.push;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.stub.ServerCallStreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.protocol.v1.ShardPushMessage;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.stream.StreamSpec;
import io.stripecast.relay.window.BufferPool;
import io.stripecast.relay.window.HeldBytes;
import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowMemory;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A child stream sends a shard whose bytes are a view of a pooled array; the send (gRPC copying the message into its
 * own buffers) may run while the segment leaves the window and the pool hands arrays out again. Here the child's send
 * is as slow as it gets: while it runs, the segment is pushed out and every array of its class is taken (the pool is
 * poisoned: an array given back is overwritten at once). What the child was sent must still be the true shard.
 */
class SlowChildBufferTest {
    private static final int LENGTH = 200_001;
    private final BufferPool pool = new BufferPool(64L << 20, true);
    private final SegmentWindow window = new SegmentWindow(
            new StreamSpec("slow", 2, 1, Duration.ofSeconds(10), Optional.empty(), Optional.empty(), Duration.ofSeconds(1)),
            1L << 30, new WindowMemory(Long.MAX_VALUE, 10_000, WindowMemory.Events.NONE, pool));
    private final StripeCodec codec = new StripeCodec(2, 1);
    private final long now = System.currentTimeMillis();

    private Shard[] truth(long seq, long ingestMillis, long seed) {
        byte[] segment = new byte[LENGTH];
        new Random(seed).nextBytes(segment);
        SegmentMeta meta = SegmentMeta.newBuilder().setSequence(seq).setKind(SegmentKind.SEGMENT_KIND_MPEG_TS).setMediaSequence(seq)
                .setDurationMicros(1_000_000).setLength(LENGTH).setIngestTimeMillis(ingestMillis)
                .setSha256(com.google.protobuf.ByteString.copyFrom(Shards.sha256(segment))).setK(2).setM(1).build();
        return Shards.encode(codec, meta, segment);
    }

    /** Offers a shard as the wire parser hands it over: a view of a pooled array. */
    private void offerReceived(Shard truth) {
        byte[] data = truth.getData().toByteArray();
        HeldBytes held = pool.take(data.length);
        System.arraycopy(data, 0, held.array(), 0, data.length);
        window.offer(truth.toBuilder().setData(UnsafeByteOperations.unsafeWrap(held.array(), 0, data.length)).build(), held);
    }

    @Test
    void aChildWhoseSendOutlastsItsSegmentInTheWindowIsSentTheTrueShard() {
        Shard[] first = truth(1, now, 1);
        java.util.Map<Long, byte[]> sent = new java.util.HashMap<>();
        List<byte[]> taken = new ArrayList<>();
        ServerCallStreamObserver<ShardPushMessage> slowChild = new ServerCallStreamObserver<>() {
            @Override
            public void onNext(ShardPushMessage message) {
                if (message.getShard().getSegment().getSequence() == 1) {
                    // The send is slow: meanwhile a newer segment pushes this one out of the window ...
                    for (Shard s : truth(2, now + 11_000, 2)) {
                        offerReceived(s);
                    }
                    assertThat(window.entry(1)).as("segment 1 left the window during the send").isNull();
                    // ... and arrays of its class are handed out again, as many as the pool has.
                    long misses = pool.misses();
                    while (pool.misses() == misses) {
                        taken.add(pool.take(first[2].getData().size()).array());
                    }
                }
                // What gRPC's marshaller copies out now (segment 2 may be sent within this call: the window tells the
                // child of it as it arrives).
                sent.put(message.getShard().getSegment().getSequence(), message.getShard().getData().toByteArray());
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }

            @Override
            public boolean isCancelled() {
                return false;
            }

            @Override
            public void setOnCancelHandler(Runnable onCancelHandler) {
            }

            @Override
            public void setCompression(String compression) {
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setOnReadyHandler(Runnable onReadyHandler) {
            }

            @Override
            public void request(int count) {
            }

            @Override
            public void setMessageCompression(boolean enable) {
            }

            @Override
            public void disableAutoInboundFlowControl() {
            }
        };
        // Parity (stripe 2): a received shard that stays a view of its own message, the array given back when the entry goes.
        offerReceived(first[2]);
        new ChildStream(slowChild, window, 2, 1, 16, new RelayMetrics(new SimpleMeterRegistry())).start();

        assertThat(sent).containsKey(1L);
        assertThat(sent.get(1L)).as("segment 1's shard as sent").isEqualTo(first[2].getData().toByteArray());
        assertThat(taken).as("the pool handed arrays out during the send").isNotEmpty();
    }
}
