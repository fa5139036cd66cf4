package io.streamebm.bench.pipeline;

import io.streamebm.pipeline.calibration.EnergyPercentiles;
import io.streamebm.pipeline.calibration.EnergySketch;
import io.streamebm.pipeline.drift.Adwin;
import io.streamebm.pipeline.drift.Drift;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What calibration and drift detection add to the trainer, per record: {@link EnergySketch#add}
 * (KLL, k = 1000, two windows of 100,000) and {@link Adwin#add} (delta 0.002, window 100,000), each
 * and both, over the energies of a micro-batch of 256 records, in steady state (full windows). Set
 * them against a training step per record: {@code LossTrainingStepBench} divided by its batch of
 * 256 (bench/RESULTS.md: DSM 1.17 ms, 4.6 µs a record, the cheapest; PCD-10 3.96 ms, 15.5 µs). Also
 * the rank table a snapshot carries ({@link EnergySketch#percentiles()}), once per snapshot.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar CalibrationDriftBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
public class CalibrationDriftBench {

    private static final int BATCH = 256;
    private static final int BATCHES = 64;

    private final double[][] batches = new double[BATCHES][BATCH];
    private int next;
    private EnergySketch sketch;
    private Adwin detector;

    /** Energies of a fixed distribution (lognormal), and a sketch and detector with full windows. */
    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(42);
        for (double[] batch : batches) {
            for (int i = 0; i < BATCH; i++) {
                batch[i] = Math.exp(Math.sqrt(-2 * Math.log(1 - random.nextDouble()))
                        * Math.cos(2 * Math.PI * random.nextDouble()));
            }
        }
        sketch = new EnergySketch(100_000);
        detector = new Adwin(0.002, 100_000);
        for (int i = 0; i < 300_000 / BATCH; i++) {
            sketchBatch(batches[i % BATCHES]);
            detectBatch(batches[i % BATCHES]);
        }
    }

    private void sketchBatch(double[] energies) {
        sketch.addAll(energies);
    }

    private Optional<Drift> detectBatch(double[] energies) {
        Optional<Drift> drift = Optional.empty();
        for (double e : energies) {
            Optional<Drift> d = detector.add(e);
            if (d.isPresent()) {
                drift = d;
            }
        }
        return drift;
    }

    private double[] nextBatch() {
        next = (next + 1) % BATCHES;
        return batches[next];
    }

    /** The sketch alone, per record. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long sketch() {
        sketchBatch(nextBatch());
        return sketch.records();
    }

    /** The detector alone, per record. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public Optional<Drift> detector() {
        return detectBatch(nextBatch());
    }

    /** Both, per record: what the trainer adds to each record it trains on. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void sketchAndDetector(Blackhole hole) {
        double[] batch = nextBatch();
        sketchBatch(batch);
        hole.consume(detectBatch(batch));
    }

    /** The rank table of both windows, once per snapshot. */
    @Benchmark
    public Optional<EnergyPercentiles> percentilesForASnapshot() {
        return sketch.percentiles();
    }
}
