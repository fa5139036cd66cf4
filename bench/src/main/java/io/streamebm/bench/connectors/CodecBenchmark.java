package io.streamebm.bench.connectors;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import io.streamebm.connectors.codec.Float32SampleCodec;
import io.streamebm.connectors.codec.JsonSampleCodec;
import io.streamebm.connectors.codec.SampleDecoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Decoding throughput of one record value into a validated sample, for JSON and float32 values.
 * Each operation decodes one record; MB/s = ops/s x {@code bytesPerRecord} (printed at setup).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class CodecBenchmark {

    private static final int N = 1024;

    /** Sample dimension. */
    @Param({"2", "32"})
    public int dim;

    /** JSON style: "python" = 17 significant digits as json.dumps writes doubles, "short" = 6 digits. */
    @Param({"python", "short"})
    public String style;

    private byte[][] json;
    private byte[][] f32;
    private SampleDecoder decoder;

    /** Builds seeded values. */
    @Setup(Level.Trial)
    public void setUp() {
        Random rnd = new Random(42);
        json = new byte[N][];
        f32 = new byte[N][];
        long jsonBytes = 0;
        for (int i = 0; i < N; i++) {
            float[] v = new float[dim];
            StringBuilder sb = new StringBuilder("[");
            for (int k = 0; k < dim; k++) {
                double x = rnd.nextGaussian();
                v[k] = (float) x;
                if (k > 0) {
                    sb.append(", ");
                }
                sb.append(style.equals("python") ? Double.toString(x) : String.format(java.util.Locale.ROOT, "%.6f", x));
            }
            json[i] = sb.append(']').toString().getBytes();
            f32[i] = Float32SampleCodec.INSTANCE.encode(v);
            jsonBytes += json[i].length;
        }
        decoder = SampleDecoder.builder().expectedDimension(dim).build();
        System.out.printf("%n[bytesPerRecord] dim=%d style=%s json=%.1f float32=%d%n", dim, style,
                jsonBytes / (double) N, f32[0].length);
    }

    /** @param bh sink */
    @Benchmark
    @OperationsPerInvocation(N)
    public void json(Blackhole bh) {
        for (byte[] b : json) {
            bh.consume(decoder.decode(b, JsonSampleCodec.CONTENT_TYPE));
        }
    }

    /** @param bh sink */
    @Benchmark
    @OperationsPerInvocation(N)
    public void float32(Blackhole bh) {
        for (byte[] b : f32) {
            bh.consume(decoder.decode(b, Float32SampleCodec.CONTENT_TYPE));
        }
    }
}
