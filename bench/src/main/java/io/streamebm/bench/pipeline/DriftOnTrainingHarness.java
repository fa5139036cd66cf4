package io.streamebm.bench.pipeline;

import io.streamebm.datasets.DatasetStream;
import io.streamebm.datasets.Datasets;
import io.streamebm.pipeline.calibration.EnergyPercentiles;
import io.streamebm.pipeline.calibration.EnergySketch;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.drift.DriftDetector;
import io.streamebm.pipeline.drift.DriftOptions;
import io.streamebm.pipeline.train.EbmLearner;
import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Calibration and drift detection on a model that is learning, without Kafka: the {@code train}
 * defaults (PCD-10, batches of 256) on eight Gaussians (std 0.1, as the demo streams them), then a
 * switch to the checkerboard. Each batch's energies are taken under the model before it trains on
 * the batch, fed to the sketch and the detector (the defaults: window 100,000, delta 0.002), then
 * the model trains. Prints every drift, and at the end of each phase the share of 10,000 held-out
 * records of each stream ranked at {@code scoring.anomaly-percentile} or above.
 *
 * <p>What it answers before the trainer is wired: does a model that is still learning look like a
 * drifting stream, is the switch found, and do the percentiles flag the right records.
 *
 * <p>With {@code relative}, the detector gets each energy minus the mean energy, under the same
 * model, of the 1,024 training records before the batch: a model that moves all its energies
 * together then moves both terms alike, and only records unlike the recent ones stand out.
 *
 * <p>Run: {@code OMP_NUM_THREADS=1 java -cp bench/target/benchmarks.jar
 * io.streamebm.bench.pipeline.DriftOnTrainingHarness [records before the switch, default 400000]
 * [records after, default 200000] [raw|relative, default raw]}.
 */
public final class DriftOnTrainingHarness {

    private static final int BATCH = 256;
    private static final int REFERENCE = 1024;

    private DriftOnTrainingHarness() {
    }

    /** Runs both phases and prints what it finds. */
    public static void main(String[] args) {
        long before = args.length > 0 ? Long.parseLong(args[0]) : 400_000;
        long after = args.length > 1 ? Long.parseLong(args[1]) : 200_000;
        boolean relative = args.length > 2 && args[2].equals("relative");
        INDArray reference = null;
        PipelineConfig config = PipelineConfig.defaults();
        EbmLearner learner = new EbmLearner(config);
        EnergySketch sketch = EnergySketch.fromConfig(config);
        DriftDetector detector = DriftOptions.fromConfig(config).detector();
        double threshold = config.number("scoring.anomaly-percentile");
        DatasetStream old = Datasets.eightGaussians(2.0, 0.1, 1);
        DatasetStream fresh = Datasets.checkerboard(4.0, 2);
        long t0 = System.nanoTime();
        long records = 0;
        long step = 0;
        while (records < before + after) {
            DatasetStream source = records < before ? old : fresh;
            INDArray batch = source.nextBatch(BATCH);
            double[] energies = learner.energies(batch).toDoubleVector();
            sketch.addAll(energies);
            double level = relative && reference != null ? learner.energies(reference).meanNumber().doubleValue() : 0;
            if (relative) {
                INDArray kept = reference == null ? null : reference.rows() < REFERENCE ? reference
                        : reference.get(NDArrayIndex.interval(BATCH, REFERENCE), NDArrayIndex.all());
                reference = kept == null ? batch.dup() : Nd4j.vstack(kept, batch);
            }
            for (int i = 0; i < energies.length; i++) {
                long at = records + i;
                detector.add(energies[i] - level).ifPresent(d -> System.out.printf(Locale.ROOT,
                        "drift at record %d (%s the switch): mean energy %.3f -> %.3f over %d / %d records%n", at,
                        at < before ? (before - at) + " before" : (at - before) + " after", d.meanBefore(),
                        d.meanAfter(), d.recordsBefore(), d.recordsAfter()));
            }
            learner.update(batch);
            records += energies.length;
            step++;
            if (records >= before && records - energies.length < before) {
                report("before the switch", learner, sketch, threshold);
            }
            if (step % 500 == 0) {
                System.out.printf(Locale.ROOT, "  %d records, %.0f records/s%n", records,
                        records / ((System.nanoTime() - t0) / 1e9));
            }
        }
        report("after the switch", learner, sketch, threshold);
    }

    private static void report(String when, EbmLearner learner, EnergySketch sketch, double threshold) {
        EnergyPercentiles p = sketch.percentiles().orElseThrow();
        System.out.printf(Locale.ROOT, "%s: flagged eight-gaussians %.2f%%, checkerboard %.2f%% (%d energies in the sketch)%n",
                when, 100 * flagged(learner, p, Datasets.eightGaussians(2.0, 0.1, 99), threshold),
                100 * flagged(learner, p, Datasets.checkerboard(4.0, 98), threshold), p.records());
    }

    private static double flagged(EbmLearner learner, EnergyPercentiles p, DatasetStream held, double threshold) {
        int n = 10_000;
        int flagged = 0;
        for (double e : learner.energies(held.nextBatch(n)).toDoubleVector()) {
            if (p.percentile(e) >= threshold) {
                flagged++;
            }
        }
        return flagged / (double) n;
    }
}
