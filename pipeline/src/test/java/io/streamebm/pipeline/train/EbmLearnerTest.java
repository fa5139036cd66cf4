package io.streamebm.pipeline.train;

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

    /** The batch every learner here trains on first, and the later one its chains restart from. */
    private static final INDArray FIRST = Datasets.eightGaussians(2, 0.1, 1).nextBatch(64);
    private static final INDArray RECENT = Datasets.eightGaussians(2, 0.1, 2).nextBatch(16);

    private static Set<String> rowsOf(INDArray m) {
        Set<String> rows = new HashSet<>();
        for (int i = 0; i < m.rows(); i++) {
            rows.add(Arrays.toString(m.getRow(i).toFloatVector()));
        }
        return rows;
    }

    /** The rows of the chains of a pcd learner with {@code reinitSource}: after one update, and after a reinit. */
    private static Map<String, Set<String>> chainsBeforeAndAfterAReinit(String reinitSource) {
        EbmLearner l = new EbmLearner(PipelineConfig.parse(Map.of(), Map.of("model.hidden", "8", "loss.type", "pcd",
                "loss.chains", "32", "loss.reinit-source", reinitSource)));
        l.update(FIRST);
        Set<String> before = rowsOf(l.persistentChains().orElseThrow());
        l.reinitialiseChains(RECENT);
        return Map.of("before", before, "after", rowsOf(l.persistentChains().orElseThrow()));
    }

    @Test
    void dataRestartsTakeRowsOfTheRecentData() {
        Set<String> after = chainsBeforeAndAfterAReinit("data").get("after");
        assertTrue(rowsOf(RECENT).containsAll(after), "every restarted chain sits on a row of the recent data");
    }

    @Test
    void noiseRestartsReplaceEveryChainAndCopyNoData() {
        Map<String, Set<String>> chains = chainsBeforeAndAfterAReinit("noise");
        Set<String> after = chains.get("after");
        assertTrue(rowsOf(RECENT).stream().noneMatch(after::contains), "no chain restarted on a data row");
        assertTrue(chains.get("before").stream().noneMatch(after::contains), "every chain restarted");
    }
}
