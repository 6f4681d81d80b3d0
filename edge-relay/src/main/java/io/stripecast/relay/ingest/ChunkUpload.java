package io.stripecast.relay.ingest;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * One media segment's upload from ffmpeg's DASH muxer ({@code chunk-stream<N>-<n>.m4s}) between the thread that reads
 * it ({@link ChunkUploadReader}, on the connection's event loop) and the one that publishes it ({@link DashIngest}, on
 * a worker): the reader queues each part the moment it is whole, then the upload's end or why it was cut; the
 * publisher takes them in that order. Its media sequence is fixed when the upload opens.
 */
final class ChunkUpload {
    sealed interface Item permits Part, End, Cut {
    }

    /** A part's bytes (one or more whole fragments) and when it was whole here: it may wait for its init to be published. */
    record Part(byte[] bytes, long arrivalMillis) implements Item {
    }

    /** The upload ended after its last whole fragment. */
    record End() implements Item {
    }

    /** The upload stopped short; {@code reason} is a metric word. */
    record Cut(String reason) implements Item {
    }

    /** What the reader is told when the publisher is done with the upload (its answer) or refuses a part. */
    interface Listener {
        /** Every item was taken; {@code dropReason} null when the segment was published whole. */
        void done(String dropReason);

        /** A part was refused while the upload is still arriving: stop reading it. */
        void refused(String reason, String detail);
    }

    final int rendition;
    final long number;
    final long mediaSequence;
    final boolean discontinuity;
    final Queue<Item> items = new ConcurrentLinkedQueue<>();
    /** Set once an End or Cut is queued: nothing more will come. */
    volatile boolean finished;
    volatile Listener listener;

    // Publisher's side, only under DashIngest's lock.
    int partsPublished;
    long durationMicros;
    /** Why the rest of this segment is not published (a metric word), or null. */
    String dropped;
    long initSequence;
    /** Its segment's date by the rendition's {@link MediaClock}, learned from part 0; 0 when the parts have no tfdt. */
    long programDateTimeMillis;

    ChunkUpload(int rendition, long number, long mediaSequence, boolean discontinuity) {
        this.rendition = rendition;
        this.number = number;
        this.mediaSequence = mediaSequence;
        this.discontinuity = discontinuity;
    }

    void add(Item item) {
        if (item instanceof End || item instanceof Cut) {
            finished = true;
        }
        items.add(item);
    }
}
