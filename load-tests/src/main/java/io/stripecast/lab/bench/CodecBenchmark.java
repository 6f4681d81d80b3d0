package io.stripecast.lab.bench;

import io.stripecast.protocol.codec.ReedSolomon;
import io.stripecast.protocol.codec.StripeCodec;
import java.io.IOException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.io.erasurecode.ErasureCoderOptions;
import org.apache.hadoop.io.erasurecode.rawcoder.RSRawDecoder;
import org.apache.hadoop.io.erasurecode.rawcoder.RSRawEncoder;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Our Reed-Solomon codec against Hadoop's pure-Java RS coder (the same code, byte for byte) on
 * one segment: encode = the m parity shards of k data shards; decode = rebuild m lost data shards
 * from the k survivors. One operation is one segment, so MB/s = ops/s * segmentBytes / 10^6.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CodecBenchmark {

    /** k+m. */
    @Param({"3+1", "6+3", "10+4"})
    public String shape;

    @Param({"1048576", "4194304"})
    public int segmentBytes;

    private int shardLength;
    private byte[][] data;
    private byte[][] parity;
    private byte[][] hadoopParity;
    /** All k + m shards with the first m data shards missing (null). */
    private byte[][] damaged;
    private int[] erased;
    private byte[][] hadoopRebuilt;
    /** k + m slots, the first m holding our preallocated outputs (as Hadoop's decode gets). */
    private byte[][] ourRebuilt;

    private ReedSolomon ours;
    private RSRawEncoder hadoopEncoder;
    private RSRawDecoder hadoopDecoder;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        String[] km = shape.split("\\+");
        int k = Integer.parseInt(km[0]);
        int m = Integer.parseInt(km[1]);
        shardLength = StripeCodec.shardLength(segmentBytes, k);
        Random rnd = new Random(20261125L);
        data = new byte[k][shardLength];
        for (byte[] d : data) {
            rnd.nextBytes(d);
        }
        parity = new byte[m][shardLength];
        hadoopParity = new byte[m][shardLength];

        ours = new ReedSolomon(k, m);
        hadoopEncoder = new RSRawEncoder(new ErasureCoderOptions(k, m));
        hadoopDecoder = new RSRawDecoder(new ErasureCoderOptions(k, m));

        ours.encodeParity(data, parity, 0, shardLength);
        damaged = new byte[k + m][];
        System.arraycopy(data, 0, damaged, 0, k);
        System.arraycopy(parity, 0, damaged, k, m);
        erased = new int[m];
        for (int i = 0; i < m; i++) {
            erased[i] = i;
            damaged[i] = null;
        }
        hadoopRebuilt = new byte[m][shardLength];
        ourRebuilt = new byte[k + m][];
        for (int i = 0; i < m; i++) {
            ourRebuilt[i] = new byte[shardLength];
        }

        // Refuse to measure two coders that do not compute the same thing.
        hadoopEncoder.encode(data, hadoopParity);
        for (int p = 0; p < m; p++) {
            if (!java.util.Arrays.equals(parity[p], hadoopParity[p])) {
                throw new IllegalStateException("parity " + p + " differs from Hadoop's");
            }
        }
        byte[][] rebuilt = decodeOursInto();
        hadoopDecoder.decode(damaged, erased, hadoopRebuilt);
        for (int i = 0; i < m; i++) {
            if (!java.util.Arrays.equals(rebuilt[i], data[i]) || !java.util.Arrays.equals(hadoopRebuilt[i], data[i])) {
                throw new IllegalStateException("rebuilt data shard " + i + " differs");
            }
        }
    }

    @Benchmark
    public byte[][] encodeOurs() {
        ours.encodeParity(data, parity, 0, shardLength);
        return parity;
    }

    @Benchmark
    public byte[][] encodeHadoop() throws IOException {
        hadoopEncoder.encode(data, hadoopParity);
        return hadoopParity;
    }

    /** Includes allocating the rebuilt shards, as our API does. */
    @Benchmark
    public byte[][] decodeOurs() {
        byte[][] shards = damaged.clone();
        ours.reconstruct(shards, shardLength);
        return shards;
    }

    /** Into preallocated outputs, like {@link #decodeHadoop}: the like-for-like comparison. */
    @Benchmark
    public byte[][] decodeOursInto() {
        byte[][] shards = damaged.clone();
        ours.reconstructInto(shards, shardLength, ourRebuilt);
        return shards;
    }

    /** Into preallocated outputs, as Hadoop's API allows. */
    @Benchmark
    public byte[][] decodeHadoop() throws IOException {
        hadoopDecoder.decode(damaged, erased, hadoopRebuilt);
        return hadoopRebuilt;
    }
}
