package io.stripecast.relay.playback;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.PartsEnd;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.window.SegmentWindow;

import java.nio.charset.StandardCharsets;

/**
 * Puts a low-latency stream's entries in a window as its ingest publishes them (SegmentPublisher): inits, parts,
 * parts ends and the ladder, each with the next transport sequence. Parts can also be left incomplete (one shard).
 */
public final class PartFeed {
    private final SegmentWindow window;
    private final StripeCodec codec;
    private final int k;
    private final int m;
    private long nextSequence;

    public PartFeed(SegmentWindow window, long firstSequence) {
        this.window = window;
        this.k = window.spec().k();
        this.m = window.spec().m();
        this.codec = new StripeCodec(k, m);
        this.nextSequence = firstSequence;
    }

    public static byte[] partBytes(int rendition, long mediaSequence, int part) {
        return ("r" + rendition + "-" + mediaSequence + "." + part + ";").repeat(40).getBytes(StandardCharsets.US_ASCII);
    }

    public static byte[] initBytes(int rendition) {
        return ("init of rendition " + rendition).repeat(10).getBytes(StandardCharsets.US_ASCII);
    }

    private SegmentMeta.Builder base(SegmentKind kind, byte[] bytes, long ingestMillis) {
        return SegmentMeta.newBuilder().setSequence(nextSequence++).setKind(kind).setLength(bytes.length)
                .setIngestTimeMillis(ingestMillis).setSha256(ByteString.copyFrom(Shards.sha256(bytes))).setK(k).setM(m);
    }

    private long put(SegmentMeta meta, byte[] bytes) {
        window.putComplete(Shards.encode(codec, meta, bytes), bytes);
        return meta.getSequence();
    }

    public long init(int rendition, long ingestMillis) {
        byte[] bytes = initBytes(rendition);
        return put(base(SegmentKind.SEGMENT_KIND_FMP4_INIT, bytes, ingestMillis).setRendition(rendition).build(), bytes);
    }

    public long renditions(String master, long ingestMillis) {
        byte[] bytes = master.getBytes(StandardCharsets.UTF_8);
        return put(base(SegmentKind.SEGMENT_KIND_RENDITIONS, bytes, ingestMillis).build(), bytes);
    }

    /** A part's shards, its transport sequence taken; the window gets none of them. */
    public Shard[] partShards(int rendition, long mediaSequence, int part, boolean independent, long durationMicros, long initSequence,
                              boolean discontinuity, long ingestMillis) {
        byte[] bytes = partBytes(rendition, mediaSequence, part);
        SegmentMeta meta = base(SegmentKind.SEGMENT_KIND_FMP4_PART, bytes, ingestMillis).setRendition(rendition)
                .setMediaSequence(mediaSequence).setPartIndex(part).setIndependent(independent).setDurationMicros(durationMicros)
                .setDiscontinuity(discontinuity).setInitSequence(initSequence).build();
        return Shards.encode(codec, meta, bytes);
    }

    /** A complete part in the window; part 0 is independent. */
    public long part(int rendition, long mediaSequence, int part, long durationMicros, long initSequence, long ingestMillis) {
        Shard[] shards = partShards(rendition, mediaSequence, part, part == 0, durationMicros, initSequence, false, ingestMillis);
        window.putComplete(shards, partBytes(rendition, mediaSequence, part));
        return shards[0].getSegment().getSequence();
    }

    /** A complete part that carries the date the ingest gave its segment (its media clock's). */
    public long datedPart(int rendition, long mediaSequence, int part, long durationMicros, long initSequence, long ingestMillis,
                          long programDateTimeMillis) {
        byte[] bytes = partBytes(rendition, mediaSequence, part);
        SegmentMeta meta = base(SegmentKind.SEGMENT_KIND_FMP4_PART, bytes, ingestMillis).setRendition(rendition)
                .setMediaSequence(mediaSequence).setPartIndex(part).setIndependent(part == 0).setDurationMicros(durationMicros)
                .setInitSequence(initSequence).setProgramDateTimeMillis(programDateTimeMillis).build();
        return put(meta, bytes);
    }

    /** A part of which one shard arrived: held, incomplete. */
    public Shard[] incompletePart(int rendition, long mediaSequence, int part, long durationMicros, long initSequence, long ingestMillis) {
        Shard[] shards = partShards(rendition, mediaSequence, part, part == 0, durationMicros, initSequence, false, ingestMillis);
        window.offer(shards[0]);
        return shards;
    }

    public long partsEnd(int rendition, long mediaSequence, int parts, long durationMicros, long initSequence, long ingestMillis) {
        byte[] body = PartsEnd.body();
        return put(base(SegmentKind.SEGMENT_KIND_PARTS_END, body, ingestMillis).setRendition(rendition).setMediaSequence(mediaSequence)
                .setPartIndex(parts).setDurationMicros(durationMicros).setInitSequence(initSequence).build(), body);
    }

    /**
     * One whole segment of both renditions of a two-rendition ladder, as ffmpeg's DASH muxer writes them: part by part,
     * rendition 0 then 1, each part whole at the ingest {@code partMicros} after the one before, each rendition's end right
     * after its last part. {@code startMillis}: when the segment's first sample was at the ingest.
     */
    public void segment(long mediaSequence, int parts, long partMicros, long[] inits, long startMillis) {
        for (int p = 0; p < parts; p++) {
            long ingest = startMillis + (p + 1) * partMicros / 1000;
            for (int r = 0; r < inits.length; r++) {
                part(r, mediaSequence, p, partMicros, inits[r], ingest);
            }
        }
        for (int r = 0; r < inits.length; r++) {
            partsEnd(r, mediaSequence, parts, parts * partMicros, inits[r], startMillis + parts * partMicros / 1000 + 10);
        }
    }

    public long nextSequence() {
        return nextSequence;
    }
}
