package io.stripecast.relay.playback;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.EndMarkers;
import io.stripecast.relay.playback.PlaylistRenderer.Rendered;
import io.stripecast.relay.stream.StreamSpec;
import io.stripecast.relay.window.SegmentWindow;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Held playlist requests are released by the completion that lists their segment, once, and never after a timeout claimed them. */
class LivePlaylistTest {
    private static final StreamSpec SPEC = new StreamSpec("live", 2, 1, Duration.ofSeconds(60), Optional.empty(), Optional.empty(),
            Duration.ofSeconds(1));
    private final StripeCodec codec = new StripeCodec(2, 1);
    private final SegmentWindow window = new SegmentWindow(SPEC, 1 << 30);
    private final LivePlaylist playlist = new LivePlaylist(window);

    private byte[] bytes(long seq) {
        return ("segment-" + seq).repeat(50).getBytes();
    }

    private Shard[] shards(long seq) {
        return shards(seq, System.currentTimeMillis());
    }

    private Shard[] shards(long seq, long ingestMillis) {
        byte[] bytes = bytes(seq);
        SegmentMeta meta = SegmentMeta.newBuilder().setSequence(seq).setKind(SegmentKind.SEGMENT_KIND_MPEG_TS).setMediaSequence(seq)
                .setDurationMicros(1_000_000).setLength(bytes.length).setIngestTimeMillis(ingestMillis)
                .setSha256(ByteString.copyFrom(Shards.sha256(bytes))).setK(2).setM(1).build();
        return Shards.encode(codec, meta, bytes);
    }

    private void ingest(long seq) {
        window.putComplete(shards(seq), bytes(seq));
    }

    @Test
    void oneRenderServesEveryRequestUntilTheWindowChanges() {
        ingest(10);
        Rendered first = playlist.render(true);
        assertThat(playlist.render(true)).isSameAs(first);
        ingest(11);
        assertThat(playlist.render(true).lastMediaSequence()).isEqualTo(11);
    }

    @Test
    void anIncompleteSegmentGoingStaleChangesThePlaylistWithoutAnyWindowChange() {
        ingest(10);
        // Segment 11 lost all but one shard and is 100 ms from being given up on; 12 is complete behind it.
        window.offer(shards(11, System.currentTimeMillis() - 5_900)[0]);
        ingest(12);
        assertThat(playlist.render(true).lastMediaSequence()).isEqualTo(10);
        await("segment 11 given up on, 12 listed").atMost(Duration.ofSeconds(5))
                .until(() -> playlist.render(true).lastMediaSequence() == 12);
    }

    @Test
    void holdIsReleasedByTheIngestThatListsItsSegment() {
        ingest(10);
        List<Rendered> answers = new ArrayList<>();
        playlist.hold(12, true, answers::add);
        ingest(11);
        assertThat(answers).isEmpty();
        ingest(12);
        assertThat(answers).singleElement().satisfies(r -> {
            assertThat(r.lastMediaSequence()).isEqualTo(12);
            assertThat(r.text()).contains("\n12.ts\n");
        });
        ingest(13);
        assertThat(answers).hasSize(1);
    }

    @Test
    void holdIsReleasedByARebuiltSegment() {
        ingest(10);
        List<Rendered> answers = new ArrayList<>();
        playlist.hold(11, true, answers::add);
        Shard[] shards = shards(11);
        window.offer(shards[0]);
        window.offer(shards[2]);
        assertThat(answers).isEmpty();
        assertThat(window.complete(11, bytes(11))).isTrue();
        assertThat(answers).singleElement().extracting(Rendered::lastMediaSequence).isEqualTo(11L);
    }

    @Test
    void holdForASegmentListedAlreadyIsReleasedAtOnce() {
        ingest(10);
        List<Rendered> answers = new ArrayList<>();
        playlist.hold(10, true, answers::add);
        assertThat(answers).hasSize(1);
    }

    @Test
    void aHoldClaimedByItsTimeoutIsNeverReleased() {
        ingest(10);
        List<Rendered> answers = new ArrayList<>();
        LivePlaylist.Hold hold = playlist.hold(11, true, answers::add);
        assertThat(hold.claim()).isTrue();
        playlist.forget(hold);
        ingest(11);
        assertThat(answers).isEmpty();
        assertThat(hold.claim()).isFalse();
    }

    @Test
    void aClaimRacingTheReleaseLeavesExactlyOneAnswer() {
        ingest(10);
        List<Rendered> answers = new ArrayList<>();
        LivePlaylist.Hold hold = playlist.hold(11, true, answers::add);
        ingest(11);
        assertThat(answers).hasSize(1);
        // The timeout firing after the release finds the request answered.
        assertThat(hold.claim()).isFalse();
    }

    @Test
    void holdsForLaterSegmentsAreAnsweredAtOnceWhenTheStreamEnds() {
        ingest(10);
        List<Rendered> answers = new ArrayList<>();
        playlist.hold(11, true, answers::add);
        playlist.hold(12, true, answers::add);
        window.putComplete(EndMarkers.shards(2, 1, 11, 11, System.currentTimeMillis()), io.stripecast.protocol.shard.EndOfStream.body());
        assertThat(answers).hasSize(2).allSatisfy(r -> {
            assertThat(r.ended()).isTrue();
            assertThat(r.lastMediaSequence()).isEqualTo(10);
            assertThat(r.text()).endsWith("10.ts\n#EXT-X-ENDLIST\n");
        });
        // And a request arriving after the end is not held at all.
        playlist.hold(11, true, answers::add);
        assertThat(answers).hasSize(3);
    }
}
