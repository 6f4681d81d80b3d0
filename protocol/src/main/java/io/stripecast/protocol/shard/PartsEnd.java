package io.stripecast.protocol.shard;

import java.nio.charset.StandardCharsets;

/**
 * The body of a {@code SEGMENT_KIND_PARTS_END} entry: fixed, so that a relay checks its length, CRC and SHA-256 as for
 * every entry and the metadata alone says what it means (which segment ended, with how many parts, how long).
 */
public final class PartsEnd {
    private static final byte[] BODY = "#EXT-X-PARTS-END\n".getBytes(StandardCharsets.US_ASCII);

    private PartsEnd() {
    }

    public static byte[] body() {
        return BODY.clone();
    }

    public static int length() {
        return BODY.length;
    }
}
