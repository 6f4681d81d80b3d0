package io.stripecast.relay.ingest;

import io.stripecast.relay.playback.MediaNames;

import java.util.List;

/**
 * An encoder's multivariant (master) HLS playlist, reduced to what the relay carries: the variants in the encoder's
 * order (variant i becomes rendition i) and the attributes a player picks a variant by.
 *
 * @param variants at most {@link io.stripecast.relay.push.ShardValidator#MAX_RENDITIONS}, in master order
 */
public record HlsMaster(List<Variant> variants) {
    public HlsMaster {
        variants = List.copyOf(variants);
    }

    /**
     * One {@code #EXT-X-STREAM-INF} and its URI. Attribute values are kept as the encoder wrote them, after the parser
     * checked their syntax; absent ones are null.
     *
     * @param uri the variant's media playlist as written (a plain file name for PUT ingest); pull ingest replaces it
     *            with the resolved absolute URL, which is then the key its media playlist is committed under
     */
    public record Variant(String uri, String bandwidth, String averageBandwidth, String resolution, String codecs,
                          String frameRate) {
        Variant withUri(String other) {
            return new Variant(other, bandwidth, averageBandwidth, resolution, codecs, frameRate);
        }
    }

    /** The rendition the media playlist named {@code uri} feeds, or -1 when the master does not list it. */
    public int renditionOf(String uri) {
        for (int i = 0; i < variants.size(); i++) {
            if (variants.get(i).uri().equals(uri)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The ladder as edges serve it at {@code /live/{stream}/master.m3u8}: the same attributes, each URI rewritten to
     * rendition r's media playlist on the edge ({@code index.m3u8}, {@code index-<r>.m3u8}).
     */
    public String render() {
        StringBuilder out = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:3\n");
        for (int r = 0; r < variants.size(); r++) {
            Variant v = variants.get(r);
            out.append("#EXT-X-STREAM-INF:BANDWIDTH=").append(v.bandwidth());
            if (v.averageBandwidth() != null) {
                out.append(",AVERAGE-BANDWIDTH=").append(v.averageBandwidth());
            }
            if (v.resolution() != null) {
                out.append(",RESOLUTION=").append(v.resolution());
            }
            if (v.codecs() != null) {
                out.append(",CODECS=\"").append(v.codecs()).append('"');
            }
            if (v.frameRate() != null) {
                out.append(",FRAME-RATE=").append(v.frameRate());
            }
            out.append('\n').append(MediaNames.playlist(r)).append('\n');
        }
        return out.toString();
    }
}
