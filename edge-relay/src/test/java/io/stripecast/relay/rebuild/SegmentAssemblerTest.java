package io.stripecast.relay.rebuild;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.TestStreams;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.window.ShardListener;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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
        assertThat(runtime.window().entry(5).segment().toByteArray()).isEqualTo(segment);
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
        runtime.window().addListener(0, child(0, new ArrayList<>())); // the subtree: a child of stripe 0 here
        runtime.assembler().accept(s[1]);
        runtime.assembler().accept(s[2]);
        // Regeneration runs on the relay's worker since the window budget work, no longer on this thread.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(runtime.window().shard(9, 0)).isEqualTo(s[0]));
        assertThat(runtime.window().shard(9, 0)).isEqualTo(s[0]);
        assertThat(streams.count("stripecast.relay.regenerations", "stripe", "0")).isEqualTo(1);
    }

    /** A child of a stripe that wants shards from {@code from} on, noting the thread each one reached it on. */
    private static ShardListener child(long from, List<String> threads) {
        return new ShardListener() {
            @Override
            public void onShard(long sequence) {
                synchronized (threads) {
                    threads.add(sequence + "@" + Thread.currentThread().getName());
                }
            }

            @Override
            public long wantsFrom() {
                return from;
            }
        };
    }

    @Test
    void regenerationRunsOffTheCallingThreadAndOnlyForWhatAChildLacks() {
        StreamRuntime runtime = streams.stream("live", 2, 1, Duration.ofSeconds(30));
        for (int i = 0; i < 3; i++) {
            runtime.setReceiving(i, true);
        }
        Shard[][] segs = new Shard[6][];
        for (long seq = 1; seq <= 5; seq++) {
            segs[(int) seq] = shards(2, 1, seq, ("segment " + seq + " ").repeat(300).getBytes());
            runtime.assembler().accept(segs[(int) seq][1]);
            runtime.assembler().accept(segs[(int) seq][2]);
        }
        // Stripe 0 never came and no child wants it: after the grace nothing is regenerated, only counted.
        await().atMost(Duration.ofSeconds(5)).until(() -> streams.count("stripecast.relay.regenerations.skipped", "reason", "no_child") >= 5);
        for (long seq = 1; seq <= 5; seq++) {
            assertThat(runtime.window().shard(seq, 0)).as("seq %d", seq).isNull();
        }

        // A child of stripe 0 that already has everything before 4; then the stripe's parent goes.
        List<String> heard = new ArrayList<>();
        runtime.window().addListener(0, child(4, heard));
        runtime.setReceiving(0, false);
        String caller = Thread.currentThread().getName();
        runtime.assembler().upstreamLost(0);
        await().atMost(Duration.ofSeconds(5)).until(() -> runtime.window().shard(5, 0) != null && runtime.window().shard(4, 0) != null);
        assertThat(runtime.window().shard(4, 0)).isEqualTo(segs[4][0]);
        assertThat(runtime.window().shard(5, 0)).isEqualTo(segs[5][0]);
        for (long seq = 1; seq <= 3; seq++) {
            assertThat(runtime.window().shard(seq, 0)).as("seq %d: no child lacks it", seq).isNull();
        }
        assertThat(streams.count("stripecast.relay.regenerations", "stripe", "0")).isEqualTo(2);
        synchronized (heard) {
            assertThat(heard).containsExactly("4@stripecast-regenerate", "5@stripecast-regenerate");
            assertThat(heard).noneMatch(h -> h.endsWith("@" + caller));
        }
        assertThat(streams.regenerator.waiting()).isZero();
    }

    @Test
    void aChildSubscribingToAnOrphanedStripeGetsWhatItLacksRegenerated() {
        StreamRuntime runtime = streams.stream("live", 2, 1, Duration.ofSeconds(30));
        runtime.setReceiving(0, false);
        runtime.setReceiving(1, true);
        runtime.setReceiving(2, true);
        Shard[] s = shards(2, 1, 21, "late child ".repeat(300).getBytes());
        runtime.assembler().accept(s[1]);
        runtime.assembler().accept(s[2]);
        assertThat(runtime.window().entry(21).isComplete()).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> streams.count("stripecast.relay.regenerations.skipped", "reason", "no_child") >= 1);
        assertThat(runtime.window().shard(21, 0)).isNull();

        runtime.window().addListener(0, child(21, new ArrayList<>()));
        runtime.assembler().childSubscribed(0, 21);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(runtime.window().shard(21, 0)).isEqualTo(s[0]));
    }

    @Test
    void aStripeStillInFlightIsRegeneratedOnlyAfterTheGrace() {
        StreamRuntime runtime = streams.stream("live", 2, 1, Duration.ofSeconds(30));
        Shard[] s = shards(2, 1, 11, "in flight ".repeat(300).getBytes());
        for (int i = 0; i < 3; i++) {
            runtime.setReceiving(i, true);
        }
        runtime.window().addListener(2, child(0, new ArrayList<>())); // a child of stripe 2 here: someone to regenerate for
        runtime.assembler().accept(s[0]);
        runtime.assembler().accept(s[1]);
        assertThat(runtime.window().shard(11, 2)).isNull();
        await().atMost(Duration.ofSeconds(5)).until(() -> runtime.window().shard(11, 2) != null);
        assertThat(runtime.window().shard(11, 2)).isEqualTo(s[2]);
    }

    @Test
    void aLateShardInAStripeNoChildTakesIsCountedAndLetGoAndOneAChildTakesIsCheckedAndHeld() {
        StreamRuntime runtime = streams.stream("live", 2, 1, Duration.ofSeconds(30));
        for (int i = 0; i < 3; i++) {
            runtime.setReceiving(i, true); // regeneration waits its grace: the late shard is what decides
        }
        Shard[] s = shards(2, 1, 31, "spare parity ".repeat(300).getBytes());
        runtime.assembler().accept(s[0]);
        runtime.assembler().accept(s[1]);
        assertThat(runtime.window().entry(31).isComplete()).isTrue();
        byte[] lie = s[2].getData().toByteArray();
        lie[3] ^= 1;
        runtime.assembler().accept(Shards.of(s[2].getSegment(), 2, lie));
        // Nobody here reads stripe 2: the shard counts as delivered and spare, and is neither checked nor kept.
        assertThat(runtime.window().shard(31, 2)).isNull();
        assertThat(streams.count("stripecast.relay.shards.spare", "stripe", "2")).isEqualTo(1);
        assertThat(streams.count("stripecast.relay.shards.in", "stripe", "2")).isEqualTo(1);
        assertThat(streams.count("stripecast.relay.checksum.failures", "kind", "shard_content")).isZero();

        runtime.window().addListener(2, child(0, new ArrayList<>())); // now a child takes stripe 2 from here
        Shard[] t = shards(2, 1, 32, "checked parity ".repeat(300).getBytes());
        runtime.assembler().accept(t[0]);
        runtime.assembler().accept(t[1]);
        byte[] lie2 = t[2].getData().toByteArray();
        lie2[3] ^= 1;
        runtime.assembler().accept(Shards.of(t[2].getSegment(), 2, lie2));
        // Forwarded from here, so checked: the lie is counted and the true shard held in its place.
        assertThat(runtime.window().shard(32, 2)).isEqualTo(t[2]);
        assertThat(streams.count("stripecast.relay.checksum.failures", "kind", "shard_content")).isEqualTo(1);
        assertThat(streams.count("stripecast.relay.shards.spare", "stripe", "2")).isEqualTo(1);
    }

    @Test
    void aChildSubscribingToAStripeWhoseShardCameAsSpareGetsItRegeneratedWithoutTheGrace() {
        // A grace no test waits out: what arrives within the deadline below was not waited for.
        StreamRuntime runtime = streams.stream("live", 2, 1, Duration.ofSeconds(30), 600_000);
        for (int i = 0; i < 3; i++) {
            runtime.setReceiving(i, true);
        }
        Shard[] s = shards(2, 1, 41, "came as spare ".repeat(300).getBytes());
        runtime.assembler().accept(s[0]);
        runtime.assembler().accept(s[1]);
        runtime.assembler().accept(s[2]); // spare: no child of stripe 2 yet
        assertThat(runtime.window().shard(41, 2)).isNull();

        // A repair makes this relay the parent of a child in stripe 2, from segment 41 on.
        runtime.window().addListener(2, child(41, new ArrayList<>()));
        runtime.assembler().childSubscribed(2, 41);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(runtime.window().shard(41, 2)).isEqualTo(s[2]));
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
        assertThat(runtime.window().entry(13).segment().toByteArray()).isEqualTo(segment);
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
        runtime.window().addListener(0, child(0, new ArrayList<>())); // the subtree: a child of stripe 0 here
        assertThat(runtime.validator().problem(end[1], 1, System.currentTimeMillis())).isNull();
        runtime.assembler().accept(end[1]);
        runtime.assembler().accept(end[2]);
        assertThat(runtime.window().entry(21).isEnd()).isTrue();
        assertThat(runtime.window().entry(21).isComplete()).isTrue();
        // Regenerated on the relay's worker (not this thread) for the child that lacks it.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(runtime.window().shard(21, 0)).isEqualTo(end[0]));
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
