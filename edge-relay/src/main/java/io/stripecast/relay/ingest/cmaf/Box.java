package io.stripecast.relay.ingest.cmaf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One ISO-BMFF box inside a byte array: its four-character type and where its header and body lie. {@link #children}
 * reads a run of boxes and refuses any size that does not fit (a lying size must never make a reader run past its
 * parent or loop forever).
 */
public record Box(String type, int start, int bodyStart, int end) {

    public int bodyLength() {
        return end - bodyStart;
    }

    /** The boxes that exactly fill {@code [from, to)} of {@code b}. */
    public static List<Box> children(byte[] b, int from, int to) throws CmafException {
        List<Box> out = new ArrayList<>();
        int at = from;
        while (at < to) {
            if (to - at < 8) {
                throw new CmafException("bad_box", "a box header is cut off at offset " + at);
            }
            long size = u32(b, at);
            String type = type(b, at + 4);
            int header = 8;
            if (size == 1) {
                if (to - at < 16) {
                    throw new CmafException("bad_box", "a 64-bit box size is cut off at offset " + at);
                }
                size = u64(b, at + 8);
                header = 16;
            } else if (size == 0) {
                size = to - at;
            }
            if (size < header || size > to - at) {
                throw new CmafException("bad_box", "box '" + printable(type) + "' at offset " + at + " claims " + size
                        + " bytes where " + (to - at) + " remain");
            }
            out.add(new Box(type, at, at + header, at + (int) size));
            at += (int) size;
        }
        return out;
    }

    /** The first child of this box's body of the given type, or null. */
    public Box child(byte[] b, String wanted) throws CmafException {
        for (Box c : children(b, bodyStart, end)) {
            if (c.type.equals(wanted)) {
                return c;
            }
        }
        return null;
    }

    static long u32(byte[] b, int at) {
        return ((b[at] & 0xffL) << 24) | ((b[at + 1] & 0xffL) << 16) | ((b[at + 2] & 0xffL) << 8) | (b[at + 3] & 0xffL);
    }

    static long u64(byte[] b, int at) {
        return (u32(b, at) << 32) | u32(b, at + 4);
    }

    static String type(byte[] b, int at) {
        return new String(b, at, 4, StandardCharsets.ISO_8859_1);
    }

    /** A box type for a message: never more than four characters, nothing that could forge a log line. */
    static String printable(String type) {
        StringBuilder s = new StringBuilder(4);
        for (char c : type.toCharArray()) {
            s.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return s.toString();
    }
}
