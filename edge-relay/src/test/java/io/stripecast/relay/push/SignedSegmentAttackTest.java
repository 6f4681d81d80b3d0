package io.stripecast.relay.push;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.trust.SegmentSignatures;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.FakeParentResource;
import io.stripecast.relay.RelayClient;
import io.stripecast.relay.stream.StreamRegistry;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A rogue parent (over a real gRPC socket) feeding stream {@code signed}, whose ingest key the relay knows: forged,
 * unsigned, future-dated or wrong-content shards change nothing the relay serves, and each is counted.
 */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
class SignedSegmentAttackTest {
    private static final AtomicLong NEXT = new AtomicLong(18_000_000_000L);
    private static final KeyPair ROGUE = SegmentSignatures.generate();
    private static final StripeCodec CODEC = new StripeCodec(2, 1);

    @Inject
    MeterRegistry registry;
    @Inject
    StreamRegistry streams;
    @TestHTTPResource("/")
    URL base;

    @BeforeEach
    void subscribed() {
        await("relay subscribed to the fake parent for stream signed").atMost(Duration.ofSeconds(10))
                .until(() -> FakeParentResource.SIGNED_SUBSCRIBERS.size() == 3);
    }

    private double rejected(String reason) {
        return registry.find("stripecast.relay.shards.rejected").tags("stream", "signed", "reason", reason).counters().stream()
                .mapToDouble(c -> c.count()).sum();
    }

    private double checksumFailures(String kind) {
        return registry.find("stripecast.relay.checksum.failures").tags("stream", "signed", "kind", kind).counters().stream()
                .mapToDouble(c -> c.count()).sum();
    }

    private static SegmentMeta meta(long seq, byte[] segment, long ingestTime) {
        return SegmentMeta.newBuilder().setSequence(seq).setKind(SegmentKind.SEGMENT_KIND_MPEG_TS).setMediaSequence(seq)
                .setDurationMicros(1_000_000).setLength(segment.length).setIngestTimeMillis(ingestTime)
                .setSha256(ByteString.copyFrom(Shards.sha256(segment))).setK(2).setM(1).build();
    }

    private static Shard[] honest(long seq, byte[] segment) {
        SegmentMeta signed = SegmentSignatures.sign(FakeParentResource.INGEST.getPrivate(), "signed",
                meta(seq, segment, System.currentTimeMillis()));
        return Shards.encode(CODEC, signed, segment);
    }

    private void assertServes(long seq, byte[] segment) {
        RelayClient relay = new RelayClient(base.toString());
        await("segment " + seq + " served with the ingested bytes").atMost(Duration.ofSeconds(10)).until(() -> {
            HttpResponse<byte[]> r = relay.getBytes("/live/signed/" + seq + ".ts");
            return r.statusCode() == 200 && Arrays.equals(r.body(), segment);
        });
    }

    private static byte[] bytes(String what) {
        return (what + " ").repeat(2000).getBytes();
    }

    @Test
    void forgedMetadataArrivingFirstNeverDisplacesTheSignedOne() {
        long seq = NEXT.incrementAndGet();
        byte[] truth = bytes("the ingest's segment " + seq);
        byte[] lie = bytes("a rogue parent's segm " + seq);
        // Same length, CRC-valid shards of other content, with metadata that names the lie's SHA-256, signed by a key
        // the controller never handed out.
        SegmentMeta forged = SegmentSignatures.sign(ROGUE.getPrivate(), "signed", meta(seq, lie, System.currentTimeMillis()));
        Shard[] rogue = Shards.encode(CODEC, forged, lie);
        double before = rejected("signature");

        FakeParentResource.pushSigned(rogue[0]);
        FakeParentResource.pushSigned(rogue[1]);
        // The honest signature moved onto the lie's metadata does not verify either.
        FakeParentResource.pushSigned(rogue[2].toBuilder().setSegment(forged.toBuilder()
                .setSignature(honest(seq, truth)[0].getSegment().getSignature())).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> rejected("signature") == before + 3);
        assertThat(streams.find("signed").orElseThrow().window().entry(seq)).isNull();

        for (Shard s : honest(seq, truth)) {
            FakeParentResource.pushSigned(s);
        }
        assertServes(seq, truth);
    }

