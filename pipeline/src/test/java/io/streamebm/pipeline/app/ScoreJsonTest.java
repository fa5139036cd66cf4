package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.streamebm.connectors.DecodedSample;
import io.streamebm.pipeline.calibration.EnergyPercentiles;
import io.streamebm.pipeline.train.Models;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The score record: the fields as before, then percentile and anomaly, null when not calibrated. */
class ScoreJsonTest {

    @Test
    void aCalibratedRecordEndsWithItsPercentileAndAnomalyFlag() {
        assertEquals("{\"energy\":1.5,\"topic\":\"in\",\"partition\":2,\"offset\":7,\"modelVersion\":40,"
                + "\"percentile\":0.9975,\"anomaly\":true}", ScoreJson.of(1.5, "in", 2, 7, 40, 0.9975, 0.995));
        assertEquals("{\"energy\":-0.25,\"topic\":\"in\",\"partition\":0,\"offset\":0,\"modelVersion\":1,"
                + "\"percentile\":0.5,\"anomaly\":false}", ScoreJson.of(-0.25, "in", 0, 0, 1, 0.5, 0.995));
        assertEquals("{\"energy\":1.5,\"topic\":\"in\",\"partition\":0,\"offset\":0,\"modelVersion\":1,"
                + "\"percentile\":0.995,\"anomaly\":true}", ScoreJson.of(1.5, "in", 0, 0, 1, 0.995, 0.995),
                "the threshold itself is an anomaly");
    }

    @Test
    void withoutCalibrationOrWithANaNEnergyBothAreNull() {
        assertEquals("{\"energy\":1.5,\"topic\":\"in\",\"partition\":0,\"offset\":3,\"modelVersion\":9,"
                + "\"percentile\":null,\"anomaly\":null}", ScoreJson.of(1.5, "in", 0, 3, 9, Double.NaN, 0.995));
        assertEquals("{\"energy\":null,\"topic\":\"in\",\"partition\":0,\"offset\":3,\"modelVersion\":9,"
                + "\"nonFinite\":\"NaN\",\"percentile\":null,\"anomaly\":null}",
                ScoreJson.of(Double.NaN, "in", 0, 3, 9, Double.NaN, 0.995));
    }

    @Test
    void anInfiniteEnergyRanksAboveEveryTrainingEnergy() {
        EnergyPercentiles calibration = EnergyPercentiles.of(new float[] {0, 1}, new long[] {1, 2});
        ModelSnapshots.Snapshot snapshot = new ModelSnapshots.Snapshot(3, 3,
                Models.build(Map.of(Models.TYPE, "gaussian", Models.DIM, "2"), 0), Optional.of(calibration));
        List<String> json = new BatchScorer(0.995).score(snapshot, List.of(
                new DecodedSample("in", 0, 0, 0L, null, new float[] {0, 0}),
                new DecodedSample("in", 0, 1, 0L, null, new float[] {Float.MAX_VALUE, Float.MAX_VALUE})));
        assertEquals(2, json.size());
        assertEquals("{\"energy\":null,\"topic\":\"in\",\"partition\":0,\"offset\":1,\"modelVersion\":3,"
                + "\"nonFinite\":\"Infinity\",\"percentile\":1.0,\"anomaly\":true}", json.get(1));
        assertEquals(List.of(), new BatchScorer(0.995).score(snapshot, List.of()));
    }
}
