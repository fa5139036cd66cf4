package io.streamebm.energy;

import io.streamebm.internal.Linalg;
import io.streamebm.runtime.RandomSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.autograd.Autograd;
import io.streamebm.autograd.Tensor;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GaussianEnergyTest {

    static final double[] MU = {1, -1};
    static final double[][] COV = {{1, 0.5}, {0.5, 2}};
    // Σ⁻¹ for COV: det = 1.75
    static final double[][] PREC = {{2 / 1.75, -0.5 / 1.75}, {-0.5 / 1.75, 1 / 1.75}};

    static GaussianEnergy model(DataType t) {
        return new GaussianEnergy(Nd4j.createFromArray(MU).castTo(t), Nd4j.createFromArray(COV).castTo(t));
    }

    static INDArray points(DataType t, int n, long seed) {
        return new RandomSource(seed).gaussian(t, n, 2).muli(1.5);
    }

    @Test
    void aBatchOfAnotherTypeIsCastInAndTheGradientCastBack() {
        GaussianEnergy gd = model(DataType.DOUBLE);
        INDArray xf = new RandomSource(2).gaussian(DataType.FLOAT, 4, 2);
        assertEquals(4, gd.energyValues(xf).length());
        assertEquals(DataType.FLOAT, gd.gradient(xf).dataType());
    }

    @Test
    void energyAndGradientMatchClosedForm() {
        GaussianEnergy g = model(DataType.DOUBLE);
        INDArray x = points(DataType.DOUBLE, 50, 1);
        INDArray e = g.energyValues(x);
        INDArray grad = g.gradient(x);
        assertEquals(DataType.DOUBLE, grad.dataType());
        for (int i = 0; i < 50; i++) {
            double a = x.getDouble(i, 0) - MU[0];
            double b = x.getDouble(i, 1) - MU[1];
            double expected = 0.5 * (a * (PREC[0][0] * a + PREC[0][1] * b) + b * (PREC[1][0] * a + PREC[1][1] * b));
            assertEquals(expected, e.getDouble(i), 1e-10);
            assertEquals(PREC[0][0] * a + PREC[0][1] * b, grad.getDouble(i, 0), 1e-10);
            assertEquals(PREC[1][0] * a + PREC[1][1] * b, grad.getDouble(i, 1), 1e-10);
        }
    }

    @Test
    void fusedGradientMatchesAutograd() {
        for (DataType t : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            GaussianEnergy g = new GaussianEnergy(new RandomSource(3).gaussian(t, 1, 5).reshape(5),
                    randomSpd(5, 4).castTo(t));
            INDArray x = points(t, 40, 2).repeat(1, 3).get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 5)).dup();
            INDArray fused = g.gradient(x);
            INDArray auto = g.autogradGradient(x);
            double tol = t == DataType.DOUBLE ? 1e-9 : 1e-4;
            assertTrue(fused.sub(auto).amaxNumber().doubleValue() <= tol * (1 + auto.amaxNumber().doubleValue()),
                    "fused vs autograd " + t);
        }
    }

    @Test
    void logPartitionIsAnalyticAndDifferentiable() {
        GaussianEnergy g = model(DataType.DOUBLE);
        double expected = Math.log(2 * Math.PI) + 0.5 * Math.log(1.75);
        assertEquals(expected, g.logPartition().item(), 1e-12);
        // d log Z / d raw = −1 on the diagonal, 0 elsewhere.
        Tensor dRaw = Autograd.grad(g.logPartition(), g.rawPrecisionFactor(), false);
        assertEquals(-1.0, dRaw.value().getDouble(0, 0), 1e-12);
        assertEquals(-1.0, dRaw.value().getDouble(1, 1), 1e-12);
        assertEquals(0.0, dRaw.value().getDouble(1, 0), 1e-12);
        GaussianEnergy big = new GaussianEnergy(Nd4j.zeros(DataType.DOUBLE, 4), randomSpd(4, 9));
        double[][] cov = Linalg.toDouble(randomSpd(4, 9));
        double logDet = Linalg.logDetFromCholesky(Linalg.cholesky(cov, "cov"));
        assertEquals(2 * Math.log(2 * Math.PI) + 0.5 * logDet, big.logPartition().item(), 1e-10);
    }

    @Test
    void reportsMeanCovarianceAndPrecision() {
        for (DataType t : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            GaussianEnergy g = model(t);
            double tol = t == DataType.DOUBLE ? 1e-12 : 1e-5;
            INDArray cov = g.covariance();
            INDArray prec = g.precision();
            assertEquals(t, cov.dataType());
            for (int i = 0; i < 2; i++) {
                assertEquals(MU[i], g.mean().getDouble(i), tol);
                for (int j = 0; j < 2; j++) {
                    assertEquals(COV[i][j], cov.getDouble(i, j), tol);
                    assertEquals(PREC[i][j], prec.getDouble(i, j), tol);
                }
            }
            INDArray l = g.precisionFactor();
            assertEquals(0.0, l.getDouble(0, 1), 0.0);
            assertTrue(l.getDouble(0, 0) > 0 && l.getDouble(1, 1) > 0);
        }
    }

    @Test
    void anyParameterValueIsAValidModelAndGradientFollowsUpdates() {
        GaussianEnergy g = model(DataType.DOUBLE);
        INDArray x = points(DataType.DOUBLE, 10, 5);
        INDArray before = g.gradient(x);
        // An optimizer writes the parameters in place: make the raw factor arbitrary, even negative.
        g.rawPrecisionFactor().value().assign(Nd4j.createFromArray(new double[][] {{-3, 7}, {2.5, -1}}));
        g.meanParameter().value().assign(Nd4j.createFromArray(0.3, 0.4));
        INDArray after = g.gradient(x);
        assertTrue(after.sub(before).amaxNumber().doubleValue() > 1e-3, "cache must notice in-place updates");
        assertTrue(after.sub(g.autogradGradient(x)).amaxNumber().doubleValue() < 1e-10);
        double[][] p = Linalg.toDouble(g.precision());
        Linalg.cholesky(p, "precision"); // throws if not PD
        assertEquals(0.0, g.precision().getDouble(0, 1) - g.precision().getDouble(1, 0), 1e-15);
        // The upper triangle of the raw factor is ignored.
        assertEquals(0.0, Autograd.grad(g.energy(Tensor.constant(x)).sum(), g.rawPrecisionFactor(), false)
                .value().getDouble(0, 1), 0.0);
    }

    @Test
    void refusesBadArguments() {
        INDArray mu = Nd4j.zeros(DataType.DOUBLE, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GaussianEnergy(mu, Nd4j.createFromArray(new double[][] {{1, 2}, {2, 1}})));
        assertTrue(e.getMessage().contains("not positive definite"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new GaussianEnergy(mu, Nd4j.createFromArray(new double[][] {{1, 0.3}, {0.1, 1}})));
        assertTrue(e.getMessage().contains("not symmetric"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GaussianEnergy(mu, Nd4j.eye(3)));
        assertTrue(e.getMessage().contains("[2, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new GaussianEnergy(mu, Nd4j.createFromArray(new double[][] {{1, 0}, {0, Double.NaN}})));
        assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
        GaussianEnergy g = model(DataType.DOUBLE);
        e = assertThrows(IllegalArgumentException.class, () -> g.gradient(Nd4j.zeros(DataType.DOUBLE, 3, 3)));
        assertTrue(e.getMessage().contains("dimension 3"), e.getMessage());
        INDArray nan = Nd4j.zeros(DataType.DOUBLE, 3, 2);
        nan.putScalar(1, 1, Double.NaN);
        e = assertThrows(IllegalArgumentException.class, () -> g.energyValues(nan));
        assertTrue(e.getMessage().contains("row 1, column 1"), e.getMessage());
    }

    @Test
    void flatParametersRoundTrip() {
        GaussianEnergy g = model(DataType.FLOAT);
        INDArray flat = Parameters.flatten(g);
        assertEquals(2 + 4, flat.length());
        GaussianEnergy other = new GaussianEnergy(Nd4j.zeros(DataType.FLOAT, 2), Nd4j.eye(2).castTo(DataType.FLOAT));
        Parameters.assign(other, flat);
        assertTrue(other.covariance().sub(g.covariance()).amaxNumber().doubleValue() < 1e-5);
        assertTrue(other.mean().sub(g.mean()).amaxNumber().doubleValue() < 1e-7);
        assertThrows(IllegalArgumentException.class, () -> Parameters.assign(other, Nd4j.zeros(DataType.FLOAT, 5)));
    }

    /** A random SPD matrix A Aᵀ + I in double. */
    static INDArray randomSpd(int d, long seed) {
        INDArray a = new RandomSource(seed).gaussian(DataType.DOUBLE, d, d);
        return a.mmul(a.transpose()).addi(Nd4j.eye(d).castTo(DataType.DOUBLE));
    }
}
