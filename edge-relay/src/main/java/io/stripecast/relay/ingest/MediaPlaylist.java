package io.stripecast.relay.ingest;

import java.util.List;

/** A parsed HLS media playlist: just what ingest needs from it. */
public record MediaPlaylist(long mediaSequence, List<PlaylistEntry> entries, boolean endList) {
    public MediaPlaylist {
        entries = List.copyOf(entries);
    }
}
