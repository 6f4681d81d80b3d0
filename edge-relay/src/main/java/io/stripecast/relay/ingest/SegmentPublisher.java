package io.stripecast.relay.ingest;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.EndOfStream;
import io.stripecast.protocol.shard.PartsEnd;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.stream.StreamRuntime;

/**
 * The ingest relay's encoder for one stream: numbers each committed segment, cuts it into k + m
 * shards and puts them in the window, from where every stripe's children get them. Each segment's metadata is
 * signed with this relay's key for the stream, so no relay below can change what it says.
 *
 * <p>Sequence numbers start from a clock-based base (tenths of a second since the epoch), so a
 * restarted ingest never reuses a number that relays or CDN caches still hold.
 */
final class SegmentPublisher {
    private final StreamRuntime runtime;
    private final StripeCodec codec;
    private final RelayMetrics metrics;
    private long nextSequence;
    private long nextMediaSequence;

    SegmentPublisher(StreamRuntime runtime, RelayMetrics metrics, long nowMillis) {
        this.runtime = runtime;
        this.codec = new StripeCodec(runtime.spec().k(), runtime.spec().m());
        this.metrics = metrics;
        this.nextSequence = nowMillis / 100;
        this.nextMediaSequence = nextSequence;
    }

    /** Publishes an init segment; returns its transport sequence. */
    synchronized long publishInit(byte[] bytes, long nowMillis) {
        return publishInit(0, bytes, nowMillis);
    }

    /** Publishes the init segment of one rendition; returns its transport sequence. */
    synchronized long publishInit(int rendition, byte[] bytes, long nowMillis) {
        SegmentMeta meta = signed(base(SegmentKind.SEGMENT_KIND_FMP4_INIT, bytes, nowMillis).setRendition(rendition));
        publish(meta, bytes);
        return meta.getSequence();
    }

    /**
     * The first media sequence this publisher hands out (clock-based, like transport sequences). A low-latency ingest
     * numbers each rendition's segments as this plus the encoder's own segment number, so that the renditions of one
     * moment share a media sequence and a player can switch between them on it.
     */
    synchronized long mediaSequenceBase() {
        return nextMediaSequence;
    }

    /**
     * Publishes one part of a CMAF segment (issue 18): coded and pushed at once, before the rest of its segment
     * exists. Returns its transport sequence.
     */
    synchronized long publishPart(int rendition, long mediaSequence, int partIndex, boolean independent,
                                  long durationMicros, boolean discontinuity, long initSequence, long upstreamSequence,
                                  long programDateTimeMillis, byte[] bytes, long nowMillis) {
        SegmentMeta meta = signed(base(SegmentKind.SEGMENT_KIND_FMP4_PART, bytes, nowMillis)
                .setRendition(rendition)
                .setMediaSequence(mediaSequence)
                .setPartIndex(partIndex)
                .setIndependent(independent)
                .setDurationMicros(durationMicros)
                .setDiscontinuity(discontinuity)
                .setInitSequence(initSequence)
                .setUpstreamSequence(upstreamSequence)
                .setProgramDateTimeMillis(programDateTimeMillis));
        publish(meta, bytes);
        // Media sequences a run of parts used are spent: an end marker names the one after them, and a later run
        // (HLS or DASH) numbers above them, so no media sequence is ever given to two segments.
        nextMediaSequence = Math.max(nextMediaSequence, mediaSequence + 1);
        return meta.getSequence();
    }

    /**
     * Publishes the end of a segment sent as parts ({@code parts} of them, {@code durationMicros} in all), once its
     * upload has ended. Returns its transport sequence.
     */
    synchronized long publishPartsEnd(int rendition, long mediaSequence, int parts, long durationMicros, long initSequence,
                                      long nowMillis) {
        byte[] body = PartsEnd.body();
        SegmentMeta meta = signed(base(SegmentKind.SEGMENT_KIND_PARTS_END, body, nowMillis)
                .setRendition(rendition)
                .setMediaSequence(mediaSequence)
                .setPartIndex(parts)
                .setDurationMicros(durationMicros)
                .setInitSequence(initSequence));
        Shard[] shards = Shards.encode(codec, meta, body);
        runtime.window().putComplete(shards, body);
        return meta.getSequence();
    }

