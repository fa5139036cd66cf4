package io.streamebm.losses;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.energy.mlp.MlpEnergy;
import io.streamebm.optim.Adam;
import io.streamebm.optim.TrainingStep;
import io.streamebm.samplers.LangevinDynamics;
import io.streamebm.samplers.Sampler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** PCD restarts uniformly in the data's box: where they land, the box itself, and its checkpointing. */
class PcdUniformRestartTest {

    /** A sampler that does not move the chains, so restarted chains can be seen where they landed. */
    private static Sampler frozen(MlpEnergy model) {
        return new LangevinDynamics(model, 1e-30).withNoiseScale(0).withSeed(11);
    }

    @Test
    void restartedChainsLandUniformlyInTheWidenedDataBox() {
        MlpEnergy model = LossStateAndInputTest.mlp();
        PersistentContrastiveDivergenceLoss loss = new PersistentContrastiveDivergenceLoss(frozen(model), 2000, 1)
                .withReinitProbability(1.0)
                .withRestartSource(PersistentContrastiveDivergenceLoss.RestartSource.UNIFORM);
        assertNull(loss.uniformRestartBox());
        // Data on [0, 10] x [-1, 1], at the corners only: the box spans the range, not the points.
        float[] d = new float[2000 * 2];
        for (int i = 0; i < 2000; i++) {
            d[2 * i] = i % 2 == 0 ? 0f : 10f;
            d[2 * i + 1] = i % 3 == 0 ? -1f : 1f;
        }
        INDArray data = Nd4j.create(d, new long[] {2000, 2}, DataType.FLOAT);
        loss.apply(model, data);
        double[][] box = loss.uniformRestartBox();
        assertArrayEquals(new double[] {-1.0, -1.2}, box[0], 1e-9);
        assertArrayEquals(new double[] {11.0, 1.2}, box[1], 1e-9);

        double[][] chains = loss.chains().castTo(DataType.DOUBLE).toDoubleMatrix();
        int between = 0;
        double meanX = 0;
        for (double[] c : chains) {
            assertTrue(c[0] >= -1.0 && c[0] <= 11.0 && c[1] >= -1.2 && c[1] <= 1.2, "outside the box: " + c[0] + ", " + c[1]);
            meanX += c[0] / chains.length;
            if (c[0] > 1 && c[0] < 9) {
                between++;
            }
        }
        // Uniform on [-1, 11]: mean 5, and 8/12 of the chains strictly between the data columns.
        assertEquals(5.0, meanX, 0.3);
        assertEquals(2000 * 8.0 / 12, between, 120);
    }

    @Test
    void theBoxIsCheckpointedSoAResumedRunIsBitIdentical() {
        List<INDArray> batches = new ArrayList<>();
        var stream = io.streamebm.datasets.Datasets.eightGaussians(2, 0.1, 1);
        for (int i = 0; i < 12; i++) {
            batches.add(stream.nextBatch(64));
        }
        MlpEnergy m1 = LossStateAndInputTest.mlp();
        PersistentContrastiveDivergenceLoss l1 = uniform(m1, 3);
        TrainingStep t1 = new TrainingStep(m1, l1, new Adam(m1.parameters(), 1e-2));
        batches.forEach(t1::run);

        MlpEnergy m2 = LossStateAndInputTest.mlp();
        PersistentContrastiveDivergenceLoss l2 = uniform(m2, 3);
        Adam o2 = new Adam(m2.parameters(), 1e-2);
        TrainingStep t2 = new TrainingStep(m2, l2, o2);
        for (int i = 0; i < 6; i++) {
            t2.run(batches.get(i));
        }
        Map<String, INDArray> lossState = l2.exportState();
        assertTrue(lossState.containsKey(PersistentContrastiveDivergenceLoss.KEY_DATA_BOX));

        MlpEnergy m3 = LossStateAndInputTest.mlp();
        m3.setFlatParameters(m2.flatParameters().dup());
        PersistentContrastiveDivergenceLoss l3 = uniform(m3, 999);
        l3.importState(lossState);
        Adam o3 = new Adam(m3.parameters(), 1e-2);
        o3.importState(o2.exportState());
        TrainingStep t3 = new TrainingStep(m3, l3, o3);
        for (int i = 6; i < 12; i++) {
            t3.run(batches.get(i));
        }
        assertArrayEquals(LossStateAndInputTest.flat(m1.parameters()), LossStateAndInputTest.flat(m3.parameters()));
        assertArrayEquals(l1.chains().data().asFloat(), l3.chains().data().asFloat());
        assertArrayEquals(l1.uniformRestartBox()[0], l3.uniformRestartBox()[0]);
        assertArrayEquals(l1.uniformRestartBox()[1], l3.uniformRestartBox()[1]);
    }

    private static PersistentContrastiveDivergenceLoss uniform(MlpEnergy model, long seed) {
        return new PersistentContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01).withSeed(seed), 100, 5)
                .withReinitProbability(0.2)
                .withRestartSource(PersistentContrastiveDivergenceLoss.RestartSource.UNIFORM);
    }
}
