package io.streamebm.losses;

import io.streamebm.core.MlpEnergy;
import io.streamebm.core.RandomSource;
import io.streamebm.datasets.Datasets;
import io.streamebm.distributions.Normal;
import io.streamebm.optim.Adam;
import io.streamebm.optim.TrainingStep;
import io.streamebm.samplers.LangevinDynamics;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class ScratchTimingTest {
    @Test
    void time() {
        for (String name : new String[] {"sm", "ssm", "dsm", "nce", "cd", "pcd"}) {
            MlpEnergy model = MlpEnergy.builder().build();
            Loss loss;
            switch (name) {
                case "cd": loss = new ContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01), 10); break;
                case "pcd": loss = new PersistentContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01), 1000, 10); break;
                case "dsm": loss = new DenoisingScoreMatchingLoss(0.1); break;
                case "sm": loss = new ScoreMatchingLoss(); break;
                case "ssm": loss = new SlicedScoreMatchingLoss(5); break;
                default: loss = new NoiseContrastiveEstimationLoss(new Normal(0, 2), 10); break;
            }
            TrainingStep step = new TrainingStep(model, loss, new Adam(TrainingStep.trainableParameters(model, loss), 1e-3));
            INDArray batch = Datasets.eightGaussians(2, 0.1, 1).nextBatch(256);
            double[] t = new double[300];
            double[] smp = new double[300];
            for (int i = 0; i < t.length; i++) {
                long t0 = System.nanoTime();
                var r = step.run(batch);
                t[i] = (System.nanoTime() - t0) / 1e6;
                smp[i] = r.samplingNanos() / 1e6;
            }
            double[] st = Arrays.copyOfRange(smp, 100, 300);
            Arrays.sort(st);
            System.out.printf("%s sampling median %.3f%n", name, st[100]);
            double[] tail = Arrays.copyOfRange(t, 100, 300);
            Arrays.sort(tail);
            System.out.printf("%s median %.3f ms  p10 %.3f%n", name, tail[100], tail[20]);


        }
    }
}
