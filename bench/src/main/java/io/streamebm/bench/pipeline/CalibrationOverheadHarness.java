package io.streamebm.bench.pipeline;

import io.streamebm.energy.mlp.MlpEnergy;
import io.streamebm.datasets.Datasets;
import io.streamebm.losses.DataEnergies;
import io.streamebm.losses.DenoisingScoreMatchingLoss;
import io.streamebm.losses.Loss;
import io.streamebm.losses.PersistentContrastiveDivergenceLoss;
import io.streamebm.losses.ProbeEnergies;
import io.streamebm.optim.Adam;
import io.streamebm.optim.TrainingStep;
import io.streamebm.pipeline.calibration.EnergySketch;
import io.streamebm.pipeline.drift.Adwin;
import io.streamebm.samplers.LangevinDynamics;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The share of a training step that calibration and drift detection add, as the trainer does them,
 * measured in one JVM: two identical learners (the {@code LossTrainingStepBench} setup: 2→128→128→1
 * MLP, Adam, batches of 256) take turns, a plain one that only trains and a watched one that does
 * what the trainer does, so that whatever else runs on the machine slows both alike. The watched
 * one takes the batch's pre-update energies (from the loss when it offers them,
 * {@code Loss.dataEnergies()}; else a forward pass, as the trainer makes for dsm), feeds them to an
 * {@link EnergySketch} and to {@link Adwin}, and measures the drift level's 64 probe rows
 * ({@code DriftLevel}): in the step's own pass when the loss offers {@code Loss.probeEnergies()}
 * (pcd), whose cost is then the watched step's time over the plain one's; else in a forward pass
 * of their own. The totals per record, each part apart. DSM is the cheapest step, so the hardest
 * budget; PCD-10 the default. The riding probe's figure is not a measure: two learner instances
 * differ by up to ±0.1 ms a step whatever they do, as much as the probe costs; {@link ProbeCostHarness}
 * measures it on one learner.
 *
 * <p>Run: {@code OMP_NUM_THREADS=1 java -cp bench/target/benchmarks.jar
 * io.streamebm.bench.pipeline.CalibrationOverheadHarness [seconds per loss, default 20]}.
 */
public final class CalibrationOverheadHarness {

    private static final int BATCH = 256;
    private static final int PROBE_ROWS = 64;

    private CalibrationOverheadHarness() {
    }

    /** Prints one line per loss. */
    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 20;
        for (String name : new String[] {"dsm", "pcd"}) {
            run(name, seconds);
        }
    }

    /** One learner of the comparison: the same model, loss and optimizer from the same seeds. */
    private record Learner(Loss loss, MlpEnergy model, TrainingStep step) {

        static Learner of(String name) {
            MlpEnergy model = MlpEnergy.builder().build();
            Loss loss = name.equals("dsm") ? new DenoisingScoreMatchingLoss(0.1)
                    : new PersistentContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01).withSeed(1), 1000, 10);
            return new Learner(loss, model,
                    new TrainingStep(model, loss, new Adam(TrainingStep.trainableParameters(model, loss), 1e-3)));
        }
    }

    private static void run(String name, double seconds) {
        Learner plain = Learner.of(name);
        Learner watched = Learner.of(name);
        Optional<DataEnergies> free = watched.loss().dataEnergies();
        Optional<ProbeEnergies> riding = watched.loss().probeEnergies();
        var data = Datasets.eightGaussians(2, 0.1, 7);
        List<INDArray> batches = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            batches.add(data.nextBatch(BATCH));
        }
        INDArray probe = data.nextBatch(PROBE_ROWS).dup('c');
        riding.ifPresent(r -> r.probe(probe));
        EnergySketch sketch = new EnergySketch(100_000);
        Adwin detector = new Adwin(0.002, 100_000);
        long plainNanos = 0;
        long stepNanos = 0;
        long batchNanos = 0;
        long addNanos = 0;
        long probeNanos = 0;
        long rounds = 0;
        long measured = 0;
        long drifts = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long warmEnd = System.nanoTime() + (long) (seconds * 0.2e9);
        while (System.nanoTime() < end) {
            INDArray batch = batches.get((int) (rounds & 15));
            // The two take turns at going first, so that neither always meets the other's caches.
            boolean plainFirst = (rounds & 1) == 0;
            long t0 = System.nanoTime();
            if (plainFirst) {
                plain.step().run(batch);
            }
            long t1 = System.nanoTime();
            double[] measuredBefore = free.isEmpty() ? watched.model().energyValues(batch).toDoubleVector() : null;
            long t2 = System.nanoTime();
            double level = riding.isEmpty() ? watched.model().energyValues(probe).meanNumber().doubleValue() : 0;
            long t3 = System.nanoTime();
            watched.step().run(batch);
            if (riding.isPresent()) {
                level = mean(riding.get().lastProbe());
            }
            long t4 = System.nanoTime();
            double[] energies = free.isPresent() ? free.get().lastBatch() : measuredBefore;
            sketch.addAll(energies);
            for (double e : energies) {
                if (detector.add(e - level).isPresent()) {
                    drifts++;
                }
            }
            long t5 = System.nanoTime();
            if (!plainFirst) {
                plain.step().run(batch);
            }
            long t6 = System.nanoTime();
            if (t0 > warmEnd) {
                plainNanos += (t1 - t0) + (t6 - t5);
                batchNanos += t2 - t1;
                probeNanos += t3 - t2;
                stepNanos += t4 - t3;
                addNanos += t5 - t4;
                measured++;
            }
            rounds++;
        }
        double records = measured * (double) BATCH;
        // A probe riding in the step costs what the watched step takes over the plain one.
        long probeCost = riding.isPresent() ? stepNanos - plainNanos : probeNanos;
        System.out.printf(Locale.ROOT, "%s: training step %.0f ns a record; per record: batch energies %.0f ns (%s),"
                + " sketch and detector %.1f ns, probe %.0f ns (%s); calibration %.2f%%, with drift %.2f%% of the step"
                + " (%d steps measured, %d drifts)%n", name, plainNanos / records, batchNanos / records,
                free.isPresent() ? "from the loss" : "a forward pass", addNanos / records, probeCost / records,
                riding.isPresent() ? "riding in the step" : "a forward pass",
                100 * (batchNanos + addNanos) / (double) plainNanos,
                100 * (batchNanos + addNanos + probeCost) / (double) plainNanos, measured, drifts);
    }

    private static double mean(double[] v) {
        double sum = 0;
        for (double x : v) {
            sum += x;
        }
        return sum / v.length;
    }
}
