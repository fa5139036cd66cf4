package io.streamebm.bench.pipeline;

import io.streamebm.energy.mlp.MlpEnergy;
import io.streamebm.datasets.Datasets;
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
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The share of a training step that calibration and drift detection add, measured in one JVM with
 * the two interleaved, so that whatever else runs on the machine slows both alike: one training
 * step on a batch of 256 (the {@code LossTrainingStepBench} setup: 2→128→128→1 MLP, Adam), then
 * {@link EnergySketch#add} and {@link Adwin#add} on 256 energies, repeated; the totals per record.
 * DSM is the cheapest step, so the hardest budget; PCD-10 the default.
 *
 * <p>Run: {@code OMP_NUM_THREADS=1 java -cp bench/target/benchmarks.jar
 * io.streamebm.bench.pipeline.CalibrationOverheadHarness [seconds per loss, default 20]}.
 */
public final class CalibrationOverheadHarness {

    private static final int BATCH = 256;

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
        var data = Datasets.eightGaussians(2, 0.1, 7);
        List<INDArray> batches = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            batches.add(data.nextBatch(BATCH));
        }
        SplittableRandom random = new SplittableRandom(42);
        double[][] energies = new double[64][BATCH];
        for (double[] batch : energies) {
            for (int i = 0; i < BATCH; i++) {
                batch[i] = Math.exp(Math.sqrt(-2 * Math.log(1 - random.nextDouble()))
                        * Math.cos(2 * Math.PI * random.nextDouble()));
            }
        }
        EnergySketch sketch = new EnergySketch(100_000);
        Adwin detector = new Adwin(0.002, 100_000);
        for (int i = 0; i < 2_000; i++) { // full windows and a warm JIT before measuring
            sketch.addAll(energies[i % 64]);
            for (double e : energies[i % 64]) {
                detector.add(e);
            }
        }
        long stepNanos = 0;
        long addNanos = 0;
        long rounds = 0;
        long measured = 0;
        long drifts = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long warmEnd = System.nanoTime() + (long) (seconds * 0.2e9);
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            step.run(batches.get((int) (rounds & 15)));
            long t1 = System.nanoTime();
            double[] batch = energies[(int) (rounds & 63)];
            sketch.addAll(batch);
            for (double e : batch) {
                if (detector.add(e).isPresent()) {
                    drifts++;
                }
            }
            long t2 = System.nanoTime();
            if (t0 > warmEnd) {
                stepNanos += t1 - t0;
                addNanos += t2 - t1;
                measured++;
            }
            rounds++;
        }
        double perStep = stepNanos / (double) (measured * BATCH);
        double perAdd = addNanos / (double) (measured * BATCH);
        System.out.printf(Locale.ROOT, "%s: training step %.0f ns a record, sketch and detector %.1f ns a record,"
                + " %.2f%% of the step (%d steps measured, %d drifts)%n", name, perStep, perAdd, 100 * perAdd / perStep, measured,
                drifts);
    }
}