    @Test
    void unsignedShardsAreDroppedAndCounted() throws Exception {
        long seq = NEXT.incrementAndGet();
        byte[] segment = bytes("unsigned " + seq);
        double before = rejected("unsigned");
        for (Shard s : Shards.encode(CODEC, meta(seq, segment, System.currentTimeMillis()), segment)) {
            FakeParentResource.pushSigned(s);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> rejected("unsigned") == before + 3);
        assertThat(streams.find("signed").orElseThrow().window().entry(seq)).isNull();
        assertThat(new RelayClient(base.toString()).getBytes("/live/signed/" + seq + ".ts").statusCode()).isEqualTo(404);
    }

    @Test
    void crcValidShardOfWrongContentUnderTheSignedMetadataIsOutvoted() {
        long seq = NEXT.incrementAndGet();
        byte[] truth = bytes("true bytes " + seq);
        Shard[] good = honest(seq, truth);
        byte[] wrong = good[0].getData().toByteArray();
        wrong[10] ^= 0x33;
        double before = checksumFailures("shard_content");
        // Wrong bytes with a CRC that matches them and the ingest's own (valid) metadata: only the SHA-256 can tell.
        FakeParentResource.pushSigned(Shards.of(good[0].getSegment(), 0, wrong));
        // Held before the true shards come (each stripe is its own stream): the lie is among the k the relay rebuilds
        // from. A lie arriving after the segment is complete, in a stripe no child takes from here, is let go
        // unchecked (SegmentAssemblerTest).
        await().atMost(Duration.ofSeconds(10)).until(() -> streams.find("signed").orElseThrow().window().shard(seq, 0) != null);
        FakeParentResource.pushSigned(good[1]);
        FakeParentResource.pushSigned(good[2]);
        assertServes(seq, truth);
        await().atMost(Duration.ofSeconds(10)).until(() -> checksumFailures("shard_content") == before + 1);
        // What the relay holds (and would forward) in stripe 0 is the true shard.
        assertThat(streams.find("signed").orElseThrow().window().shard(seq, 0).getData()).isEqualTo(good[0].getData());
    }

    @Test
    void futureDatedMetadataIsRefusedEvenWhenSignedAndHonestSegmentsStay() throws Exception {
        long honestSeq = NEXT.incrementAndGet();
        byte[] truth = bytes("present " + honestSeq);
        for (Shard s : honest(honestSeq, truth)) {
            FakeParentResource.pushSigned(s);
        }
        assertServes(honestSeq, truth);

        long futureSeq = NEXT.incrementAndGet();
        byte[] later = bytes("from the future " + futureSeq);
        long inAnHour = System.currentTimeMillis() + 3_600_000;
        double timeBefore = rejected("bad_ingest_time");
        double sigBefore = rejected("signature");
        // Signed by the ingest key (as a broken ingest clock would) and by a rogue key: refused either way.
        SegmentMeta signedFuture = SegmentSignatures.sign(FakeParentResource.INGEST.getPrivate(), "signed", meta(futureSeq, later, inAnHour));
        for (Shard s : Shards.encode(CODEC, signedFuture, later)) {
            FakeParentResource.pushSigned(s);
        }
        long roguePastSeq = NEXT.incrementAndGet();
        SegmentMeta rogueFuture = SegmentSignatures.sign(ROGUE.getPrivate(), "signed", meta(roguePastSeq, later, System.currentTimeMillis() + 10_000));
        FakeParentResource.pushSigned(Shards.encode(CODEC, rogueFuture, later)[0]);
        await().atMost(Duration.ofSeconds(10)).until(() -> rejected("bad_ingest_time") == timeBefore + 3
                && rejected("signature") == sigBefore + 1);

        // The window did not move its horizon to the future: the honest segment is still served.
        assertServes(honestSeq, truth);
        assertThat(streams.find("signed").orElseThrow().window().entry(futureSeq)).isNull();
        new RelayClient(base.toString()).assertOtherStreamFlows();
    }
}
