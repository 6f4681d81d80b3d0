package io.stripecast.relay.ingest.cmaf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cuts a CMAF segment into parts while its upload arrives, in chunks of any size: a part is every top-level box up to
 * and including a complete {@code mdat} that follows a {@code moof}. Boxes before the first {@code moof} (ffmpeg's
 * {@code styp}, a {@code sidx} or {@code prft}) belong to part 0, as they belong to the segment's first fragment.
 *
 * <p>Only top-level box headers are read here; what a fragment says (durations, key frames) is {@link Fragments}'
 * job once the part is whole. Every size is checked the moment its header is in, before its body is buffered: a box
 * smaller than its header, a box of size 0 ("to the end of the file", which a stream cannot promise), a box larger
 * than a segment may be, a part larger than a part may be, more parts than a segment may have, an upload larger than a
 * segment may be. Memory is therefore bounded by one part.
 */
public final class BoxCutter {
    private final int maxPartBytes;
    private final long maxSegmentBytes;
    private final int maxParts;

    /** The current part's bytes so far (complete boxes plus the box being read). */
    private byte[] part = new byte[0];
    private int partLength;
    /** The header of the box being read: 8 bytes, or 16 with a 64-bit size. */
    private final byte[] header = new byte[16];
    private int headerLength;
    /** Bytes of the current box's body still to come; -1 while its header is incomplete. */
    private long bodyRemaining = -1;
    private String boxType;
    private boolean partHasMoof;
    private long total;
    private int parts;

    public BoxCutter(int maxPartBytes, long maxSegmentBytes, int maxParts) {
        this.maxPartBytes = maxPartBytes;
        this.maxSegmentBytes = maxSegmentBytes;
        this.maxParts = maxParts;
    }

    /** Takes the next bytes of the upload; returns the parts they completed, in order (usually none or one). */
    public List<byte[]> feed(byte[] chunk, int offset, int length) throws CmafException {
        total += length;
        if (total > maxSegmentBytes) {
            throw new CmafException("too_large", "the segment is larger than " + maxSegmentBytes + " bytes");
        }
        List<byte[]> done = List.of();
        int at = offset;
        int end = offset + length;
        while (at < end) {
            if (bodyRemaining < 0) {
                at = readHeader(chunk, at, end);
                continue;
            }
            int n = (int) Math.min(bodyRemaining, end - at);
            System.arraycopy(chunk, at, part, partLength, n);
            partLength += n;
            bodyRemaining -= n;
            at += n;
            if (bodyRemaining == 0) {
                byte[] whole = boxEnded();
                if (whole != null) {
                    if (done.isEmpty()) {
                        done = new ArrayList<>(1);
                    }
                    done.add(whole);
                }
            }
        }
        return done;
    }

    /** The upload ended: anything after the last whole fragment means it was cut short or is not a CMAF segment. */
    public void finish() throws CmafException {
        if (headerLength > 0 || bodyRemaining >= 0) {
            throw new CmafException("truncated", "the upload ended inside box '" + (boxType == null ? "?" : Box.printable(boxType)) + "'");
        }
        if (partLength > 0) {
            throw new CmafException("truncated", "the upload ended with " + partLength + " bytes after its last whole fragment");
        }
        if (parts == 0) {
            throw new CmafException("empty", "the upload held no fragment (moof + mdat)");
        }
    }

    /** Parts cut so far. */
    public int parts() {
        return parts;
    }

    private int readHeader(byte[] chunk, int at, int end) throws CmafException {
        int want = headerLength < 8 ? 8 : 16;
        int n = Math.min(want - headerLength, end - at);
        System.arraycopy(chunk, at, header, headerLength, n);
        headerLength += n;
        at += n;
        if (headerLength < 8) {
            return at;
        }
        long size = Box.u32(header, 0);
        boxType = Box.type(header, 4);
        if (size == 1 && headerLength < 16) {
            return at;
        }
        int headerSize = size == 1 ? 16 : 8;
        if (size == 1) {
            size = Box.u64(header, 8);
        }
        if (size == 0) {
            throw new CmafException("box_size", "box '" + Box.printable(boxType) + "' has size 0 (to the end of the file), which a live upload cannot have");
        }
        if (size < headerSize) {
            throw new CmafException("box_size", "box '" + Box.printable(boxType) + "' claims " + size + " bytes, less than its own header");
        }
        if (size > maxSegmentBytes) {
            throw new CmafException("too_large", "box '" + Box.printable(boxType) + "' claims " + size + " bytes, more than a segment may have ("
                    + maxSegmentBytes + ")");
        }
        if (partLength + size > maxPartBytes) {
            throw new CmafException("part_too_large", "a part would be larger than " + maxPartBytes + " bytes (box '"
                    + Box.printable(boxType) + "' of " + size + " bytes)");
        }
        if (boxType.equals("mdat") && !partHasMoof) {
            throw new CmafException("bad_fragment", "an mdat without a moof before it");
        }
        ensureRoom(partLength + (int) size);
        System.arraycopy(header, 0, part, partLength, headerSize);
        partLength += headerSize;
        headerLength = 0;
        bodyRemaining = size - headerSize;
        if (bodyRemaining == 0) {
            // An empty box (a bare header) is whole at once; an empty mdat ends its fragment like any other.
            byte[] whole = boxEnded();
            if (whole != null) {
                throw new CmafException("bad_fragment", "an empty mdat");
            }
        }
        return at;
    }

    /** The box being read is whole; returns the part it completes, or null. */
    private byte[] boxEnded() throws CmafException {
        bodyRemaining = -1;
        if (boxType.equals("moof")) {
            partHasMoof = true;
            return null;
        }
        if (!boxType.equals("mdat")) {
            return null;
        }
        if (parts == maxParts) {
            throw new CmafException("too_many_parts", "a segment has more than " + maxParts + " parts");
        }
        byte[] whole = Arrays.copyOf(part, partLength);
        partLength = 0;
        partHasMoof = false;
        parts++;
        return whole;
    }

    private void ensureRoom(int needed) {
        if (part.length < needed) {
            // Grows to the part's size, not past it: the limit was checked against the declared box size.
            part = Arrays.copyOf(part, Math.max(needed, Math.min(maxPartBytes, part.length * 2)));
        }
    }
}
