package io.streamebm.losses;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.core.MlpEnergy;
import io.streamebm.datasets.Datasets;
import io.streamebm.samplers.LangevinDynamics;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** PCD's chains as a capability: read, and restarted as a whole from the configured source. */
class PersistentChainsTest {

    private static PersistentContrastiveDivergenceLoss pcd(MlpEnergy model,
            PersistentContrastiveDivergenceLoss.RestartSource source) {
        return new PersistentContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01).withSeed(5), 50, 2)
                .setRestartSource(source);
    }

    @Test
    void beforeTheFirstUpdateThereIsNothingToRestart() {
        PersistentChains chains = pcd(LossStateAndInputTest.mlp(), PersistentContrastiveDivergenceLoss.RestartSource.DATA);
        chains.restartChains(Datasets.eightGaussians(2, 0.1, 1).nextBatch(8));
        assertNull(chains.chains());
    }

    @Test
    void dataRestartsPutEveryChainOnARowOfTheData() {
        MlpEnergy model = LossStateAndInputTest.mlp();
        PersistentContrastiveDivergenceLoss loss = pcd(model, PersistentContrastiveDivergenceLoss.RestartSource.DATA);
        var stream = Datasets.eightGaussians(2, 0.1, 1);
        loss.apply(model, stream.nextBatch(64));
        INDArray data = stream.nextBatch(16);
        loss.restartChains(data);
        Set<String> rows = new HashSet<>();
        for (int i = 0; i < data.rows(); i++) {
            rows.add(java.util.Arrays.toString(data.getRow(i).toFloatVector()));
        }
        INDArray chains = loss.chains();
        for (int i = 0; i < chains.rows(); i++) {
            String row = java.util.Arrays.toString(chains.getRow(i).toFloatVector());
            assertTrue(rows.contains(row), "chain " + i + " " + row + " is not a data row");
        }
    }

    @Test
    void uniformRestartsStayInTheDataBox() {
        MlpEnergy model = LossStateAndInputTest.mlp();
        PersistentContrastiveDivergenceLoss loss = pcd(model, PersistentContrastiveDivergenceLoss.RestartSource.UNIFORM);
        var stream = Datasets.eightGaussians(2, 0.1, 1);
        loss.apply(model, stream.nextBatch(64));
        loss.restartChains(stream.nextBatch(16));
        double[][] box = loss.uniformRestartBox();
        INDArray chains = loss.chains();
        for (int i = 0; i < chains.rows(); i++) {
            for (int j = 0; j < chains.columns(); j++) {
                double v = chains.getDouble(i, j);
                assertTrue(v >= box[0][j] && v <= box[1][j], "chain " + i + " leaves the box: " + v);
            }
        }
    }

    @Test
    void noiseRestartsReplaceEveryChainAndReplayTheSame() {
        MlpEnergy model = LossStateAndInputTest.mlp();
        PersistentContrastiveDivergenceLoss a = pcd(model, PersistentContrastiveDivergenceLoss.RestartSource.NOISE);
        PersistentContrastiveDivergenceLoss b = pcd(model, PersistentContrastiveDivergenceLoss.RestartSource.NOISE);
        INDArray batch = Datasets.eightGaussians(2, 0.1, 1).nextBatch(64);
        a.apply(model, batch);
        b.apply(model, batch);
        INDArray before = a.chains();
        a.restartChains(batch);
        b.restartChains(batch);
        INDArray after = a.chains();
        for (int i = 0; i < after.rows(); i++) {
            assertTrue(!java.util.Arrays.equals(before.getRow(i).toFloatVector(), after.getRow(i).toFloatVector()),
                    "chain " + i + " was not restarted");
        }
        assertArrayEquals(after.data().asFloat(), b.chains().data().asFloat(), "same state, same restarts");
    }
}
