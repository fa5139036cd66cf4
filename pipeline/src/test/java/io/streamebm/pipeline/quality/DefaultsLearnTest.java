package io.streamebm.pipeline.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.runtime.RandomSource;
import io.streamebm.datasets.DatasetStream;
import io.streamebm.eval.Mmd;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.train.EbmLearner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The pipeline's defaults learn eight separate modes, not a ring: trained through
 * {@link EbmLearner} at its defaults on the eight-Gaussians stream (std 0.1) with batches of 256,
 * the grid TV to the true density falls well below that of the old defaults, and every mode centre
 * has lower energy than the midpoints between it and its neighbours (a ring would give them about
 * the same energy). Also checks the quality probe on the same run.
 */
class DefaultsLearnTest {

    private static final int STEPS = 1200;
    private static final int BATCH = 256;

    @Test
    void defaultsLearnEightSeparatedModes() {
        PipelineConfig config = PipelineConfig.parse(Map.of(), Map.of("seed", "7"));
        EbmLearner learner = new EbmLearner(config);
        KnownDensity known = KnownDensity.eightGaussians(0.1);
        DatasetStream data = known.stream().apply(1234);
        List<QualityProbe.Measurement> measured = new ArrayList<>();
        QualityProbe probe = new QualityProbe(400, 512, learner.model(), learner::persistentChains,
                config.number("sampler.step-size"), known, 99, measured::add);
        double tvBefore = known.totalVariation(learner.model());
        for (int s = 1; s <= STEPS; s++) {
            INDArray batch = data.nextBatch(BATCH);
            learner.update(batch);
            probe.afterUpdate(s, batch);
        }
        double tv = known.totalVariation(learner.model());
        // LearningQualityHarness measures 0.19-0.22 after 1,563 steps at these defaults; the old
        // defaults (Langevin step 1e-3, lr 1e-3, beta1 0.9) stay at 0.69, the ring.
        assertTrue(tv < 0.4, "grid TV to the true density " + tv + " (untrained " + tvBefore + ")");

        double r = 2.0;
        double[] centreE = new double[8];
        double[] midE = new double[8];
        float[] pts = new float[32];
        for (int k = 0; k < 8; k++) {
            double a = Math.PI / 4 * k;
            double b = Math.PI / 4 * (k + 1);
            pts[4 * k] = (float) (r * Math.cos(a));
            pts[4 * k + 1] = (float) (r * Math.sin(a));
            // The midpoint on the segment between neighbouring centres.
            pts[4 * k + 2] = (float) (r * (Math.cos(a) + Math.cos(b)) / 2);
            pts[4 * k + 3] = (float) (r * (Math.sin(a) + Math.sin(b)) / 2);
        }
        double[] e = learner.model().energyValues(Nd4j.create(pts, new long[] {16, 2}, DataType.FLOAT))
                .castTo(DataType.DOUBLE).toDoubleVector();
        for (int k = 0; k < 8; k++) {
            centreE[k] = e[2 * k];
            midE[k] = e[2 * k + 1];
        }
        for (int k = 0; k < 8; k++) {
            double valley = Math.min(midE[k], midE[(k + 7) % 8]);
            // A separated mode: the valley on either side is at least 1 nat (e-fold density) higher.
            assertTrue(valley - centreE[k] > 1.0, "mode " + k + " centre E " + centreE[k] + ", neighbouring midpoints "
                    + midE[(k + 7) % 8] + " and " + midE[k]);
        }

        assertEquals(STEPS / 400, measured.size(), "one quality measurement every 400 updates");
        QualityProbe.Measurement last = measured.get(measured.size() - 1);
        assertEquals(STEPS, last.step());
        // A model that knew nothing but the box (uniform samples over it) is far worse.
        INDArray uniform = new RandomSource(5).fillUniform(Nd4j.create(DataType.FLOAT, 512, 2), -3, 3);
        double uninformed = Math.sqrt(Math.max(0, Mmd.mmd2(data.nextBatch(512), uniform)));
        assertTrue(last.mmd() < uninformed / 2, "MMD " + last.mmd() + " against " + uninformed
                + " for uniform samples; all: " + measured);
        assertTrue(Math.abs(last.tv() - tv) < 1e-9, "the probe's TV is the model's TV");
    }
}
