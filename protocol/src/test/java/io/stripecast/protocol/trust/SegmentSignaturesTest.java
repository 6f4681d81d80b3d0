package io.stripecast.protocol.trust;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.security.PublicKey;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SegmentSignaturesTest {
    private static final KeyPair INGEST = SegmentSignatures.generate();
    private static final KeyPair ROGUE = SegmentSignatures.generate();

    private static SegmentMeta meta() {
        byte[] sha = new byte[32];
        sha[0] = 7;
        return SegmentMeta.newBuilder().setSequence(17_000_000_001L).setKind(SegmentKind.SEGMENT_KIND_MPEG_TS)
                .setMediaSequence(42).setDurationMicros(2_000_000).setDiscontinuity(false).setInitSequence(0)
                .setLength(188 * 100).setIngestTimeMillis(1_700_000_000_000L).setSha256(ByteString.copyFrom(sha))
                .setK(2).setM(1).setUpstreamSequence(5).build();
    }

    private static List<PublicKey> keys(KeyPair... pairs) {
        return java.util.Arrays.stream(pairs).map(KeyPair::getPublic).toList();
    }

    @Test
    void signedMetadataVerifiesWithTheIngestKey() {
        SegmentMeta signed = SegmentSignatures.sign(INGEST.getPrivate(), "live", meta());
        assertThat(signed.getSignature().size()).isEqualTo(SegmentSignatures.SIGNATURE_BYTES);
        assertThat(SegmentSignatures.verify("live", signed, keys(INGEST))).isTrue();
        // Any accepted key (primary, standby, a recent ingest) will do.
        assertThat(SegmentSignatures.verify("live", signed, keys(ROGUE, INGEST))).isTrue();
    }

    @Test
    void everySignedFieldIsCovered() {
        SegmentMeta signed = SegmentSignatures.sign(INGEST.getPrivate(), "live", meta());
        List<UnaryOperator<SegmentMeta.Builder>> tampers = List.of(
                b -> b.setSequence(b.getSequence() + 1),
                b -> b.setKind(SegmentKind.SEGMENT_KIND_END_OF_STREAM),
                b -> b.setMediaSequence(43),
                b -> b.setDurationMicros(1),
                b -> b.setDiscontinuity(true),
                b -> b.setInitSequence(3),
                b -> b.setLength(b.getLength() + 1),
                b -> b.setIngestTimeMillis(b.getIngestTimeMillis() + 3_600_000),
                b -> b.setSha256(ByteString.copyFrom(new byte[32])),
                b -> b.setK(3),
                b -> b.setM(0),
                b -> b.setUpstreamSequence(6),
                SegmentMeta.Builder::clearUpstreamSequence,
                b -> b.setRendition(1),
                b -> b.setPartIndex(2),
                b -> b.setIndependent(true));
        for (int i = 0; i < tampers.size(); i++) {
            SegmentMeta forged = tampers.get(i).apply(signed.toBuilder()).build();
            assertThat(SegmentSignatures.verify("live", forged, keys(INGEST))).as("tamper #%d", i).isFalse();
        }
    }

    @Test
    void everyFieldOfAPartIsCovered() {
        SegmentMeta part = meta().toBuilder().setKind(SegmentKind.SEGMENT_KIND_FMP4_PART).setRendition(1).setPartIndex(3)
                .setIndependent(false).build();
        SegmentMeta signed = SegmentSignatures.sign(INGEST.getPrivate(), "live", part);
        assertThat(SegmentSignatures.verify("live", signed, keys(INGEST))).isTrue();
        List<UnaryOperator<SegmentMeta.Builder>> tampers = List.of(
                b -> b.setRendition(0),
                b -> b.setRendition(2),
                b -> b.setPartIndex(0),
                b -> b.setPartIndex(4),
                b -> b.setKind(SegmentKind.SEGMENT_KIND_PARTS_END),
                b -> b.setIndependent(true),
                b -> b.setKind(SegmentKind.SEGMENT_KIND_FMP4_MEDIA),
                b -> b.setMediaSequence(43));
        for (int i = 0; i < tampers.size(); i++) {
            SegmentMeta forged = tampers.get(i).apply(signed.toBuilder()).build();
            assertThat(SegmentSignatures.verify("live", forged, keys(INGEST))).as("tamper #%d", i).isFalse();
        }
        // A whole v1 segment of rendition 0 keeps the bytes the browser rebuilds; naming another rendition changes the tag.
        assertThat(new String(SegmentSignatures.canonical("live", meta()), 0, 21, java.nio.charset.StandardCharsets.US_ASCII))
                .isEqualTo("stripecast-segment-v1");
        assertThat(new String(SegmentSignatures.canonical("live", part), 0, 21, java.nio.charset.StandardCharsets.US_ASCII))
                .isEqualTo("stripecast-segment-v2");
        assertThat(SegmentSignatures.canonical("live", part)).hasSize(126 + 9);
    }

    @Test
    void aPartsProgramDateTimeIsSignedUnderV3() {
        SegmentMeta part = meta().toBuilder().setKind(SegmentKind.SEGMENT_KIND_FMP4_PART).setPartIndex(2)
                .setProgramDateTimeMillis(1_796_000_000_123L).build();
        SegmentMeta signed = SegmentSignatures.sign(INGEST.getPrivate(), "live", part);
        assertThat(SegmentSignatures.verify("live", signed, keys(INGEST))).isTrue();
        assertThat(new String(SegmentSignatures.canonical("live", part), 0, 21, java.nio.charset.StandardCharsets.US_ASCII))
                .isEqualTo("stripecast-segment-v3");
        assertThat(SegmentSignatures.canonical("live", part)).hasSize(126 + 9 + 8);
        // Moved, dropped, or added to metadata signed without one: each fails.
        assertThat(SegmentSignatures.verify("live", signed.toBuilder().setProgramDateTimeMillis(1_796_000_000_124L).build(), keys(INGEST)))
                .isFalse();
        assertThat(SegmentSignatures.verify("live", signed.toBuilder().setProgramDateTimeMillis(0).build(), keys(INGEST))).isFalse();
        SegmentMeta v2 = SegmentSignatures.sign(INGEST.getPrivate(), "live", part.toBuilder().setProgramDateTimeMillis(0).build());
        assertThat(SegmentSignatures.verify("live", v2.toBuilder().setProgramDateTimeMillis(1).build(), keys(INGEST))).isFalse();
    }

    @Test
    void aSignatureBindsTheStreamName() {
        SegmentMeta signed = SegmentSignatures.sign(INGEST.getPrivate(), "live", meta());
        assertThat(SegmentSignatures.verify("other", signed, keys(INGEST))).isFalse();
    }

    @Test
    void forgedAbsentOrForeignSignaturesFail() {
        SegmentMeta rogue = SegmentSignatures.sign(ROGUE.getPrivate(), "live", meta());
        assertThat(SegmentSignatures.verify("live", rogue, keys(INGEST))).isFalse();
        assertThat(SegmentSignatures.verify("live", meta(), keys(INGEST))).isFalse();
        SegmentMeta garbage = meta().toBuilder().setSignature(ByteString.copyFrom(new byte[64])).build();
        assertThat(SegmentSignatures.verify("live", garbage, keys(INGEST))).isFalse();
        SegmentMeta shortSig = meta().toBuilder().setSignature(ByteString.copyFrom(new byte[3])).build();
        assertThat(SegmentSignatures.verify("live", shortSig, keys(INGEST))).isFalse();
        // No accepted key: nothing verifies.
        SegmentMeta signed = SegmentSignatures.sign(INGEST.getPrivate(), "live", meta());
        assertThat(SegmentSignatures.verify("live", signed, List.of())).isFalse();
    }

    @Test
    void rawPublicKeysRoundTrip() {
        byte[] raw = SegmentSignatures.raw(INGEST.getPublic());
        assertThat(raw).hasSize(32);
        PublicKey back = SegmentSignatures.publicKey(raw);
        SegmentMeta signed = SegmentSignatures.sign(INGEST.getPrivate(), "live", meta());
        assertThat(SegmentSignatures.verify("live", signed, List.of(back))).isTrue();
        assertThatThrownBy(() -> SegmentSignatures.publicKey(new byte[31])).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Signing and checking are Bouncy Castle's; keys, other verifiers (the JDK's, the browser's WebCrypto) are not: the
     * signature must be the RFC 8032 one, byte for byte, and either side must accept the other's.
     */
    @Test
    void signaturesAreTheJdksEd25519ByteForByte() throws Exception {
        SegmentMeta ours = SegmentSignatures.sign(INGEST.getPrivate(), "live", meta());
        java.security.Signature jdk = java.security.Signature.getInstance("Ed25519");
        jdk.initSign(INGEST.getPrivate());
        jdk.update(SegmentSignatures.canonical("live", meta()));
        byte[] theirs = jdk.sign();
        assertThat(ours.getSignature().toByteArray()).isEqualTo(theirs);
        jdk.initVerify(INGEST.getPublic());
        jdk.update(SegmentSignatures.canonical("live", meta()));
        assertThat(jdk.verify(ours.getSignature().toByteArray())).isTrue();
    }

    @Test
    void keysOfAnotherCurveNeitherSignNorVerify() throws Exception {
        KeyPair ed448 = java.security.KeyPairGenerator.getInstance("Ed448").generateKeyPair();
        assertThatThrownBy(() -> SegmentSignatures.sign(ed448.getPrivate(), "live", meta())).isInstanceOf(IllegalArgumentException.class);
        SegmentMeta signed = SegmentSignatures.sign(INGEST.getPrivate(), "live", meta());
        assertThat(SegmentSignatures.verify("live", signed, List.of(ed448.getPublic()))).isFalse();
        assertThat(SegmentSignatures.verify("live", signed, List.of(ed448.getPublic(), INGEST.getPublic()))).isTrue();
    }

    @Test
    void canonicalLayoutIsFixed() {
        // The browser rebuilds these bytes (player/page.html, canonical()): 22 tag + 1 + 4 name + 8+4+8+8+1+8+4+8 + 1+32
        // + 4+4 + 1+8 = 126. The same vector, written out from the layout by hand, is what the page's function gives.
        assertThat(java.util.HexFormat.of().formatHex(SegmentSignatures.canonical("live", meta()))).isEqualTo(
                "737472697065636173742d7365676d656e742d763100046c69766500000003f5476a0100000001000000000000002a00000000001e8480000000000000000000000049700000018bcfe568002007000000000000000000000000000000000000000000000000000000000000000000000200000001010000000000000005");
    }
}
