package io.stripecast.protocol.codec;

import java.util.zip.CRC32C;

/** CRC-32C (Castagnoli) of shard and segment bytes, as the int carried on the wire. */
public final class Crc32c {

    private Crc32c() {
    }

    public static int of(byte[] b) {
        return of(b, 0, b.length);
    }

    public static int of(byte[] b, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(b, off, len);
        return (int) crc.getValue();
    }

    /** CRC32C of a buffer's remaining bytes, without copying them; the buffer's position is unchanged. */
    public static int of(java.nio.ByteBuffer buffer) {
        CRC32C crc = new CRC32C();
        crc.update(buffer.duplicate());
        return (int) crc.getValue();
    }
}
