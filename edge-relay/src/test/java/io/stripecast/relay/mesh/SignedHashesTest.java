package io.stripecast.relay.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.trust.SegmentSignatures;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.relay.FakeParentResource;
import io.stripecast.relay.RelayClient;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code hashes.json} gives a browser all it needs to check a peer's segment: the ingest's keys, and per segment the
 * signed fields, the signature and the SHA-256. Rebuilt here exactly as the page does (fields -> canonical bytes).
 */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
class SignedHashesTest {
    @TestHTTPResource("/")
    URL base;

    @Test
    void hashesCarryTheSignedMetadataAndTheIngestKey() throws Exception {
        RelayClient relay = new RelayClient(base.toString());
        byte[] segment = relay.publish("live", "live-key-0123456789");
        String sha = HexFormat.of().formatHex(Shards.sha256(segment));
        JsonNode[] found = new JsonNode[2];
        await("the segment just published is listed in hashes.json").atMost(Duration.ofSeconds(10)).until(() -> {
            JsonNode b = new ObjectMapper().readTree(relay.get("/live/live/hashes.json").body());
            for (var it = b.get("segments").fields(); it.hasNext(); ) {
                var e = it.next();
                if (e.getValue().get("sha256").asText().equals(sha)) {
                    found[0] = b;
                    found[1] = e.getValue();
                    return true;
                }
            }
            return false;
        });
        JsonNode body = found[0];
        JsonNode entry = found[1];
        assertThat(body.get("stream").asText()).isEqualTo("live");
        List<PublicKey> keys = new ArrayList<>();
        body.get("keys").forEach(k -> keys.add(SegmentSignatures.publicKey(Base64.getDecoder().decode(k.asText()))));
        assertThat(keys).as("this relay is the root without a controller: it serves its own key").hasSize(1);
        assertThat(entry).as("the segment just published is listed").isNotNull();
        SegmentMeta rebuilt = fromJson(entry);
        assertThat(SegmentSignatures.verify("live", rebuilt, keys)).as("signature verifies over the served fields").isTrue();
        assertThat(SegmentSignatures.verify("other", rebuilt, keys)).as("bound to the stream").isFalse();
        SegmentMeta tampered = rebuilt.toBuilder().setSha256(ByteString.copyFrom(new byte[32])).build();
        assertThat(SegmentSignatures.verify("live", tampered, keys)).as("another SHA-256 does not verify").isFalse();
    }

    private static SegmentMeta fromJson(JsonNode entry) {
        JsonNode m = entry.get("meta");
        SegmentMeta.Builder b = SegmentMeta.newBuilder()
                .setSequence(Long.parseUnsignedLong(m.get("sequence").asText()))
                .setKind(SegmentKind.forNumber(m.get("kind").asInt()))
                .setMediaSequence(Long.parseUnsignedLong(m.get("mediaSequence").asText()))
                .setDurationMicros(Long.parseUnsignedLong(m.get("durationMicros").asText()))
                .setDiscontinuity(m.get("discontinuity").asBoolean())
                .setInitSequence(Long.parseUnsignedLong(m.get("initSequence").asText()))
                .setLength(Integer.parseUnsignedInt(m.get("length").asText()))
                .setIngestTimeMillis(Long.parseLong(m.get("ingestTimeMillis").asText()))
                .setSha256(ByteString.copyFrom(HexFormat.of().parseHex(entry.get("sha256").asText())))
                .setK(m.get("k").asInt()).setM(m.get("m").asInt())
                .setSignature(ByteString.copyFrom(Base64.getDecoder().decode(entry.get("signature").asText())));
        if (m.hasNonNull("upstreamSequence")) {
            b.setUpstreamSequence(Long.parseLong(m.get("upstreamSequence").asText()));
        }
        return b.build();
    }
}
