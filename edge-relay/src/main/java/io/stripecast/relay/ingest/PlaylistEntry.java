package io.stripecast.relay.ingest;

/**
 * One media segment as an encoder's playlist lists it.
 *
 * @param upstreamSequence the encoder's media sequence number of this entry
 * @param uri              as written in the playlist (a plain file name for PUT ingest)
 * @param mapUri           the EXT-X-MAP URI in force for it (fMP4), or null
 */
public record PlaylistEntry(long upstreamSequence, String uri, long durationMicros, boolean discontinuity, String mapUri) {
}
