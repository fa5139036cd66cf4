package io.streamebm.pipeline.app;

import io.streamebm.connectors.DecodedSample;
import io.streamebm.pipeline.calibration.EnergyPercentiles;
import io.streamebm.pipeline.train.SampleRows;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The per-record path of {@code score}: the energies of a batch under a snapshot's model in one
 * pass, each ranked against the snapshot's calibration, as {@link ScoreJson}. Apart from
 * {@link ScoreJob}, which moves the batches in and out of Kafka, so that the path can be measured
 * on its own (bench {@code ScoringBench}).
 */
public final class BatchScorer {

    private final double anomalyPercentile;

    /** @param anomalyPercentile the percentile from which a record is an anomaly ({@code scoring.anomaly-percentile}) */
    public BatchScorer(double anomalyPercentile) {
        if (!(anomalyPercentile > 0 && anomalyPercentile <= 1)) {
            throw new IllegalArgumentException("anomalyPercentile must be in (0, 1], got " + anomalyPercentile);
        }
        this.anomalyPercentile = anomalyPercentile;
    }

    /** The score JSON of each sample, in order; all samples have the model's dimension. */
    public List<String> score(ModelSnapshots.Snapshot snapshot, List<DecodedSample> samples) {
        if (samples.isEmpty()) {
            return List.of();
        }
        int d = samples.get(0).values().length;
        INDArray x = SampleRows.matrix(samples.stream().map(DecodedSample::values).toList(), d);
        double[] energies = snapshot.model().energyValues(x).toDoubleVector();
        EnergyPercentiles calibration = snapshot.calibration().orElse(null);
        List<String> json = new ArrayList<>(samples.size());
        for (int i = 0; i < samples.size(); i++) {
            DecodedSample sample = samples.get(i);
            double percentile = calibration == null ? Double.NaN : calibration.percentile(energies[i]);
            json.add(ScoreJson.of(energies[i], sample.topic(), sample.partition(), sample.offset(), snapshot.version(),
                    percentile, anomalyPercentile));
        }
        return json;
    }
}
