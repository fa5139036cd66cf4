package io.streamebm.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.BaseEnergyFunction;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.energy.GaussianEnergy;
import io.streamebm.runtime.RandomSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LangevinDynamicsTest {

    static GaussianEnergy isotropic(DataType t, int d, double variance) {
        return new GaussianEnergy(Nd4j.zeros(t, d), Nd4j.eye(d).castTo(t).muli(variance));
    }

    /** Hides the fused kernels so that the generic loop runs. */
    static EnergyFunction plain(EnergyFunction inner) {
        return new BaseEnergyFunction(inner.dimension()) {
            @Override
            public Tensor energy(Tensor x) {
                return inner.energy(x);
            }

            @Override
            public INDArray gradient(INDArray x) {
                return inner.gradient(x);
            }
        };
    }

    /** Pooled variance of all recorded coordinates after burn-in. */
    static double stationaryVariance(ChainSampler sampler, DataType t, int chains, int d) {
        INDArray x0 = new RandomSource(9).gaussian(t, chains, d);
        INDArray burnt = sampler.sample(x0, 300);
        SamplingTrace trace = sampler.run(burnt, 15 * 20, 20);
        double sum = 0;
        double sumSq = 0;
        long count = 0;
        for (INDArray s : trace.samples()) {
            double[] v = s.castTo(DataType.DOUBLE).data().asDouble();
            for (double x : v) {
                sum += x;
                sumSq += x * x;
            }
            count += v.length;
        }
        assertTrue(count >= 100_000, "need >= 100,000 samples, got " + count);
        double mean = sum / count;
        return sumSq / count - mean * mean;
    }

    @Test
    void ulaStationaryVarianceMatchesTheoryOnFusedAndGenericPaths() {
        double sigma2 = 1.5;
        double eta = 0.15;
        double expected = sigma2 / (1 - eta / (2 * sigma2));
        // float32 Gaussian: fused kernel; float64: GEMM gradient into a buffer; plain: model.gradient.
        double fused = stationaryVariance(new LangevinDynamics(isotropic(DataType.FLOAT, 2, sigma2), eta).withSeed(1),
                DataType.FLOAT, 4000, 2);
        double gemm = stationaryVariance(new LangevinDynamics(isotropic(DataType.DOUBLE, 2, sigma2), eta).withSeed(2),
                DataType.DOUBLE, 4000, 2);
        double generic = stationaryVariance(
                new LangevinDynamics(plain(isotropic(DataType.FLOAT, 16, sigma2)), eta).withSeed(3),
                DataType.FLOAT, 500, 16);
        for (double v : new double[] {fused, gemm, generic}) {
            assertEquals(expected, v, 0.02 * expected, "stationary variance " + v + " vs " + expected);
        }
    }

    @Test
    void fusedStepEqualsGenericStepForTheSameSeed() {
        GaussianEnergy g = new GaussianEnergy(Nd4j.createFromArray(1f, -1f),
                Nd4j.createFromArray(new float[][] {{1, 0.5f}, {0.5f, 2}}));
        INDArray x0 = new RandomSource(4).gaussian(DataType.FLOAT, 100, 2);
        LangevinDynamics base = new LangevinDynamics(g, 0.05).withGradientClip(0.8).withClamp(-3, 3);
        INDArray fused = base.withSeed(17).sample(x0, 50);
        INDArray generic = new LangevinDynamics(plain(g), 0.05).withGradientClip(0.8).withClamp(-3, 3)
                .withSeed(17).sample(x0, 50);
        assertTrue(fused.sub(generic).amaxNumber().doubleValue() < 1e-4);
        // Without clip and clamp the d = 2 kernel takes its branch-free loop.
        INDArray fusedFree = new LangevinDynamics(g, 0.05).withSeed(17).sample(x0, 50);
        INDArray genericFree = new LangevinDynamics(plain(g), 0.05).withSeed(17).sample(x0, 50);
        assertTrue(fusedFree.sub(genericFree).amaxNumber().doubleValue() < 1e-4);
        // d = 5 uses the general fused loop.
        GaussianEnergy g5 = isotropic(DataType.FLOAT, 5, 0.7);
        INDArray y0 = new RandomSource(4).gaussian(DataType.FLOAT, 30, 5);
        INDArray a = new LangevinDynamics(g5, 0.05).withSeed(3).sample(y0, 20);
        INDArray b = new LangevinDynamics(plain(g5), 0.05).withSeed(3).sample(y0, 20);
        assertTrue(a.sub(b).amaxNumber().doubleValue() < 1e-4);
    }

    @Test
    void analyticFusedStepsEqualGenericSteps() {
        EnergyFunction[] energies = {new io.streamebm.energy.DoubleWellEnergy(), new io.streamebm.energy.HarmonicEnergy(2),
            new io.streamebm.energy.RosenbrockEnergy(1, 5), new io.streamebm.energy.RastriginEnergy(1),
            new io.streamebm.energy.AckleyEnergy()};
        for (EnergyFunction e : energies) {
            INDArray x0 = new RandomSource(4).gaussian(DataType.FLOAT, 40, 3);
            INDArray a = new LangevinDynamics(e, 0.01).withSeed(3).withClamp(-4, 4).sample(x0, 25);
            INDArray b = new LangevinDynamics(plain(e), 0.01).withSeed(3).withClamp(-4, 4).sample(x0, 25);
            assertTrue(a.sub(b).amaxNumber().doubleValue() < 1e-4, e.getClass().getSimpleName());
        }
    }

    @Test
    void traceRecordsLangevinWithoutAcceptance() {
        GaussianEnergy g = isotropic(DataType.FLOAT, 2, 1);
        LangevinDynamics l = new LangevinDynamics(g, 0.1).withSeed(2);
        SamplingTrace t = l.run(Nd4j.zeros(DataType.FLOAT, 500, 2), 25, 10);
        assertEquals(2, t.size());
        assertEquals(10, t.steps()[0]);
        assertEquals(20, t.steps()[1]);
        assertTrue(Double.isNaN(t.acceptanceRate()[0]));
        assertTrue(Double.isNaN(l.lastAcceptanceRate()));
        assertEquals(2, t.mean()[1].length);
        assertTrue(t.variance()[1][0] > 0.5 && t.variance()[1][0] < 1.5);
        // The trace continues the same chains as a plain call with the same seed.
        INDArray plainRun = new LangevinDynamics(g, 0.1).withSeed(2).sample(Nd4j.zeros(DataType.FLOAT, 500, 2), 25);
        assertEquals(plainRun, t.finalChains());
        assertEquals(new LangevinDynamics(g, 0.1).withSeed(2).sample(Nd4j.zeros(DataType.FLOAT, 500, 2), 10),
                t.samples().get(0));
    }

    @Test
    void sameSeedSameSamplesDifferentSeedDifferent() {
        GaussianEnergy g = isotropic(DataType.FLOAT, 2, 1);
        INDArray a = new LangevinDynamics(g, 0.01).withSeed(5).sample(64, 2, 30);
        INDArray b = new LangevinDynamics(g, 0.01).withSeed(5).sample(64, 2, 30);
        INDArray c = new LangevinDynamics(g, 0.01).withSeed(6).sample(64, 2, 30);
        assertEquals(a, b);
        assertNotEquals(a, c);
        // The default seed is fixed and documented.
        assertEquals(new LangevinDynamics(g, 0.01).sample(8, 2, 3), new LangevinDynamics(g, 0.01).sample(8, 2, 3));
    }

    @Test
    void sampleLeavesInputAloneAndAdvanceMovesInPlaceIncludingViews() {
        GaussianEnergy g = isotropic(DataType.FLOAT, 2, 1);
        INDArray x0 = Nd4j.ones(DataType.FLOAT, 10, 2);
        LangevinDynamics l = new LangevinDynamics(g, 0.1).withSeed(1);
        INDArray out = l.sample(x0, 5);
        assertEquals(Nd4j.ones(DataType.FLOAT, 10, 2), x0);
        assertNotEquals(x0, out);
        INDArray big = Nd4j.ones(DataType.FLOAT, 10, 4);
        INDArray view = big.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3));
        new LangevinDynamics(g, 0.1).withSeed(1).advance(view, 5);
        assertEquals(out, view.dup());
        assertEquals(1.0, big.getDouble(0, 0), 0.0);
        assertTrue(Double.isNaN(l.lastAcceptanceRate()));
    }

    @Test
    void noiselessLangevinDescendsAndClampAndClipHold() {
        GaussianEnergy g = new GaussianEnergy(Nd4j.createFromArray(2.0, -1.0), Nd4j.eye(2).castTo(DataType.DOUBLE));
        INDArray x = new LangevinDynamics(g, 0.1).withNoiseScale(0).sample(Nd4j.zeros(DataType.DOUBLE, 3, 2), 200);
        assertEquals(2.0, x.getDouble(0, 0), 1e-6);
        assertEquals(-1.0, x.getDouble(2, 1), 1e-6);
        INDArray clamped = new LangevinDynamics(g, 0.1).withClamp(-0.5, 0.5).sample(64, 2, 100);
        assertTrue(clamped.amaxNumber().doubleValue() <= 0.5);
        // Clipping at 0.01 per element limits each noiseless move to 0.01·η.
        INDArray clipped = new LangevinDynamics(g, 0.1).withNoiseScale(0).withGradientClip(0.01)
                .sample(Nd4j.zeros(DataType.DOUBLE, 1, 2), 10);
        assertEquals(10 * 0.1 * 0.01, clipped.getDouble(0, 0), 1e-12);
    }

    @Test
    void schedulesDriveStepSizeAndNoise() {
        GaussianEnergy g = new GaussianEnergy(Nd4j.createFromArray(2.0), Nd4j.eye(1).castTo(DataType.DOUBLE));
        // Zero noise after step 0 and a step size that is 1.0 at step 0 (jumps to the mean) then 0.5.
        LangevinDynamics l = new LangevinDynamics(g, 0.1).withNoiseScaleSchedule(s -> 0.0)
                .withStepSizeSchedule(s -> s == 0 ? 1.0 : 0.5);
        assertEquals(2.0, l.sample(Nd4j.zeros(DataType.DOUBLE, 1, 1), 3).getDouble(0), 1e-12);
        LangevinDynamics bad = new LangevinDynamics(g, 0.1).withStepSizeSchedule(s -> -1.0);
        assertThrows(IllegalStateException.class, () -> bad.sample(2, 1, 1));
    }

    @Test
    void refusesBadInput() {
        GaussianEnergy g = isotropic(DataType.FLOAT, 2, 1);
        LangevinDynamics l = new LangevinDynamics(g, 0.1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> l.sample(Nd4j.zeros(DataType.FLOAT, 4, 3), 1));
        assertTrue(e.getMessage().contains("dimension 3"), e.getMessage());
        INDArray nan = Nd4j.zeros(DataType.FLOAT, 4, 2);
        nan.putScalar(2, 0, Float.NaN);
        e = assertThrows(IllegalArgumentException.class, () -> l.sample(nan, 1));
        assertTrue(e.getMessage().contains("non-finite") && e.getMessage().contains("row 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> l.sample(4, 3, 1));
        assertThrows(IllegalArgumentException.class, () -> l.sample(4, 2, -1));
        assertThrows(IllegalArgumentException.class, () -> new LangevinDynamics(g, 0));
        assertThrows(IllegalArgumentException.class, () -> new LangevinDynamics(g, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> l.withClamp(1, 1));
        assertThrows(IllegalArgumentException.class, () -> l.withNoiseScale(-1));
        assertThrows(IllegalArgumentException.class, () -> new LangevinDynamics(null, 0.1));
    }
}
