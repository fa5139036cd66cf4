package io.streamebm.bench.pipeline;

import io.streamebm.datasets.Datasets;
import io.streamebm.energy.mlp.MlpEnergy;
import io.streamebm.losses.PersistentContrastiveDivergenceLoss;
import io.streamebm.losses.ProbeEnergies;
import io.streamebm.optim.Adam;
import io.streamebm.optim.TrainingStep;
import io.streamebm.samplers.LangevinDynamics;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the drift watch's 64 probe rows cost when they ride in a PCD-10 step's own energy pass
 * ({@code Loss.probeEnergies()}), measured on one learner that trains with and without them in
 * alternating phases: two learners compared side by side differed by up to ±0.1 ms a step whatever
 * they did, as much as the effect, while one learner is its own control. Each phase is
 * {@code steps} steps (default 400) after 50 unmeasured ones (the kernel's buffers are made per row
 * count); phases alternate {@code rounds} times (default 10). The setup is
 * {@code LossTrainingStepBench}'s: 2→128→128→1 MLP, 1,000 chains, batches of 256, Adam.
 *
 * <p>Run: {@code OMP_NUM_THREADS=1 java -cp bench/target/benchmarks.jar
 * io.streamebm.bench.pipeline.ProbeCostHarness [steps] [rounds]}.
 */
public final class ProbeCostHarness {

    private static final int BATCH = 256;
    private static final int PROBE_ROWS = 64;

    private ProbeCostHarness() {
    }

    /** Prints the step time with and without the probe, and the difference per step and per record. */
    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 400;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        MlpEnergy model = MlpEnergy.builder().build();
        PersistentContrastiveDivergenceLoss loss =
                new PersistentContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01).withSeed(1), 1000, 10);
        TrainingStep step = new TrainingStep(model, loss, new Adam(TrainingStep.trainableParameters(model, loss), 1e-3));
        ProbeEnergies probe = loss.probeEnergies().orElseThrow();
        var data = Datasets.eightGaussians(2, 0.1, 7);
        List<INDArray> batches = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            batches.add(data.nextBatch(BATCH));
        }
        INDArray probeRows = data.nextBatch(PROBE_ROWS).dup('c');
        int[] next = {0};
        Runnable one = () -> step.run(batches.get(next[0]++ & 15));
        for (int i = 0; i < 500; i++) {
            one.run(); // JIT
        }
        double with = 0;
        double without = 0;
        for (int r = 0; r < rounds; r++) {
            for (boolean riding : new boolean[] {r % 2 == 0, r % 2 != 0}) {
                probe.probe(riding ? probeRows : null);
                for (int i = 0; i < 50; i++) {
                    one.run();
                }
                long t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) {
                    one.run();
                }
                double perStep = (System.nanoTime() - t0) / (double) steps;
                if (riding) {
                    with += perStep / rounds;
                } else {
                    without += perStep / rounds;
                }
            }
        }
        System.out.printf(Locale.ROOT, "pcd step without the probe %.1f µs, with it %.1f µs: the probe costs %.1f µs a"
                + " step, %.0f ns a record, %.2f%% of the step (%d rounds of %d steps each way)%n", without / 1e3,
                with / 1e3, (with - without) / 1e3, (with - without) / BATCH, 100 * (with - without) / without, rounds,
                steps);
    }
}
