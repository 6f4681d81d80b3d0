package io.stripecast.relay;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.EndOfStream;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;

/** End-of-stream markers as the ingest publishes them, for tests. */
public final class EndMarkers {
    private EndMarkers() {
    }

    public static SegmentMeta meta(int k, int m, long seq, long nextMediaSequence, long ingestMillis) {
        byte[] body = EndOfStream.body();
        return SegmentMeta.newBuilder().setSequence(seq).setKind(SegmentKind.SEGMENT_KIND_END_OF_STREAM)
                .setMediaSequence(nextMediaSequence).setLength(body.length).setIngestTimeMillis(ingestMillis)
                .setSha256(ByteString.copyFrom(Shards.sha256(body))).setK(k).setM(m).build();
    }

    public static Shard[] shards(int k, int m, long seq, long nextMediaSequence, long ingestMillis) {
        return Shards.encode(new StripeCodec(k, m), meta(k, m, seq, nextMediaSequence, ingestMillis), EndOfStream.body());
    }
}
