package io.stripecast.relay.playback;

import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowEntry;

import java.nio.charset.StandardCharsets;

/**
 * A stream's rendition ladder as this relay last saw it: the text of the newest complete {@code SEGMENT_KIND_RENDITIONS}
 * entry (the master playlist the ingest learned, URIs relative to {@code /live/{stream}/}). Kept after the window
 * evicts the entry: the ingest publishes it again before the window would forget it, but a relay that joined late or
 * lost the repeat still serves the ladder it had rather than none.
 */
public final class Ladder {
    private record Latest(long sequence, String text) {
    }

    private final SegmentWindow window;
    private volatile Latest latest;

    public Ladder(SegmentWindow window) {
        this.window = window;
        window.addCompletionListener(this::completed);
    }

    private void completed(long sequence) {
        WindowEntry e = window.entry(sequence);
        if (e == null || !e.isRenditions() || !e.isComplete()) {
            return;
        }
        // A ladder's bytes are an array of their own (only media is rebuilt into pooled arrays): read freely.
        String text = new String(e.segment().array(), 0, e.segment().length(), StandardCharsets.UTF_8);
        synchronized (this) {
            // Entries may complete out of order (rebuilds): an older ladder never replaces a newer one.
            if (latest == null || sequence > latest.sequence()) {
                latest = new Latest(sequence, text);
            }
        }
    }

    /** The master playlist as published, or null when this relay has seen none. */
    public String text() {
        Latest l = latest;
        return l == null ? null : l.text();
    }
}
