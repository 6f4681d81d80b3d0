package io.stripecast.relay.ingest.cmaf;

import io.stripecast.relay.playback.MediaNames;

import java.util.List;

/**
 * Renders a stream's rendition ladder as the master playlist edges serve at {@code /live/{stream}/master.m3u8}:
 * rendition 0's media playlist is {@code index.m3u8} (the URL a single-rendition stream always had), rendition r >= 1's
 * is {@code index-<r>.m3u8}. Every segment of ffmpeg's DASH muxer starts with a key frame (one GOP per segment,
 * {@code startWithSAP="1"}), hence {@code EXT-X-INDEPENDENT-SEGMENTS}.
 */
public final class MasterPlaylist {
    private MasterPlaylist() {
    }

    /** A rendition of the ladder: its index and the Representation that describes it. */
    public record Rendition(int index, DashManifest.Representation representation) {
    }

    /** @param renditions in ascending order of index */
    public static String render(List<Rendition> renditions) {
        StringBuilder out = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
        for (Rendition r : renditions) {
            DashManifest.Representation rep = r.representation();
            out.append("#EXT-X-STREAM-INF:BANDWIDTH=").append(rep.bandwidth());
            if (rep.width() > 0 && rep.height() > 0) {
                out.append(",RESOLUTION=").append(rep.width()).append('x').append(rep.height());
            }
            if (rep.codecs() != null) {
                out.append(",CODECS=\"").append(rep.codecs()).append('"');
            }
            if (rep.frameRate() != null) {
                out.append(",FRAME-RATE=").append(rep.frameRate());
            }
            // The edge's own name for the rendition's playlist: what the ingest publishes is what every edge serves.
            out.append('\n').append(MediaNames.playlist(r.index())).append('\n');
        }
        return out.toString();
    }
}
