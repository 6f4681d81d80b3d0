package io.stripecast.lab.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.protocol.v1.ShardPushMessage;
import io.stripecast.relay.push.ShardPushWire;
import io.grpc.KnownLength;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.rebuild.Regenerator;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.window.ShardListener;
import io.stripecast.relay.window.WindowMemory;
import io.stripecast.relay.stream.StreamSpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What one relay does per segment, on one core, with the relay's own classes: parse the k+m shards as they come
 * off the wire (one per stripe tree), check each (bounds, CRC32C), put them in the window, rebuild and verify the
 * segment (decode when parity is needed, SHA-256 always), and serialise the shard of the one tree it is interior
 * in once per child, as gRPC does per {@code onNext}. Netty and the kernel are not in it (the lab measures those
 * with real processes); this is the CPU a relay spends per segment it forwards.
 * One operation = one segment; MB/s of stream per core = ops/s x segmentBytes / 10^6.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RelayForwardingBenchmark {
    /** k+m of the stream. */
    @Param({"3+1", "8+2"})
    public String shape;

    @Param({"1048576"})
    public int segmentBytes;

    /** Children in the tree this relay is interior in. */
    @Param({"4", "16"})
    public int children;

    /** true: one data stripe is missing (its parent just died), so every segment is rebuilt with parity. */
    @Param({"false", "true"})
    public boolean missingStripe;

    private int k;
    private int m;
    private StreamRuntime runtime;
    private ScheduledExecutorService timer;
    private Regenerator regenerator;
    private Shard[] template;
    private byte[][] wire;
    private long sequence = 1_000_000;
    private final OutputStream discard = OutputStream.nullOutputStream();
    private ShardPushWire.OneCopyParser parser;

    /** As gRPC's message streams: the parser reads a length it knows in advance. */
    private static final class KnownLengthStream extends ByteArrayInputStream implements KnownLength {
        KnownLengthStream(byte[] bytes) {
            super(bytes);
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        String[] km = shape.split("\\+");
        k = Integer.parseInt(km[0]);
        m = Integer.parseInt(km[1]);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-timer");
            t.setDaemon(true);
            return t;
        });
        StreamSpec spec = new StreamSpec("bench", k, m, Duration.ofSeconds(30), Optional.empty(), Optional.empty(), Duration.ofSeconds(1));
        RelayMetrics metrics = new RelayMetrics(new SimpleMeterRegistry());
        regenerator = new Regenerator(metrics);
        runtime = StreamRuntime.create(spec, 256L * 1024 * 1024, 32 * 1024 * 1024, metrics, timer, 750,
                WindowMemory.unbounded(), regenerator);
        // Messages are parsed into the relay's pooled arrays, as ParentLink does.
        parser = new ShardPushWire.OneCopyParser(runtime.window().buffers());
        for (int i = 0; i < k + m; i++) {
            // An orphaned stripe (its parent gone) is regenerated at once, as in a real relay: on the relay's
            // regeneration worker, not on this (the gRPC) thread, and only for a child that lacks it, so a child
            // that wants everything is registered. The figure is this thread's; the worker's time is not in it.
            runtime.setReceiving(i, !(missingStripe && i == 0));
        }
        if (missingStripe) {
            runtime.window().addListener(0, new ShardListener() {
                @Override
                public void onShard(long sequence) {
                }

                @Override
                public long wantsFrom() {
                    return 0;
                }
            });
        }
        byte[] segment = new byte[segmentBytes];
        new Random(7).nextBytes(segment);
        template = Shards.encode(new StripeCodec(k, m), meta(0, segment.length, ByteString.copyFrom(Shards.sha256(segment))), segment);
        wire = new byte[k + m][];
    }

    private SegmentMeta meta(long seq, int length, ByteString sha) {
        return SegmentMeta.newBuilder().setSequence(seq).setMediaSequence(seq).setKind(SegmentKind.SEGMENT_KIND_MPEG_TS)
                .setDurationMicros(1_000_000).setLength(length).setIngestTimeMillis(System.currentTimeMillis()).setSha256(sha)
                .setK(k).setM(m).build();
    }

    /** The next segment's shards as a parent sends them: a new sequence, the same payload (a sender's cost, not ours). */
    @Setup(Level.Invocation)
    public void nextSegment() {
        sequence++;
        SegmentMeta meta = template[0].getSegment().toBuilder().setSequence(sequence).setMediaSequence(sequence)
                .setIngestTimeMillis(System.currentTimeMillis()).build();
        for (int i = 0; i < k + m; i++) {
            wire[i] = ShardPushMessage.newBuilder().setShard(template[i].toBuilder().setSegment(meta)).build().toByteArray();
        }
    }

    @Benchmark
    public void forwardOneSegment(Blackhole bh) throws IOException {
        long now = System.currentTimeMillis();
        for (int stripe = missingStripe ? 1 : 0; stripe < k + m; stripe++) {
            // The relay's own receive path: gRPC hands the marshaller a stream that knows its length.
            ShardPushWire.Received received = parser.parse(new KnownLengthStream(wire[stripe]));
            Shard shard = received.message().getShard();
            String problem = runtime.validator().problem(shard, stripe, now, received.dataCrc());
            if (problem != null) {
                throw new IllegalStateException(problem);
            }
            runtime.assembler().accept(shard, received.bytes());
        }
        // What a child stream sends: the window's shard (a view of the segment once it is complete), one message per
        // child, written as gRPC's protobuf stream writes it (CodedOutputStream over its output, default buffer).
        Shard interior = runtime.window().shard(sequence, k - 1);
        for (int c = 0; c < children; c++) {
            CodedOutputStream out = CodedOutputStream.newInstance(discard);
            ShardPushMessage.newBuilder().setShard(interior).build().writeTo(out);
            out.flush();
        }
        if (!runtime.window().entry(sequence).isComplete()) {
            throw new IllegalStateException("segment " + sequence + " not rebuilt");
        }
        bh.consume(runtime.window().entry(sequence));
    }

    /**
     * Only the per-invocation set-up (the parent's k+m wire messages, built new for every segment): what -prof gc counts
     * of it in {@link #forwardOneSegment} is the benchmark's, not the relay's. The relay's own allocation per segment is
     * the difference of the two.
     */
    @Benchmark
    public void wireSetUpOnly(Blackhole bh) {
        bh.consume(wire);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        timer.shutdownNow();
        regenerator.close();
    }
}
