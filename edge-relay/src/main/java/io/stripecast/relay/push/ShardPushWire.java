package io.stripecast.relay.push;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.stripecast.protocol.v1.ShardPushGrpc;
import io.stripecast.protocol.v1.ShardPushMessage;
import io.stripecast.protocol.v1.SubscribeRequest;

import java.io.IOException;
import java.io.InputStream;

/**
 * The child's end of {@code ShardPush.Subscribe} with a response marshaller that copies a shard once.
 *
 * <p>gRPC's protobuf marshaller reads a message into a thread-local buffer and parses it from there, which copies a
 * shard's bytes a second time into its {@code ByteString}. This one reads the message into a buffer of its own (the
 * one copy: out of gRPC's frames) and parses it with aliasing on, so the shard's {@code ByteString} is a view of that
 * buffer. The buffer is never written again after parsing, so the view stays immutable as a ByteString must. Sizes
 * are bounded before this runs: the channel's {@code maxInboundMessageSize} refuses a larger message.
 */
public final class ShardPushWire {
    private ShardPushWire() {
    }

    /** Subscribe, as the generated stub describes it, but parsing responses with {@link OneCopyParser}. */
    static final MethodDescriptor<SubscribeRequest, ShardPushMessage> SUBSCRIBE = ShardPushGrpc.getSubscribeMethod()
            .toBuilder(ProtoUtils.marshaller(SubscribeRequest.getDefaultInstance()), new OneCopyParser())
            .build();

    /** Parses {@link ShardPushMessage}s with their bytes fields aliasing one buffer per message. */
    public static final class OneCopyParser implements MethodDescriptor.Marshaller<ShardPushMessage> {
        private final MethodDescriptor.Marshaller<ShardPushMessage> standard = ProtoUtils.marshaller(ShardPushMessage.getDefaultInstance());

        @Override
        public InputStream stream(ShardPushMessage value) {
            return standard.stream(value);
        }

        @Override
        public ShardPushMessage parse(InputStream stream) {
            try {
                byte[] message = readWhole(stream);
                // A decoder over an array it may treat as immutable: only then does aliasing make bytes fields views
                // (CodedInputStream.newInstance(byte[]) copies them whatever enableAliasing says).
                CodedInputStream in = UnsafeByteOperations.unsafeWrap(message).newCodedInput();
                in.enableAliasing(true);
                ShardPushMessage parsed = ShardPushMessage.parseFrom(in);
                in.checkLastTagWas(0);
                return parsed;
            } catch (InvalidProtocolBufferException e) {
                throw Status.INTERNAL.withDescription("invalid shard push message").withCause(e).asRuntimeException();
            } catch (IOException e) {
                throw Status.INTERNAL.withDescription("cannot read shard push message").withCause(e).asRuntimeException();
            }
        }

        private static byte[] readWhole(InputStream stream) throws IOException {
            if (stream instanceof KnownLength) {
                int size = stream.available();
                byte[] message = new byte[size];
                int read = 0;
                while (read < size) {
                    int n = stream.read(message, read, size - read);
                    if (n < 0) {
                        throw new IOException("message ended after " + read + " of " + size + " bytes");
                    }
                    read += n;
                }
                return message;
            }
            return stream.readAllBytes();
        }
    }
}
