package io.streamebm.pipeline.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.datasets.Datasets;
import io.streamebm.pipeline.config.PipelineConfig;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The divergence reaction "reinit-chains" restarts the chains where loss.reinit-source says. */
class EbmLearnerTest {

    private static EbmLearner learner(String reinitSource) {
        return new EbmLearner(PipelineConfig.parse(Map.of(), Map.of("model.hidden", "8", "loss.type", "pcd",
                "loss.chains", "32", "loss.reinit-source", reinitSource)));
    }

    private static Set<String> rowsOf(INDArray m) {
        Set<String> rows = new HashSet<>();
        for (int i = 0; i < m.rows(); i++) {
            rows.add(Arrays.toString(m.getRow(i).toFloatVector()));
        }
        return rows;
    }

    @Test
    void dataRestartsTakeRowsOfTheRecentData() {
        EbmLearner l = learner("data");
        var stream = Datasets.eightGaussians(2, 0.1, 1);
        l.update(stream.nextBatch(64));
        INDArray recent = stream.nextBatch(16);
        l.reinitialiseChains(recent);
        Set<String> dataRows = rowsOf(recent);
        assertTrue(dataRows.containsAll(rowsOf(l.persistentChains().orElseThrow())),
                "every restarted chain sits on a row of the recent data");
    }

    @Test
    void noiseRestartsDoNotCopyTheData() {
        EbmLearner l = learner("noise");
        var stream = Datasets.eightGaussians(2, 0.1, 1);
        l.update(stream.nextBatch(64));
        INDArray recent = stream.nextBatch(16);
        Set<String> before = rowsOf(l.persistentChains().orElseThrow());
        l.reinitialiseChains(recent);
        Set<String> after = rowsOf(l.persistentChains().orElseThrow());
        assertFalse(rowsOf(recent).stream().anyMatch(after::contains), "no chain restarted on a data row");
        assertFalse(before.stream().anyMatch(after::contains), "every chain restarted");
    }
}
