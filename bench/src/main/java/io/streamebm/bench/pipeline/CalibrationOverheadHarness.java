package io.streamebm.bench.pipeline;

import io.streamebm.energy.mlp.MlpEnergy;
import io.streamebm.datasets.Datasets;
import io.streamebm.losses.DataEnergies;
import io.streamebm.losses.DenoisingScoreMatchingLoss;
import io.streamebm.losses.Loss;
import io.streamebm.losses.PersistentContrastiveDivergenceLoss;
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
 * measured in one JVM with the two interleaved, so that whatever else runs on the machine slows
 * both alike. Each round: one training step on a batch of 256 (the {@code LossTrainingStepBench}
 * setup: 2→128→128→1 MLP, Adam); then the batch's pre-update energies (from the loss when it offers
 * them, {@code Loss.dataEnergies()}; else a forward pass, as the trainer makes for dsm), the
 * {@link EnergySketch} and {@link Adwin} on them, and the drift level's forward pass of its 64 probe
 * rows ({@code DriftLevel}). The totals per record, each part apart. DSM is the cheapest step, so
 * the hardest budget; PCD-10 the default.
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

    private static void run(String name, double seconds) {
        MlpEnergy model = MlpEnergy.builder().build();
        Loss loss = name.equals("dsm") ? new DenoisingScoreMatchingLoss(0.1)
                : new PersistentContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01).withSeed(1), 1000, 10);
        TrainingStep step = new TrainingStep(model, loss, new Adam(TrainingStep.trainableParameters(model, loss), 1e-3));
        Optional<DataEnergies> free = loss.dataEnergies();
        var data = Datasets.eightGaussians(2, 0.1, 7);
        List<INDArray> batches = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            batches.add(data.nextBatch(BATCH));
        }
        INDArray probe = data.nextBatch(PROBE_ROWS).dup('c');
        EnergySketch sketch = new EnergySketch(100_000);
        Adwin detector = new Adwin(0.002, 100_000);
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
            long t0 = System.nanoTime();
            double[] measuredBefore = free.isEmpty() ? model.energyValues(batch).toDoubleVector() : null;
            long t1 = System.nanoTime();
            double level = model.energyValues(probe).meanNumber().doubleValue();
            long t2 = System.nanoTime();
            step.run(batch);
            long t3 = System.nanoTime();
            double[] energies = free.isPresent() ? free.get().lastBatch() : measuredBefore;
            sketch.addAll(energies);
            for (double e : energies) {
                if (detector.add(e - level).isPresent()) {
                    drifts++;
                }
            }
            long t4 = System.nanoTime();
            if (t0 > warmEnd) {
                batchNanos += t1 - t0;
                probeNanos += t2 - t1;
                stepNanos += t3 - t2;
                addNanos += t4 - t3;
                measured++;
            }
            rounds++;
        }
        double records = measured * (double) BATCH;
        double perStep = stepNanos / records;
        System.out.printf(Locale.ROOT, "%s: training step %.0f ns a record; per record: batch energies %.0f ns (%s),"
                + " sketch and detector %.1f ns, probe %.0f ns; calibration %.2f%%, with drift %.2f%% of the step"
                + " (%d steps measured, %d drifts)%n", name, perStep, batchNanos / records,
                free.isPresent() ? "from the loss" : "a forward pass", addNanos / records, probeNanos / records,
                100 * (batchNanos + addNanos) / (double) stepNanos,
                100 * (batchNanos + addNanos + probeNanos) / (double) stepNanos, measured, drifts);
    }
}
