package io.stripecast.relay.push;

/**
 * Where a serialised {@code ShardPushMessage}'s shard bytes lie, found from its tags alone (no copy, no parse), so the
 * receive can take their CRC32C as it copies them ({@link ShardPushWire}).
 *
 * <p>Only the canonical layout is recognised: the message is one {@code shard} field (2) spanning the rest of it, and
 * inside it one {@code data} field (3). Anything else (an {@code accepted} message, fields protobuf would merge or let
 * the last win, a header longer than what is read) yields null, and the CRC is taken the ordinary way after parsing.
 */
record ShardDataField(int start, int length) {
    private static final int SHARD_TAG = 2 << 3 | 2;
    private static final int DATA_FIELD = 3;

    /**
     * The data field of a message of {@code size} bytes of which the first {@code known} are in {@code message}; null
     * when they do not show it. With {@code known < size} the first data field is returned, a guess to be confirmed
     * with {@code known == size}, which also requires it to be the only one.
     */
    static ShardDataField find(byte[] message, int known, int size) {
        Cursor c = new Cursor(message, known);
        if (c.varint() != SHARD_TAG) {
            return null;
        }
        long shardLength = c.varint();
        if (shardLength < 0 || c.at + shardLength != size) {
            return null;
        }
        ShardDataField found = null;
        while (c.at < size) {
            long tag = c.varint();
            if (tag < 0) {
                return null;
            }
            int wireType = (int) (tag & 7);
            long field = tag >>> 3;
            if (wireType == 0) {
                if (c.varint() < 0) {
                    return null;
                }
            } else if (wireType == 2) {
                long length = c.varint();
                if (length < 0 || length > size - c.at) {
                    return null;
                }
                if (field == DATA_FIELD) {
                    if (found != null) {
                        return null;
                    }
                    found = new ShardDataField(c.at, (int) length);
                    if (known < size) {
                        return found;
                    }
                }
                if (!c.skip(length)) {
                    return null;
                }
            } else if (wireType == 1 || wireType == 5) {
                if (!c.skip(wireType == 1 ? 8 : 4)) {
                    return null;
                }
            } else {
                return null;
            }
        }
        return found;
    }

    int end() {
        return start + length;
    }

    /** Reads varints within the first {@code limit} bytes; -1 past them or for one longer than 64 bits. */
    private static final class Cursor {
        private final byte[] bytes;
        private final int limit;
        int at;

        Cursor(byte[] bytes, int limit) {
            this.bytes = bytes;
            this.limit = limit;
        }

        long varint() {
            long value = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (at >= limit) {
                    return -1;
                }
                byte b = bytes[at++];
                value |= (long) (b & 0x7f) << shift;
                if (b >= 0) {
                    return value < 0 ? -1 : value;
                }
            }
            return -1;
        }

        boolean skip(long n) {
            if (n > limit - at) {
                return false;
            }
            at += (int) n;
            return true;
        }
    }
}
