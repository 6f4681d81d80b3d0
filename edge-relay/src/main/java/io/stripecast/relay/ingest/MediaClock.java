package io.stripecast.relay.ingest;

/**
 * Dates one rendition's media timeline by this relay's clock, for {@code EXT-X-PROGRAM-DATE-TIME}: a segment's date is
 * the wall-clock time of its first sample, so a player's "behind live" (wall clock minus the playhead's date) counts
 * every delay after the encoder, the ingest's own included.
 *
 * <p>Why not the arrival of a segment's first part: that part's upload opens a new request (ffmpeg's DASH muxer opens
 * one per segment), so it comes late by a varying amount, which dated the whole segment late and made every later part
 * look early. Instead each part that arrives tells how far the media timeline runs behind the clock here (arrival
 * minus the media time at which the part ends); the smallest such offset seen, the part that came fastest, maps media
 * time to the clock, as a packager's clock would. It only moves earlier, by what the faster part proved, so dates never
 * flatter a late delivery. A jump of more than {@link #JUMP_MILLIS} either way is a new timeline (an encoder restarted
 * without saying so), and the clock anchors again.
 */
final class MediaClock {
    static final long JUMP_MILLIS = 5_000;
    private long offsetMillis;
    private boolean anchored;

    /**
     * Learns from a part that starts at media time {@code startMicros}, lasts {@code durationMicros} and was whole here
     * at {@code arrivalMillis}; returns the wall-clock time of its start.
     */
    long learn(long startMicros, long durationMicros, long arrivalMillis) {
        long offset = arrivalMillis - (startMicros + durationMicros) / 1000;
        if (!anchored || Math.abs(offset - offsetMillis) > JUMP_MILLIS) {
            offsetMillis = offset;
            anchored = true;
        } else {
            offsetMillis = Math.min(offsetMillis, offset);
        }
        return offsetMillis + startMicros / 1000;
    }

    /** A new run: its timeline owes nothing to the last one's. */
    void reset() {
        anchored = false;
    }
}
