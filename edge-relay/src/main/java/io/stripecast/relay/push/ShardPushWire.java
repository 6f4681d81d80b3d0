package io.stripecast.relay.push;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.stripecast.protocol.v1.ShardPushGrpc;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.protocol.v1.ShardPushMessage;
import io.stripecast.protocol.v1.SubscribeRequest;
import io.stripecast.relay.window.BufferPool;
import io.stripecast.relay.window.HeldBytes;

import java.io.IOException;
import java.io.InputStream;

/**
 * The child's end of {@code ShardPush.Subscribe} with a response marshaller that copies a shard once, into an array of
 * the relay's {@link BufferPool}.
 *
 * <p>gRPC's protobuf marshaller reads a message into a thread-local buffer and parses it from there, which copies a
 * shard's bytes a second time into its {@code ByteString}. This one reads the message into a pooled array (the one
 * copy: out of gRPC's frames) and parses it with aliasing on, so the shard's {@code ByteString} is a view of that
 * array, which travels with it as {@link Received#bytes()} to the window that gives it back. The array is never
 * written while held, so the view stays immutable as a ByteString must. The metadata is copied out (a few hundred
 * bytes): it is kept and read long after the shard (trust caches, playlists), so it must not alias an array that is
 * reused; unknown fields of a shard are dropped for the same reason (a relay forwards what it understands). Sizes are
 * bounded before this runs: the channel's {@code maxInboundMessageSize} refuses a larger message.
 */
public final class ShardPushWire {
    private ShardPushWire() {
    }

    /** A message off the wire, and the pooled array its shard's bytes are a view of (null without a shard). */
    public record Received(ShardPushMessage message, HeldBytes bytes) {
    }

    /** Subscribe, as the generated stub describes it, but parsing responses into {@code pool}'s arrays. */
    static MethodDescriptor<SubscribeRequest, Received> subscribe(BufferPool pool) {
        return ShardPushGrpc.getSubscribeMethod()
                .toBuilder(ProtoUtils.marshaller(SubscribeRequest.getDefaultInstance()), new OneCopyParser(pool))
                .build();
    }

    /** Parses {@link ShardPushMessage}s with the shard's bytes a view of one pooled array per message. */
    public static final class OneCopyParser implements MethodDescriptor.Marshaller<Received> {
        private final MethodDescriptor.Marshaller<ShardPushMessage> standard = ProtoUtils.marshaller(ShardPushMessage.getDefaultInstance());
        private final BufferPool pool;

        public OneCopyParser(BufferPool pool) {
            this.pool = pool;
        }

        @Override
        public InputStream stream(Received value) {
            return standard.stream(value.message());
        }

        @Override
        public Received parse(InputStream stream) {
            HeldBytes held = null;
            try {
                held = readWhole(stream);
                // A decoder over an array it may treat as immutable: only then does aliasing make bytes fields views
                // (CodedInputStream.newInstance(byte[]) copies them whatever enableAliasing says).
                CodedInputStream in = UnsafeByteOperations.unsafeWrap(held.array(), 0, held.length()).newCodedInput();
                in.enableAliasing(true);
                ShardPushMessage parsed = ShardPushMessage.parseFrom(in);
                in.checkLastTagWas(0);
                if (!parsed.hasShard()) {
                    held.release();
                    return new Received(parsed, null);
                }
                Shard aliased = parsed.getShard();
                Shard shard = Shard.newBuilder()
                        .setSegment(SegmentMeta.parseFrom(aliased.getSegment().toByteArray()))
                        .setStripe(aliased.getStripe())
                        .setData(aliased.getData())
                        .setCrc32C(aliased.getCrc32C())
                        .build();
                return new Received(ShardPushMessage.newBuilder().setShard(shard).build(), held);
            } catch (InvalidProtocolBufferException e) {
                release(held);
                throw Status.INTERNAL.withDescription("invalid shard push message").withCause(e).asRuntimeException();
            } catch (IOException e) {
                release(held);
                throw Status.INTERNAL.withDescription("cannot read shard push message").withCause(e).asRuntimeException();
            }
        }

        private static void release(HeldBytes held) {
            if (held != null) {
                held.release();
            }
        }

        private HeldBytes readWhole(InputStream stream) throws IOException {
            if (!(stream instanceof KnownLength)) {
                return HeldBytes.of(stream.readAllBytes());
            }
            int size = stream.available();
            HeldBytes held = pool.take(size);
            byte[] message = held.array();
            int read = 0;
            while (read < size) {
                int n = stream.read(message, read, size - read);
                if (n < 0) {
                    held.release();
                    throw new IOException("message ended after " + read + " of " + size + " bytes");
                }
                read += n;
            }
            return held;
        }
    }
}