    /** Publishes the stream's rendition ladder: the text of its master playlist. Returns its transport sequence. */
    synchronized long publishRenditions(byte[] masterPlaylist, long nowMillis) {
        SegmentMeta meta = signed(base(SegmentKind.SEGMENT_KIND_RENDITIONS, masterPlaylist, nowMillis));
        publish(meta, masterPlaylist);
        return meta.getSequence();
    }

    /**
     * A standby ingest made the root continues the numbering it received from the lost primary, so that the
     * segments it publishes carry the numbers the primary would have given them and no relay sees a gap or a clash.
     */
    synchronized void continueAfter(long lastSequence, long lastMediaSequence) {
        nextSequence = lastSequence + 1;
        nextMediaSequence = lastMediaSequence + 1;
    }

    synchronized long publishMedia(SegmentKind kind, byte[] bytes, long durationMicros, boolean discontinuity,
                                   long initSequence, long upstreamSequence, long nowMillis) {
        return publishMedia(0, -1, kind, bytes, durationMicros, discontinuity, initSequence, upstreamSequence, nowMillis);
    }

    /**
     * Publishes one whole media segment of a rendition. {@code mediaSequence} < 0 takes the next one of the stream's
     * counter (a single-playlist stream); an explicit one (a rendition of a ladder, numbered so that the renditions
     * of one moment share it) spends every number up to it, as parts do. Returns the media sequence it got.
     */
    synchronized long publishMedia(int rendition, long mediaSequence, SegmentKind kind, byte[] bytes, long durationMicros,
                                   boolean discontinuity, long initSequence, long upstreamSequence, long nowMillis) {
        long ms = mediaSequence < 0 ? nextMediaSequence++ : mediaSequence;
        nextMediaSequence = Math.max(nextMediaSequence, ms + 1);
        SegmentMeta meta = signed(base(kind, bytes, nowMillis)
                .setRendition(rendition)
                .setMediaSequence(ms)
                .setDurationMicros(durationMicros)
                .setDiscontinuity(discontinuity)
                .setInitSequence(initSequence)
                .setUpstreamSequence(upstreamSequence));
        publish(meta, bytes);
        return ms;
    }

    /**
     * Publishes the end-of-stream marker after everything published so far; returns its transport sequence.
     * It takes the next transport sequence but no media sequence (the next run's first segment gets the one
     * it names), so numbers are never reused across runs of the stream.
     */
    synchronized long publishEnd(long nowMillis) {
        byte[] body = EndOfStream.body();
        SegmentMeta meta = signed(base(SegmentKind.SEGMENT_KIND_END_OF_STREAM, body, nowMillis)
                .setMediaSequence(nextMediaSequence));
        runtime.window().putComplete(Shards.encode(codec, meta, body), body);
        metrics.streamEndReached(runtime.spec().name(), nowMillis);
        return meta.getSequence();
    }

    private SegmentMeta.Builder base(SegmentKind kind, byte[] bytes, long nowMillis) {
        return SegmentMeta.newBuilder()
                .setSequence(nextSequence++)
                .setKind(kind)
                .setLength(bytes.length)
                .setIngestTimeMillis(nowMillis)
                .setSha256(ByteString.copyFrom(Shards.sha256(bytes)))
                .setK(codec.k())
                .setM(codec.m());
    }

    /** Every segment this ingest publishes carries its signature: relays drop what does not verify. */
    private SegmentMeta signed(SegmentMeta.Builder meta) {
        return runtime.signer().sign(meta.build());
    }

    private void publish(SegmentMeta meta, byte[] bytes) {
        Shard[] shards = Shards.encode(codec, meta, bytes);
        runtime.window().putComplete(shards, bytes);
        metrics.ingestSegment(runtime.spec().name(), bytes.length);
        metrics.segmentCompleted(runtime.spec().name(), false, meta.getIngestTimeMillis());
    }
}
