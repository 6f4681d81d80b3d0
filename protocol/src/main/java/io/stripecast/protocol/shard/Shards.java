package io.stripecast.protocol.shard;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.stripecast.protocol.codec.Crc32c;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Builds shard messages from codec output: the one place a shard gets its CRC32C. */
public final class Shards {
    private Shards() {
    }

    public static Shard of(SegmentMeta meta, int stripe, byte[] data) {
        return Shard.newBuilder()
                .setSegment(meta)
                .setStripe(stripe)
                .setData(ByteString.copyFrom(data))
                .setCrc32C(Crc32c.of(data))
                .build();
    }

    /**
     * A shard over {@code data} itself, not a copy: the caller hands the array over and never writes it again (a
     * {@code ByteString} must not change). For arrays the codec has just made, which nobody else holds.
     */
    public static Shard owning(SegmentMeta meta, int stripe, byte[] data) {
        return owning(meta, stripe, data, data.length);
    }

    /** As {@link #owning(SegmentMeta, int, byte[])} over {@code data[0, length)} (an array of a pool, longer than that). */
    public static Shard owning(SegmentMeta meta, int stripe, byte[] data, int length) {
        return Shard.newBuilder()
                .setSegment(meta)
                .setStripe(stripe)
                .setData(UnsafeByteOperations.unsafeWrap(data, 0, length))
                .setCrc32C(Crc32c.of(data, 0, length))
                .build();
    }

    /** All k + m shards of a segment, encoded with the given codec (the codec's new arrays, not copied again). */
    public static Shard[] encode(StripeCodec codec, SegmentMeta meta, byte[] segment) {
        byte[][] parts = codec.encode(segment);
        Shard[] out = new Shard[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = owning(meta, i, parts[i]);
        }
        return out;
    }

    public static boolean crcMatches(Shard shard) {
        // A read-only view: no copy of a shard that may be megabytes.
        return Crc32c.of(shard.getData().asReadOnlyByteBuffer()) == shard.getCrc32C();
    }

    public static byte[] sha256(byte[] bytes) {
        return sha256(bytes, 0, bytes.length);
    }

    /** Of {@code bytes[offset, offset + length)}: a segment in an array of the relay's pool is shorter than its array. */
    public static byte[] sha256(byte[] bytes, int offset, int length) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(bytes, offset, length);
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }
}
