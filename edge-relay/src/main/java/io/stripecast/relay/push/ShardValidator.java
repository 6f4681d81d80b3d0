package io.stripecast.relay.push;

import io.stripecast.protocol.shard.EndOfStream;
import io.stripecast.protocol.shard.PartsEnd;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.stream.StreamSpec;
import io.stripecast.relay.trust.SegmentTrust;

/**
 * Checks a shard received from a peer before it touches the window: bounds, consistency with the
 * stream's parameters, ingest time within sane bounds, the ingest's signature over the metadata (when the stream's
 * keys are known), and the shard's CRC32C. Returns null when it is fit, else a reason word.
 */
public final class ShardValidator {
    /** A segment lasts at most this long (generous: HLS targets are seconds). */
    static final long MAX_DURATION_MICROS = 600_000_000L;
    /**
     * How far ahead of this relay's clock an ingest time may be: clock skew between pods, not more. A window evicts by
     * its newest ingest time, so one segment dated far ahead would push every honest segment out.
     */
    static final long MAX_FUTURE_MILLIS = 30_000;
    /** Renditions of one stream's ladder (issue 18): a rendition flood is bounded per stream. */
    public static final int MAX_RENDITIONS = 8;
    /** Parts of one segment: 64 parts of 200 ms is a 12.8 s segment, longer than any low-latency target. */
    public static final int MAX_PARTS_PER_SEGMENT = 64;
    /** A rendition ladder is a master playlist of at most {@value #MAX_RENDITIONS} variants: small. */
    public static final int MAX_RENDITIONS_BYTES = 16 * 1024;

    private final StreamSpec spec;
    private final int maxSegmentBytes;
    private final SegmentTrust trust;

    /** A validator that checks no signatures (tests of the other rules). */
    public ShardValidator(StreamSpec spec, int maxSegmentBytes) {
        this(spec, maxSegmentBytes, new SegmentTrust(spec.name()));
    }

    public ShardValidator(StreamSpec spec, int maxSegmentBytes, SegmentTrust trust) {
        this.spec = spec;
        this.maxSegmentBytes = maxSegmentBytes;
        this.trust = trust;
    }

    /**
     * The oldest ingest time an honest parent can still push: a live window holds one window behind its newest
     * segment, and an ended stream is kept one window past its end, so two windows and the clock skew. Init segments
     * are exempt: a window keeps one as long as a held media segment needs it, however old.
     */
    private long oldestIngestMillis(long nowMillis) {
        return nowMillis - 2 * spec.window().toMillis() - MAX_FUTURE_MILLIS;
    }

    public String problem(Shard shard, int expectedStripe, long nowMillis) {
        return problem(shard, expectedStripe, nowMillis, ShardPushWire.UNKNOWN_CRC);
    }

    /**
     * As {@link #problem(Shard, int, long)}, with the CRC32C of the shard's bytes already taken while they were copied
     * off the wire ({@link ShardPushWire#UNKNOWN_CRC}: take it here).
     */
    public String problem(Shard shard, int expectedStripe, long nowMillis, long dataCrc) {
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
        SegmentKind kind = meta.getKind();
        if (meta.getRendition() >= MAX_RENDITIONS) {
            return "bad_rendition";
        }
        if (kind != SegmentKind.SEGMENT_KIND_FMP4_PART && meta.getIndependent()
                || kind != SegmentKind.SEGMENT_KIND_FMP4_PART && kind != SegmentKind.SEGMENT_KIND_PARTS_END && meta.getPartIndex() != 0) {
            return "bad_part";
        }
        if (meta.getIngestTimeMillis() > nowMillis + MAX_FUTURE_MILLIS
                || kind != SegmentKind.SEGMENT_KIND_FMP4_INIT && meta.getIngestTimeMillis() < oldestIngestMillis(nowMillis)) {
            return "bad_ingest_time";
        }
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
        } else if (kind == SegmentKind.SEGMENT_KIND_FMP4_PART) {
            if (meta.getPartIndex() >= MAX_PARTS_PER_SEGMENT) {
                return "bad_part";
            }
            if (meta.getDurationMicros() <= 0 || meta.getDurationMicros() > MAX_DURATION_MICROS) {
                return "bad_duration";
            }
            if (meta.getInitSequence() >= meta.getSequence()) {
                return "bad_init_ref";
            }
        } else if (kind == SegmentKind.SEGMENT_KIND_PARTS_END) {
            if (meta.getLength() != PartsEnd.length() || meta.getPartIndex() < 1 || meta.getPartIndex() > MAX_PARTS_PER_SEGMENT
                    || meta.getDurationMicros() <= 0 || meta.getDurationMicros() > MAX_DURATION_MICROS
                    || meta.getInitSequence() >= meta.getSequence()) {
                return "bad_parts_end";
            }
        } else if (kind == SegmentKind.SEGMENT_KIND_RENDITIONS) {
            if (meta.getLength() > MAX_RENDITIONS_BYTES || meta.getDurationMicros() != 0 || meta.getInitSequence() != 0
                    || meta.getRendition() != 0) {
                return "bad_renditions";
            }
        } else if (kind == SegmentKind.SEGMENT_KIND_END_OF_STREAM) {
            // Its body is fixed: anything else claiming to be an end is a lie or a newer protocol.
            if (meta.getLength() != EndOfStream.length() || meta.getDurationMicros() != 0 || meta.getInitSequence() != 0) {
                return "bad_end";
            }
        } else {
            return "bad_kind";
        }
        // After the cheap checks, before the CRC over megabytes: is this metadata the ingest's own?
        String untrusted = trust.problem(meta);
        if (untrusted != null) {
            return untrusted;
        }
        if (dataCrc == ShardPushWire.UNKNOWN_CRC ? !Shards.crcMatches(shard) : (int) dataCrc != shard.getCrc32C()) {
            return "crc";
        }
        return null;
    }
}
