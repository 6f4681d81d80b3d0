package io.stripecast.lab.bench;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.trust.SegmentSignatures;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.Signature;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What signed segments cost per segment (docs/signed-segments.md): the ingest signs each segment's metadata once; a
 * relay verifies it once per segment (SegmentTrust remembers a verified metadata for the other shards). For scale, the
 * SHA-256 every relay already computes over a rebuilt 1 MiB segment. {@code jdkSign}/{@code jdkVerify} are the same
 * work through the JDK's own Ed25519 (what {@link SegmentSignatures} used before), as the baseline in the same run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SegmentSignatureBenchmark {
    private KeyPair pair;
    private List<PublicKey> keys;
    private SegmentMeta meta;
    private SegmentMeta signed;
    private byte[] segment;

    @Setup
    public void setUp() {
        pair = SegmentSignatures.generate();
        keys = List.of(pair.getPublic());
        segment = new byte[1 << 20];
        new Random(16).nextBytes(segment);
        meta = SegmentMeta.newBuilder().setSequence(17_000_000_001L).setKind(SegmentKind.SEGMENT_KIND_MPEG_TS)
                .setMediaSequence(42).setDurationMicros(2_000_000).setLength(segment.length).setIngestTimeMillis(1_700_000_000_000L)
                .setSha256(ByteString.copyFrom(Shards.sha256(segment))).setK(6).setM(3).setUpstreamSequence(5).build();
        signed = SegmentSignatures.sign(pair.getPrivate(), "live", meta);
    }

    @Benchmark
    public SegmentMeta sign() {
        return SegmentSignatures.sign(pair.getPrivate(), "live", meta);
    }

    @Benchmark
    public boolean verify() {
        return SegmentSignatures.verify("live", signed, keys);
    }

    @Benchmark
    public byte[] jdkSign() throws GeneralSecurityException {
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(pair.getPrivate());
        s.update(SegmentSignatures.canonical("live", meta));
        return s.sign();
    }

    @Benchmark
    public boolean jdkVerify() throws GeneralSecurityException {
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify(pair.getPublic());
        s.update(SegmentSignatures.canonical("live", signed));
        return s.verify(signed.getSignature().toByteArray());
    }

    @Benchmark
    public byte[] sha256Of1MiBSegment() {
        return Shards.sha256(segment);
    }
}
