package io.stripecast.relay.trust;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.trust.SegmentSignatures;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SegmentTrustTest {
    private static final KeyPair PRIMARY = SegmentSignatures.generate();
    private static final KeyPair STANDBY = SegmentSignatures.generate();

    private static SegmentMeta meta(long seq) {
        return SegmentMeta.newBuilder().setSequence(seq).setKind(SegmentKind.SEGMENT_KIND_MPEG_TS).setMediaSequence(seq)
                .setDurationMicros(1_000_000).setLength(100).setIngestTimeMillis(1_700_000_000_000L)
                .setSha256(ByteString.copyFrom(new byte[32])).setK(2).setM(1).build();
    }

    private static byte[] raw(KeyPair p) {
        return SegmentSignatures.raw(p.getPublic());
    }

    @Test
    void withoutASourceOfKeysNothingIsEnforced() {
        SegmentTrust trust = new SegmentTrust("live");
        assertThat(trust.enforced()).isFalse();
        assertThat(trust.problem(meta(1))).isNull();
    }

    @Test
    void enforcedWithoutKeysYetRefusesAsNoKeys() {
        SegmentTrust trust = new SegmentTrust("live");
        assertThat(trust.setKeys(AcceptedKeys.none())).isFalse();
        assertThat(trust.problem(SegmentSignatures.sign(PRIMARY.getPrivate(), "live", meta(1)))).isEqualTo("no_keys");
        assertThat(trust.problem(meta(1))).isEqualTo("unsigned");
    }

    @Test
    void primaryAndStandbyKeysVerifyOthersDoNot() {
        SegmentTrust trust = new SegmentTrust("live");
        assertThat(trust.setKeys(AcceptedKeys.of(List.of(raw(PRIMARY))))).as("a key added").isTrue();
        assertThat(trust.setKeys(AcceptedKeys.of(List.of(raw(PRIMARY))))).as("same keys again").isFalse();
        assertThat(trust.problem(SegmentSignatures.sign(STANDBY.getPrivate(), "live", meta(2)))).isEqualTo("signature");
        assertThat(trust.setKeys(AcceptedKeys.of(List.of(raw(PRIMARY), raw(STANDBY))))).isTrue();
        assertThat(trust.problem(SegmentSignatures.sign(PRIMARY.getPrivate(), "live", meta(2)))).isNull();
        assertThat(trust.problem(SegmentSignatures.sign(STANDBY.getPrivate(), "live", meta(3)))).isNull();
        assertThat(trust.setKeys(AcceptedKeys.of(List.of(raw(STANDBY))))).as("a key removed adds nothing").isFalse();
        assertThat(trust.problem(SegmentSignatures.sign(PRIMARY.getPrivate(), "live", meta(2)))).as("remembered verdicts are dropped with the key")
                .isEqualTo("signature");
    }

    @Test
    void anEmptyListFromANewControllerKeepsTheKeysHeld() {
        SegmentTrust trust = new SegmentTrust("live");
        trust.setKeys(AcceptedKeys.of(List.of(raw(PRIMARY))));
        assertThat(trust.setKeys(AcceptedKeys.none())).isFalse();
        assertThat(trust.problem(SegmentSignatures.sign(PRIMARY.getPrivate(), "live", meta(9)))).isNull();
    }

    @Test
    void aRememberedVerdictCoversOnlyTheIdenticalMetadata() {
        SegmentTrust trust = new SegmentTrust("live");
        trust.setKeys(AcceptedKeys.of(List.of(raw(PRIMARY))));
        SegmentMeta signed = SegmentSignatures.sign(PRIMARY.getPrivate(), "live", meta(5));
        assertThat(trust.problem(signed)).isNull();
        // Same sequence and signature, another SHA-256: verified again, and refused.
        assertThat(trust.problem(signed.toBuilder().setSha256(ByteString.copyFrom(new byte[32]).concat(ByteString.EMPTY))
                .setLength(101).build())).isEqualTo("signature");
        assertThat(trust.problem(signed)).isNull();
    }

    @Test
    void malformedAndSurplusKeysAreLeftOut() {
        AcceptedKeys keys = AcceptedKeys.of(List.of(new byte[5], raw(PRIMARY), raw(STANDBY), raw(SegmentSignatures.generate()),
                raw(SegmentSignatures.generate()), raw(SegmentSignatures.generate())));
        assertThat(keys.keys()).hasSize(AcceptedKeys.MAX_KEYS);
    }
}
