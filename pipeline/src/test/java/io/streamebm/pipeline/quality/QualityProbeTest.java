package io.streamebm.pipeline.quality;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.datasets.DatasetStream;
import io.streamebm.pipeline.config.ConfigException;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.train.EbmLearner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The quality probe measures on schedule, in any dimension, and never changes the training run. */
class QualityProbeTest {

    @ParameterizedTest
    @ValueSource(strings = {"pcd", "dsm"})
    void probingLeavesTheRunBitIdenticalAndMeasuresOnSchedule(String loss) {
        Map<String, String> settings = Map.of("loss.type", loss, "model.dim", "3", "model.hidden", "16,16",
                "loss.chains", "64", "seed", "5");
        EbmLearner plain = new EbmLearner(PipelineConfig.parse(Map.of(), settings));
        EbmLearner probedInner = new EbmLearner(PipelineConfig.parse(Map.of(), settings));
        List<QualityProbe.Measurement> seen = new ArrayList<>();
        QualityProbe probe = new QualityProbe(10, 64, probedInner.model(), probedInner::persistentChains, 0.01, null,
                9, seen::add);
        long[] step = {0};
        ProbedLearner probed = new ProbedLearner(probedInner, probe, () -> step[0] + 1);
        DatasetStream a = gaussian3d(1);
        DatasetStream b = gaussian3d(1);
        for (int s = 0; s < 35; s++) {
            plain.update(a.nextBatch(32));
            probed.update(b.nextBatch(32));
            step[0]++;
        }
        assertArrayEquals(flat(plain.exportState()), flat(probedInner.exportState()), "probing changed the run");
        assertEquals(List.of(10L, 20L, 30L), seen.stream().map(QualityProbe.Measurement::step).toList());
        for (QualityProbe.Measurement m : seen) {
            assertTrue(Double.isFinite(m.mmd()) && m.mmd() >= 0, "mmd " + m);
            assertTrue(Double.isNaN(m.tv()), "no known density in 3-D, so no TV: " + m);
        }
    }

    @Test
    void multiScaleMmdSeparatesARingFromEightModesWhereTheMedianKernelAloneBarelyDoes() {
        double[][] modes = KnownDensity.eightGaussians(0.1).stream().apply(3).nextBatch(400)
                .castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleMatrix();
        double[][] modes2 = KnownDensity.eightGaussians(0.1).stream().apply(4).nextBatch(400)
                .castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleMatrix();
        double[][] ring = io.streamebm.datasets.Datasets.circle(2.0, 0.1, 5).nextBatch(400)
                .castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleMatrix();
        double h = io.streamebm.eval.Mmd.medianBandwidth(modes, ring);
        double same = QualityProbe.multiScaleMmd2(modes, modes2, h);
        double different = QualityProbe.multiScaleMmd2(modes, ring, h);
        assertTrue(different > 10 * Math.abs(same), "ring vs modes " + different + ", modes vs modes " + same);
    }

    @Test
    void badQualityAndRestartSettingsAreNamedWithTheirChoices() {
        ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfig.parse(Map.of(),
                Map.of("loss.reinit-source", "sideways", "quality.window", "1", "quality.reference", "moons")));
        String m = e.getMessage();
        assertTrue(m.contains("loss.reinit-source = 'sideways'") && m.contains("[data, noise, uniform]"), m);
        assertTrue(m.contains("quality.window = '1'"), m);
        assertTrue(m.contains("quality.reference = 'moons'") && m.contains("two-moons"), m);
    }

    private static DatasetStream gaussian3d(long seed) {
        io.streamebm.runtime.RandomSource r = new io.streamebm.runtime.RandomSource(seed);
        return new DatasetStream() {
            @Override
            public int dimension() {
                return 3;
            }

            @Override
            public float[] next() {
                return new float[] {(float) r.nextGaussian(), (float) (1 + 0.5 * r.nextGaussian()), (float) r.nextGaussian()};
            }
        };
    }

    private static float[] flat(Map<String, INDArray> state) {
        List<Float> out = new ArrayList<>();
        new java.util.TreeMap<>(state).forEach((k, v) -> {
            for (float f : v.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat()) {
                out.add(f);
            }
        });
        float[] a = new float[out.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = out.get(i);
        }
        return a;
    }
}
