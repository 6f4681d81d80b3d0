package io.stripecast.relay.push;

import io.stripecast.protocol.shard.EndOfStream;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.stream.StreamSpec;

/**
 * Checks a shard received from a peer before it touches the window: bounds, consistency with the
 * stream's parameters, and the shard's CRC32C. Returns null when it is fit, else a reason word.
 */
public final class ShardValidator {
    /** A segment lasts at most this long (generous: HLS targets are seconds). */
    static final long MAX_DURATION_MICROS = 600_000_000L;
    private static final long MAX_CLOCK_SKEW_MILLIS = 24L * 3600 * 1000;

    private final StreamSpec spec;
    private final int maxSegmentBytes;

    public ShardValidator(StreamSpec spec, int maxSegmentBytes) {
        this.spec = spec;
        this.maxSegmentBytes = maxSegmentBytes;
    }

    public String problem(Shard shard, int expectedStripe, long nowMillis) {
        if (shard.getStripe() != expectedStripe) {
            return "wrong_stripe";
        }
        SegmentMeta meta = shard.getSegment();
        if (meta.getK() != spec.k() || meta.getM() != spec.m()) {
            return "wrong_params";
        }
        if (meta.getSequence() <= 0 || meta.getSequence() > (1L << 53)) {
            return "bad_sequence";
        }
        if (meta.getLength() < 1 || meta.getLength() > maxSegmentBytes) {
            return "bad_length";
        }
        if (shard.getData().size() != (meta.getLength() + spec.k() - 1) / spec.k()) {
            return "bad_shard_length";
        }
        if (meta.getSha256().size() != 32) {
            return "bad_sha256";
        }
        if (Math.abs(nowMillis - meta.getIngestTimeMillis()) > MAX_CLOCK_SKEW_MILLIS) {
            return "bad_ingest_time";
        }
        SegmentKind kind = meta.getKind();
        if (kind == SegmentKind.SEGMENT_KIND_FMP4_INIT) {
            if (meta.getDurationMicros() != 0 || meta.getInitSequence() != 0) {
                return "bad_init";
            }
        } else if (kind == SegmentKind.SEGMENT_KIND_MPEG_TS || kind == SegmentKind.SEGMENT_KIND_FMP4_MEDIA) {
            if (meta.getDurationMicros() <= 0 || meta.getDurationMicros() > MAX_DURATION_MICROS) {
                return "bad_duration";
            }
            if (meta.getInitSequence() >= meta.getSequence()) {
                return "bad_init_ref";
            }
        } else if (kind == SegmentKind.SEGMENT_KIND_END_OF_STREAM) {
            // Its body is fixed: anything else claiming to be an end is a lie or a newer protocol.
            if (meta.getLength() != EndOfStream.length() || meta.getDurationMicros() != 0 || meta.getInitSequence() != 0) {
                return "bad_end";
            }
        } else {
            return "bad_kind";
        }
        if (!Shards.crcMatches(shard)) {
            return "crc";
        }
        return null;
    }
}
