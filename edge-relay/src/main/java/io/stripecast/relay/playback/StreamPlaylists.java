package io.stripecast.relay.playback;

import io.stripecast.relay.push.ShardValidator;
import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowEntry;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What one stream offers players on this relay: a media playlist per rendition (made when first asked for, at most
 * {@value ShardValidator#MAX_RENDITIONS}, as many as a ladder may have), its ladder (master playlist), and the requests
 * held for parts not here yet.
 */
public final class StreamPlaylists {
    private final SegmentWindow window;
    private final AtomicReferenceArray<LivePlaylist> renditions = new AtomicReferenceArray<>(ShardValidator.MAX_RENDITIONS);
    private final Ladder ladder;
    private final PartHolds parts;

    public StreamPlaylists(SegmentWindow window) {
        this.window = window;
        renditions.set(0, new LivePlaylist(window, 0));
        this.ladder = new Ladder(window);
        this.parts = new PartHolds(window);
    }

    /** Rendition {@code r}'s playlist ({@code 0 <= r <} {@value ShardValidator#MAX_RENDITIONS}). */
    public LivePlaylist rendition(int r) {
        if (r < 0 || r >= ShardValidator.MAX_RENDITIONS) {
            throw new IllegalArgumentException("rendition " + r + " out of range");
        }
        LivePlaylist p = renditions.get(r);
        return p != null ? p : create(r);
    }

    /** Under the lock: a playlist listens to the window from its creation on, so no second one may be made and dropped. */
    private synchronized LivePlaylist create(int r) {
        LivePlaylist p = renditions.get(r);
        if (p == null) {
            p = new LivePlaylist(window, r);
            renditions.set(r, p);
        }
        return p;
    }

    public Ladder ladder() {
        return ladder;
    }

    public PartHolds parts() {
        return parts;
    }

    /** Whether the stream is sent as parts now (any part in the window): its players want low-latency mode. */
    public boolean carriesParts() {
        for (WindowEntry e : window.snapshot()) {
            if (e.isPart()) {
                return true;
            }
        }
        return false;
    }
}
