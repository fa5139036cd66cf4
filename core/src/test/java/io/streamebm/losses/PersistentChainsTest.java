package io.streamebm.losses;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.energy.mlp.MlpEnergy;
import io.streamebm.datasets.Datasets;
import io.streamebm.samplers.LangevinDynamics;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** PCD's chains as a capability: read, and restarted as a whole from the configured source. */
class PersistentChainsTest {

    /** The batch every loss here learned from first, and the later one its chains restart from. */
    private static final INDArray FIRST = Datasets.eightGaussians(2, 0.1, 1).nextBatch(64);
    private static final INDArray RECENT = Datasets.eightGaussians(2, 0.1, 2).nextBatch(16);

    private static PersistentContrastiveDivergenceLoss pcd(PersistentContrastiveDivergenceLoss.RestartSource source) {
        MlpEnergy model = LossStateAndInputTest.mlp();
        return new PersistentContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01).withSeed(5), 50, 2)
                .withRestartSource(source);
    }

    /** A loss of {@code source} after one update, its chains restarted from {@link #RECENT}. */
    private static PersistentContrastiveDivergenceLoss restarted(PersistentContrastiveDivergenceLoss.RestartSource source) {
        PersistentContrastiveDivergenceLoss loss = pcd(source);
        loss.apply(loss.sampler().model(), FIRST);
        loss.restartChains(RECENT);
        return loss;
    }

    private static Set<String> rowsOf(INDArray m) {
        Set<String> rows = new HashSet<>();
        for (int i = 0; i < m.rows(); i++) {
            rows.add(Arrays.toString(m.getRow(i).toFloatVector()));
        }
        return rows;
    }

    @Test
    void beforeTheFirstUpdateThereIsNothingToRestart() {
        PersistentChains chains = pcd(PersistentContrastiveDivergenceLoss.RestartSource.DATA);
        chains.restartChains(RECENT);
        assertNull(chains.chains());
    }

    @Test
    void dataRestartsPutEveryChainOnARowOfTheData() {
        INDArray chains = restarted(PersistentContrastiveDivergenceLoss.RestartSource.DATA).chains();
        assertTrue(rowsOf(RECENT).containsAll(rowsOf(chains)), "every chain sits on a row of the recent data");
    }

    @Test
    void uniformRestartsStayInTheDataBox() {
        PersistentContrastiveDivergenceLoss loss = restarted(PersistentContrastiveDivergenceLoss.RestartSource.UNIFORM);
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
        PersistentContrastiveDivergenceLoss started = pcd(PersistentContrastiveDivergenceLoss.RestartSource.NOISE);
        started.apply(started.sampler().model(), FIRST);
        Set<String> before = rowsOf(started.chains());
        INDArray after = restarted(PersistentContrastiveDivergenceLoss.RestartSource.NOISE).chains();
        assertTrue(rowsOf(after).stream().noneMatch(before::contains), "every chain was restarted");
        assertArrayEquals(after.data().asFloat(),
                restarted(PersistentContrastiveDivergenceLoss.RestartSource.NOISE).chains().data().asFloat(),
                "same state, same restarts");
    }
}
