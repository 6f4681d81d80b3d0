package io.stripecast.relay.ingest;

import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.push.ShardValidator;

import java.nio.charset.StandardCharsets;

/**
 * A stream's ladder as its ingest last published it (the HLS and DASH paths alike): published when its text changes,
 * and again when asked to, because a window forgets old entries and an edge joining later must still find one.
 * One bound for every path: a ladder over {@link ShardValidator#MAX_RENDITIONS_BYTES} would be refused by every relay,
 * so it is dropped here and counted.
 */
final class LadderPublication {
    private final String stream;
    private final SegmentPublisher publisher;
    private final RelayMetrics metrics;
    /** The text last published; null before the first, and after a run ended (its window is released). */
    private String published;
    private long publishedMillis;

    LadderPublication(String stream, SegmentPublisher publisher, RelayMetrics metrics) {
        this.stream = stream;
        this.publisher = publisher;
        this.metrics = metrics;
    }

    /** Publishes {@code text} when it differs from the last published, or whatever it says when {@code again}. */
    void publish(String text, long nowMillis, boolean again) {
        if (!again && text.equals(published)) {
            return;
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > ShardValidator.MAX_RENDITIONS_BYTES) {
            metrics.ingestDropped(stream, "ladder_too_large");
            return;
        }
        publisher.publishRenditions(bytes, nowMillis);
        published = text;
        publishedMillis = nowMillis;
    }

    boolean isPublished() {
        return published != null;
    }

    /** A ladder was published and is older than {@code everyMillis}: time to publish it again. */
    boolean dueAgain(long nowMillis, long everyMillis) {
        return published != null && nowMillis - publishedMillis >= everyMillis;
    }

    /** The run ended: the next run's ladder is published even if it reads the same. */
    void forget() {
        published = null;
    }
}
