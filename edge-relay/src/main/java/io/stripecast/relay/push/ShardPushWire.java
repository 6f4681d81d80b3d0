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
import java.util.zip.CRC32C;

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

    /**
     * A message off the wire, the pooled array its shard's bytes are a view of (null without a shard), and the CRC32C
     * of those bytes taken as they were copied ({@link #UNKNOWN_CRC} when the message's layout did not allow it).
     */
    public record Received(ShardPushMessage message, HeldBytes bytes, long dataCrc) {
        public Received(ShardPushMessage message, HeldBytes bytes) {
            this(message, bytes, UNKNOWN_CRC);
        }
    }

    /** No CRC was taken while copying: the validator takes it. */
    public static final long UNKNOWN_CRC = -1;
    /** Read before the message's layout is looked at: a shard's metadata and stripe come first and are a few hundred bytes. */
    static final int HEAD_BYTES = 4096;
    /** Copied and then summed this much at a time, so the CRC reads bytes still in the core's cache. */
    static final int CHUNK_BYTES = 32 * 1024;

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
                CrcWhileCopying crc = new CrcWhileCopying();
                held = readWhole(stream, crc);
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
                return new Received(ShardPushMessage.newBuilder().setShard(shard).build(), held, crc.value(held));
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

        /**
         * The one copy, out of gRPC's frames into a pooled array: the head first, which shows where the shard's bytes
         * lie, then the rest a chunk at a time, each chunk's part of the shard summed into {@code crc} right after it
         * is copied (one pass over the bytes instead of two, issue 17).
         */
        private HeldBytes readWhole(InputStream stream, CrcWhileCopying crc) throws IOException {
            if (!(stream instanceof KnownLength)) {
                return HeldBytes.of(stream.readAllBytes());
            }
            int size = stream.available();
            HeldBytes held = pool.take(size);
            byte[] message = held.array();
            int read = 0;
            int head = Math.min(size, HEAD_BYTES);
            while (read < size) {
                int n = stream.read(message, read, Math.min(size, read < head ? head : read + CHUNK_BYTES) - read);
                if (n < 0) {
                    held.release();
                    throw new IOException("message ended after " + read + " of " + size + " bytes");
                }
                if (read >= head) {
                    crc.copied(message, read, read + n);
                } else if (read + n >= head) {
                    // The head is in: where the shard's bytes lie, and those of them already copied.
                    crc.expect(ShardDataField.find(message, read + n, size));
                    crc.copied(message, 0, read + n);
                }
                read += n;
            }
            return held;
        }
    }

    /** The CRC32C of a message's shard bytes, summed chunk by chunk as they are copied. */
    private static final class CrcWhileCopying {
        private final CRC32C crc = new CRC32C();
        private ShardDataField field;

        void expect(ShardDataField where) {
            field = where;
        }

        /** Bytes {@code [from, to)} of the message were just copied into {@code message}. */
        void copied(byte[] message, int from, int to) {
            if (field == null) {
                return;
            }
            int start = Math.max(from, field.start());
            int end = Math.min(to, field.end());
            if (end > start) {
                crc.update(message, start, end - start);
            }
        }

        /**
         * The sum, when the whole message confirms the field it was taken over is its only shard data (what the parser
         * made the shard's bytes); else {@link #UNKNOWN_CRC}.
         */
        long value(HeldBytes whole) {
            if (field == null || !field.equals(ShardDataField.find(whole.array(), whole.length(), whole.length()))) {
                return UNKNOWN_CRC;
            }
            return crc.getValue();
        }
    }
}
