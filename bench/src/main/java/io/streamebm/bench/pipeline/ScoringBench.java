package io.streamebm.bench.pipeline;

import io.streamebm.connectors.DecodedSample;
import io.streamebm.datasets.DatasetStream;
import io.streamebm.datasets.Datasets;
import io.streamebm.pipeline.app.BatchScorer;
import io.streamebm.pipeline.app.ModelSnapshots;
import io.streamebm.pipeline.calibration.EnergySketch;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.train.Models;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Scoring throughput with and without calibration: {@code score}'s per-record path
 * ({@link BatchScorer}: the energies of a poll of 500 records under the default 2→128→128→1 MLP,
 * then each ranked and written as JSON), with a snapshot that carries a calibration of two full
 * windows (about 4,000 entries) and with one that carries none. Kafka is left out: this is the
 * part calibration changes. The time is per record.
 *
 * <p>Run: {@code OMP_NUM_THREADS=1 java -jar bench/target/benchmarks.jar ScoringBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
public class ScoringBench {

    private static final int POLL = 500;

    /** Whether the snapshot carries a calibration. */
    @Param({"true", "false"})
    public boolean calibrated;

    private final List<DecodedSample> samples = new ArrayList<>();
    private ModelSnapshots.Snapshot snapshot;
    private final BatchScorer scorer = new BatchScorer(0.995);

    /** The default model, 500 eight-Gaussians records, and a calibration of its own energies on 150,000 more. */
    @Setup
    public void setUp() {
        Map<String, String> shape = Models.shapeOf(PipelineConfig.defaults().asMap());
        var model = Models.build(shape, 0);
        DatasetStream data = Datasets.eightGaussians(2.0, 0.1, 7);
        for (int i = 0; i < POLL; i++) {
            samples.add(new DecodedSample("ebm.samples", 0, i, 0L, null, data.next()));
        }
        EnergySketch sketch = new EnergySketch(100_000);
        for (int b = 0; b < 150_000 / POLL; b++) {
            float[] flat = new float[POLL * 2];
            for (int i = 0; i < POLL; i++) {
                System.arraycopy(data.next(), 0, flat, 2 * i, 2);
            }
            sketch.addAll(model.energyValues(Nd4j.create(flat, new long[] {POLL, 2}, DataType.FLOAT)).toDoubleVector());
        }
        snapshot = new ModelSnapshots.Snapshot(1, 150_000, model,
                calibrated ? sketch.percentiles() : Optional.empty());
    }

    /** One poll's scores, per record. */
    @Benchmark
    @OperationsPerInvocation(POLL)
    public List<String> scorePoll() {
        return scorer.score(snapshot, samples);
    }
}
