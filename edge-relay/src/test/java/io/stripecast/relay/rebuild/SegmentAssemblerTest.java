package io.stripecast.relay.rebuild;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.TestStreams;
import io.stripecast.relay.stream.StreamRuntime;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class SegmentAssemblerTest {
    private final TestStreams streams = new TestStreams();

    private static Shard[] shards(int k, int m, long seq, byte[] segment) {
        SegmentMeta meta = SegmentMeta.newBuilder().setSequence(seq).setKind(SegmentKind.SEGMENT_KIND_MPEG_TS).setMediaSequence(seq)
                .setDurationMicros(1_000_000).setLength(segment.length).setIngestTimeMillis(System.currentTimeMillis())
                .setSha256(ByteString.copyFrom(Shards.sha256(segment))).setK(k).setM(m).build();
        return Shards.encode(new StripeCodec(k, m), meta, segment);
    }

    @Test
    void anyKShardsRebuildTheSegmentAndParityUseIsCounted() {
        StreamRuntime runtime = streams.stream("live", 3, 2, Duration.ofSeconds(30));
        byte[] segment = "rebuild me from parity ".repeat(777).getBytes();
        Shard[] s = shards(3, 2, 5, segment);
        runtime.assembler().accept(s[4]);
        runtime.assembler().accept(s[1]);
        assertThat(runtime.window().entry(5).isComplete()).isFalse();
        runtime.assembler().accept(s[3]);
        assertThat(runtime.window().entry(5).segment()).isEqualTo(segment);
        assertThat(streams.count("stripecast.relay.reconstructions")).isEqualTo(1);
    }

    @Test
    void anOrphanedStripeIsRegeneratedForTheSubtree() {
        StreamRuntime runtime = streams.stream("live", 2, 1, Duration.ofSeconds(30));
        byte[] segment = "keep the subtree fed ".repeat(500).getBytes();
        Shard[] s = shards(2, 1, 9, segment);
        runtime.setReceiving(0, false); // stripe 0's parent is gone
        runtime.setReceiving(1, true);
        runtime.setReceiving(2, true);
        runtime.assembler().accept(s[1]);
        runtime.assembler().accept(s[2]);
        assertThat(runtime.window().shard(9, 0)).isEqualTo(s[0]);
        assertThat(streams.count("stripecast.relay.regenerations", "stripe", "0")).isEqualTo(1);
    }

    @Test
    void aStripeStillInFlightIsRegeneratedOnlyAfterTheGrace() {
        StreamRuntime runtime = streams.stream("live", 2, 1, Duration.ofSeconds(30));
        Shard[] s = shards(2, 1, 11, "in flight ".repeat(300).getBytes());
        for (int i = 0; i < 3; i++) {
            runtime.setReceiving(i, true);
        }
        runtime.assembler().accept(s[0]);
        runtime.assembler().accept(s[1]);
        assertThat(runtime.window().shard(11, 2)).isNull();
        await().atMost(Duration.ofSeconds(5)).until(() -> runtime.window().shard(11, 2) != null);
        assertThat(runtime.window().shard(11, 2)).isEqualTo(s[2]);
    }

    @Test
    void aShardLyingUnderAValidCrcIsFoundWithOneMoreShardAndReplaced() {
        StreamRuntime runtime = streams.stream("live", 2, 1, Duration.ofSeconds(30));
        byte[] segment = "the truth ".repeat(400).getBytes();
        Shard[] s = shards(2, 1, 13, segment);
        byte[] lie = s[1].getData().toByteArray();
        lie[7] ^= 1;
        Shard liar = Shards.of(s[1].getSegment(), 0, lie); // valid CRC over wrong bytes, labelled stripe 0
        runtime.assembler().accept(liar);
        runtime.assembler().accept(s[1]);
        assertThat(runtime.window().entry(13).isComplete()).as("two shards, one a lie: no segment yet").isFalse();
        runtime.assembler().accept(s[2]);
        assertThat(runtime.window().entry(13).segment()).isEqualTo(segment);
        assertThat(runtime.window().shard(13, 0)).isEqualTo(s[0]);
        assertThat(streams.count("stripecast.relay.checksum.failures", "kind", "shard_content")).isEqualTo(1);
    }

    @Test
    void anyKShardsOfTheEndMarkerEndTheStreamAndAnOrphanRegeneratesIt() {
        StreamRuntime runtime = streams.stream("live", 2, 1, Duration.ofSeconds(30));
        Shard[] end = io.stripecast.relay.EndMarkers.shards(2, 1, 21, 40, System.currentTimeMillis());
        runtime.setReceiving(0, false); // stripe 0's parent (an interior relay) died: its subtree still must learn the end
        runtime.setReceiving(1, true);
        runtime.setReceiving(2, true);
        assertThat(runtime.validator().problem(end[1], 1, System.currentTimeMillis())).isNull();
        runtime.assembler().accept(end[1]);
        runtime.assembler().accept(end[2]);
        assertThat(runtime.window().entry(21).isEnd()).isTrue();
        assertThat(runtime.window().entry(21).isComplete()).isTrue();
        assertThat(runtime.window().shard(21, 0)).isEqualTo(end[0]);
        assertThat(streams.registry.find("stripecast.relay.stream.end.delay").timer().count()).isEqualTo(1);
        assertThat(streams.count("stripecast.relay.segments.completed")).isZero();
    }

    @Test
    void anEndMarkerWithAnyOtherBodyIsRefused() {
        StreamRuntime runtime = streams.stream("live", 2, 1, Duration.ofSeconds(30));
        byte[] body = "#EXT-X-ENDLIST\n plus a payload".getBytes();
        SegmentMeta meta = io.stripecast.relay.EndMarkers.meta(2, 1, 21, 40, System.currentTimeMillis()).toBuilder()
                .setLength(body.length).setSha256(ByteString.copyFrom(Shards.sha256(body))).build();
        Shard[] lying = Shards.encode(new StripeCodec(2, 1), meta, body);
        assertThat(runtime.validator().problem(lying[0], 0, System.currentTimeMillis())).isEqualTo("bad_end");
    }
}
