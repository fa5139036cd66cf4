package io.streamebm.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.energy.DoubleWellEnergy;
import io.streamebm.energy.GaussianEnergy;
import io.streamebm.runtime.RandomSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class MetropolisSamplersTest {

    static GaussianEnergy correlated() {
        return new GaussianEnergy(Nd4j.createFromArray(1.0, -1.0),
                Nd4j.createFromArray(new double[][] {{1, 0.5}, {0.5, 2}}));
    }

    /** Pooled mean and covariance over the recorded states of a trace. */
    static double[] moments(SamplingTrace trace) {
        double m0 = 0;
        double m1 = 0;
        double s00 = 0;
        double s01 = 0;
        double s11 = 0;
        long n = 0;
        for (INDArray s : trace.samples()) {
            double[] v = s.castTo(DataType.DOUBLE).data().asDouble();
            for (int i = 0; i < v.length; i += 2) {
                m0 += v[i];
                m1 += v[i + 1];
                s00 += v[i] * v[i];
                s01 += v[i] * v[i + 1];
                s11 += v[i + 1] * v[i + 1];
                n++;
            }
        }
        m0 /= n;
        m1 /= n;
        return new double[] {m0, m1, s00 / n - m0 * m0, s01 / n - m0 * m1, s11 / n - m1 * m1};
    }

    static void assertMatchesTarget(ChainSampler sampler) {
        INDArray x0 = new RandomSource(2).gaussian(DataType.DOUBLE, 1000, 2);
        INDArray burnt = sampler.sample(x0, 100);
        SamplingTrace trace = sampler.run(burnt, 100, 10);
        double[] m = moments(trace);
        String what = sampler.getClass().getSimpleName() + " " + java.util.Arrays.toString(m);
        assertEquals(1.0, m[0], 0.05, what);
        assertEquals(-1.0, m[1], 0.05, what);
        assertEquals(1.0, m[2], 0.1, what);
        assertEquals(0.5, m[3], 0.1, what);
        assertEquals(2.0, m[4], 0.1, what);
        double acc = sampler.lastAcceptanceRate();
        assertTrue(acc > 0 && acc < 1, what + " acceptance " + acc);
        assertEquals(10, trace.size());
        assertTrue(trace.overallAcceptanceRate() > 0 && trace.overallAcceptanceRate() < 1);
        assertEquals(1.0, trace.mean()[9][0], 0.1);
        // Mean energy of a 2-D Gaussian under its own law is d/2 = 1.
        assertEquals(1.0, trace.meanEnergy()[9], 0.15);
    }

    @Test
    void malaSamplesTheCorrelatedGaussian() {
        assertMatchesTarget(new MetropolisAdjustedLangevin(correlated(), 0.4).withSeed(3));
    }

    @Test
    void hmcSamplesTheCorrelatedGaussian() {
        assertMatchesTarget(new HamiltonianMonteCarlo(correlated(), 0.3, 5).withSeed(4));
        assertMatchesTarget(new HamiltonianMonteCarlo(correlated(), 0.3, 5).withMass(1.0, 0.5).withSeed(5));
    }

    @Test
    void hmcAcceptanceFallsAsStepSizeGrows() {
        double previous = 1.0;
        for (double eps : new double[] {0.1, 0.5, 1.0, 1.5}) {
            HamiltonianMonteCarlo hmc = new HamiltonianMonteCarlo(correlated(), eps, 10).withSeed(6);
            hmc.sample(new RandomSource(1).gaussian(DataType.DOUBLE, 500, 2).addi(Nd4j.createFromArray(1.0, -1.0)),
                    20);
            double acc = hmc.lastAcceptanceRate();
            assertTrue(acc < previous, "acceptance " + acc + " at step " + eps + " after " + previous);
            previous = acc;
        }
        // Far beyond stability every trajectory diverges and is rejected, without exceptions.
        HamiltonianMonteCarlo wild = new HamiltonianMonteCarlo(correlated(), 50, 30).withSeed(1);
        INDArray x0 = Nd4j.zeros(DataType.DOUBLE, 10, 2);
        assertEquals(x0, wild.sample(x0, 3));
        assertEquals(0.0, wild.lastAcceptanceRate(), 0.0);
    }

    @Test
    void doubleWellHoldsHalfTheMassInEachWell() {
        // All chains start in the left well; Langevin must cross the barrier (height 2) and balance.
        INDArray x0 = Nd4j.zeros(DataType.FLOAT, 2000, 1).subi(1.0);
        INDArray x = new LangevinDynamics(new DoubleWellEnergy(), 0.01).withSeed(8).sample(x0, 5000);
        double right = x.gt(0.0).castTo(DataType.DOUBLE).meanNumber().doubleValue();
        assertTrue(right > 0.4 && right < 0.6, "fraction in the right well " + right);
        INDArray y = new MetropolisAdjustedLangevin(new DoubleWellEnergy(), 0.05).withSeed(9)
                .sample(Nd4j.zeros(DataType.DOUBLE, 1000, 1).subi(1.0), 1500);
        double rightMala = y.gt(0.0).castTo(DataType.DOUBLE).meanNumber().doubleValue();
        assertTrue(rightMala > 0.4 && rightMala < 0.6, "MALA fraction in the right well " + rightMala);
    }

    @Test
    void seedsDetermineSamples() {
        INDArray x0 = new RandomSource(2).gaussian(DataType.DOUBLE, 50, 2);
        assertEquals(new MetropolisAdjustedLangevin(correlated(), 0.3).withSeed(1).sample(x0, 10),
                new MetropolisAdjustedLangevin(correlated(), 0.3).withSeed(1).sample(x0, 10));
        assertNotEquals(new MetropolisAdjustedLangevin(correlated(), 0.3).withSeed(1).sample(x0, 10),
                new MetropolisAdjustedLangevin(correlated(), 0.3).withSeed(2).sample(x0, 10));
        assertEquals(new HamiltonianMonteCarlo(correlated(), 0.3, 4).withSeed(1).sample(x0, 10),
                new HamiltonianMonteCarlo(correlated(), 0.3, 4).withSeed(1).sample(x0, 10));
        assertNotEquals(new HamiltonianMonteCarlo(correlated(), 0.3, 4).withSeed(1).sample(x0, 10),
                new HamiltonianMonteCarlo(correlated(), 0.3, 4).withSeed(2).sample(x0, 10));
        INDArray a = new HamiltonianMonteCarlo(correlated(), 0.3, 4).withSeed(1).sample(20, 2, 5);
        assertEquals(DataType.DOUBLE, a.dataType());
    }

    @Test
    void refusesBadInput() {
        MetropolisAdjustedLangevin mala = new MetropolisAdjustedLangevin(correlated(), 0.3);
        HamiltonianMonteCarlo hmc = new HamiltonianMonteCarlo(correlated(), 0.3, 4);
        for (ChainSampler s : new ChainSampler[] {mala, hmc}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.sample(Nd4j.zeros(DataType.DOUBLE, 5, 3), 1));
            assertTrue(e.getMessage().contains("dimension 3"), e.getMessage());
            INDArray nan = Nd4j.zeros(DataType.DOUBLE, 5, 2);
            nan.putScalar(4, 1, Double.NaN);
            e = assertThrows(IllegalArgumentException.class, () -> s.sample(nan, 1));
            assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> s.run(Nd4j.zeros(DataType.DOUBLE, 5, 2), 10, 0));
        }
        assertThrows(IllegalArgumentException.class, () -> new HamiltonianMonteCarlo(correlated(), 0.1, 0));
        assertThrows(IllegalArgumentException.class, () -> new HamiltonianMonteCarlo(correlated(), -0.1, 3));
        assertThrows(IllegalArgumentException.class, () -> hmc.withMass(1.0));
        assertThrows(IllegalArgumentException.class, () -> hmc.withMass(1.0, 0.0));
        assertThrows(IllegalArgumentException.class, () -> new MetropolisAdjustedLangevin(correlated(), 0));
    }
}
