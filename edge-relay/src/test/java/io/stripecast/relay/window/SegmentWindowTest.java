package io.stripecast.relay.window;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.stream.StreamSpec;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class SegmentWindowTest {
    private static final StreamSpec SPEC = new StreamSpec("live", 2, 1, Duration.ofSeconds(10), Optional.empty(), Optional.empty(),
            Duration.ofSeconds(1));
    private final StripeCodec codec = new StripeCodec(2, 1);

    static SegmentMeta meta(long seq, SegmentKind kind, long ingestMillis, long initSeq, byte[] bytes) {
        return SegmentMeta.newBuilder().setSequence(seq).setKind(kind).setMediaSequence(kind == SegmentKind.SEGMENT_KIND_FMP4_INIT ? 0 : seq)
                .setDurationMicros(kind == SegmentKind.SEGMENT_KIND_FMP4_INIT ? 0 : 1_000_000).setInitSequence(initSeq)
                .setLength(bytes.length).setIngestTimeMillis(ingestMillis).setSha256(ByteString.copyFrom(Shards.sha256(bytes)))
                .setK(2).setM(1).build();
    }

    private Shard[] segment(SegmentWindow w, long seq, SegmentKind kind, long ingestMillis, long initSeq) {
        byte[] bytes = ("segment-" + seq).repeat(100).getBytes();
        Shard[] shards = Shards.encode(codec, meta(seq, kind, ingestMillis, initSeq, bytes), bytes);
        w.putComplete(shards, bytes);
        return shards;
    }

    @Test
    void keepsOnlyTheLastWindowOfSegments() {
        SegmentWindow w = new SegmentWindow(SPEC, 1 << 30);
        for (long s = 1; s <= 30; s++) {
            segment(w, s, SegmentKind.SEGMENT_KIND_MPEG_TS, s * 1000, 0);
        }
        assertThat(w.firstSequence()).isEqualTo(20);
        assertThat(w.lastSequence()).isEqualTo(30);
        assertThat(w.evictedBelow()).isEqualTo(20);
    }

    @Test
    void newestLooksFromTheLiveEdgeBackAndMatchingKeepsTransportOrder() {
        SegmentWindow w = new SegmentWindow(SPEC, 1 << 30);
        for (long s = 1; s <= 8; s++) {
            segment(w, s, SegmentKind.SEGMENT_KIND_MPEG_TS, 1000 + s, 0);
        }
        List<Long> tested = new ArrayList<>();
        WindowEntry even = w.newest(e -> {
            tested.add(e.sequence());
            return e.sequence() % 2 == 0;
        });
        assertThat(even.sequence()).as("the newest even one").isEqualTo(8);
        assertThat(tested).as("entries looked at: the newest only").containsExactly(8L);
        assertThat(w.newest(e -> e.sequence() < 4).sequence()).isEqualTo(3);
        assertThat(w.newest(e -> e.sequence() > 8)).isNull();
        assertThat(w.matching(e -> e.sequence() % 3 == 0)).extracting(WindowEntry::sequence).containsExactly(3L, 6L);
        assertThat(w.matching(e -> false)).isEmpty();
    }

    @Test
    void boundsMemoryWhateverTheDuration() {
        SegmentWindow w = new SegmentWindow(SPEC, 20_000);
        for (long s = 1; s <= 50; s++) {
            segment(w, s, SegmentKind.SEGMENT_KIND_MPEG_TS, 1000, 0);
        }
        assertThat(w.bytes()).isLessThanOrEqualTo(20_000);
        assertThat(w.lastSequence()).isEqualTo(50);
    }

    @Test
    void anInitSegmentStaysWhileAMediaSegmentNeedsIt() {
        SegmentWindow w = new SegmentWindow(SPEC, 1 << 30);
        segment(w, 1, SegmentKind.SEGMENT_KIND_FMP4_INIT, 0, 0);
        for (long s = 2; s <= 40; s++) {
            segment(w, s, SegmentKind.SEGMENT_KIND_FMP4_MEDIA, s * 1000, 1);
        }
        assertThat(w.entry(1)).isNotNull();
        assertThat(w.snapshot().stream().filter(WindowEntry::isMedia).count()).isEqualTo(11);
    }

    @Test
    void firstLackingIsWhereAResubscriptionStarts() {
        SegmentWindow w = new SegmentWindow(SPEC, 1 << 30);
        assertThat(w.firstLacking(0)).isZero();
        Shard[] s1 = segment(new SegmentWindow(SPEC, 1 << 30), 1, SegmentKind.SEGMENT_KIND_MPEG_TS, 1000, 0);
        Shard[] s2 = segment(new SegmentWindow(SPEC, 1 << 30), 2, SegmentKind.SEGMENT_KIND_MPEG_TS, 2000, 0);
        Shard[] s3 = segment(new SegmentWindow(SPEC, 1 << 30), 3, SegmentKind.SEGMENT_KIND_MPEG_TS, 3000, 0);
        w.offer(s1[0]);
        w.offer(s1[1]);
        w.offer(s2[1]);
        w.offer(s3[0]);
        assertThat(w.firstLacking(0)).isEqualTo(2);
        assertThat(w.firstLacking(1)).isEqualTo(3);
        assertThat(w.firstLacking(2)).isEqualTo(1);
    }

    @Test
    void listenersHearEveryNewShardOnceAndNeverDuplicates() {
        SegmentWindow w = new SegmentWindow(SPEC, 1 << 30);
        List<Long> heard = new ArrayList<>();
        w.addListener(1, heard::add);
        Shard[] s1 = segment(new SegmentWindow(SPEC, 1 << 30), 7, SegmentKind.SEGMENT_KIND_MPEG_TS, 1000, 0);
        assertThat(w.offer(s1[1])).isEqualTo(SegmentWindow.Offer.ADDED);
        assertThat(w.offer(s1[1])).isEqualTo(SegmentWindow.Offer.DUPLICATE);
        w.offer(s1[0]);
        assertThat(heard).containsExactly(7L);
    }

    @Test
    void aShardContradictingTheSegmentsMetadataIsRefused() {
        SegmentWindow w = new SegmentWindow(SPEC, 1 << 30);
        Shard[] good = segment(new SegmentWindow(SPEC, 1 << 30), 5, SegmentKind.SEGMENT_KIND_MPEG_TS, 1000, 0);
        w.offer(good[0]);
        Shard liar = good[1].toBuilder().setSegment(good[1].getSegment().toBuilder().setLength(3)).build();
        assertThat(w.offer(liar)).isEqualTo(SegmentWindow.Offer.CONFLICTING_META);
    }
}
