package io.streamebm.distributions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.autograd.Autograd;
import io.streamebm.autograd.Tensor;
import io.streamebm.runtime.RandomSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class DistributionsTest {

    @Test
    void normalLogProbAndMoments() {
        Normal n = new Normal(0.5, 2.0, DataType.DOUBLE);
        INDArray x = Nd4j.createFromArray(new double[][] {{0.5, 1.0, -3.0}});
        double expected = 0;
        for (double v : new double[] {0.5, 1.0, -3.0}) {
            expected += -0.5 * Math.pow((v - 0.5) / 2, 2) - Math.log(2) - 0.5 * Math.log(2 * Math.PI);
        }
        assertEquals(expected, n.logProb(x).getDouble(0), 1e-12);
        assertEquals(expected, n.logProb(Tensor.constant(x)).item(), 1e-12);
        INDArray s = n.sample(new RandomSource(1), 50_000, 3);
        assertEquals(DataType.DOUBLE, s.dataType());
        assertEquals(0.5, s.meanNumber().doubleValue(), 0.03);
        assertEquals(4.0, s.var(false, 0).meanNumber().doubleValue(), 0.08);
        // ∇ log p = −(x − μ)/σ²
        Tensor xt = Tensor.variable(x);
        INDArray g = Autograd.grad(n.logProb(xt).sum(), xt, false).value();
        assertEquals(-(-3.0 - 0.5) / 4, g.getDouble(0, 2), 1e-12);
        assertEquals(DataType.FLOAT, Normal.standard().sample(new RandomSource(1), 2, 2).dataType());
        assertThrows(IllegalArgumentException.class, () -> new Normal(0, 0));
        assertThrows(IllegalArgumentException.class, () -> Normal.standard().sample(new RandomSource(1), 5));
    }

    @Test
    void multivariateNormalLogProbAndMoments() {
        INDArray mu = Nd4j.createFromArray(1.0, -1.0);
        INDArray cov = Nd4j.createFromArray(new double[][] {{1, 0.5}, {0.5, 2}});
        MultivariateNormal mvn = new MultivariateNormal(mu, cov);
        INDArray x = Nd4j.createFromArray(new double[][] {{0.0, 0.0}, {2.0, -3.0}});
        double det = 1.75;
        double[][] p = {{2 / det, -0.5 / det}, {-0.5 / det, 1 / det}};
        for (int i = 0; i < 2; i++) {
            double a = x.getDouble(i, 0) - 1;
            double b = x.getDouble(i, 1) + 1;
            double q = a * (p[0][0] * a + p[0][1] * b) + b * (p[1][0] * a + p[1][1] * b);
            double expected = -0.5 * q - 0.5 * Math.log(det) - Math.log(2 * Math.PI);
            assertEquals(expected, mvn.logProb(x).getDouble(i), 1e-12);
            assertEquals(expected, mvn.logProb(Tensor.constant(x)).value().getDouble(i), 1e-12);
        }
        INDArray s = mvn.sample(new RandomSource(3), 100_000);
        INDArray m = s.mean(0);
        assertEquals(1.0, m.getDouble(0), 0.02);
        assertEquals(-1.0, m.getDouble(1), 0.02);
        INDArray c = s.subRowVector(m);
        INDArray emp = c.transpose().mmul(c).divi(s.size(0));
        assertEquals(1.0, emp.getDouble(0, 0), 0.03);
        assertEquals(0.5, emp.getDouble(0, 1), 0.03);
        assertEquals(2.0, emp.getDouble(1, 1), 0.05);
        MultivariateNormal f = new MultivariateNormal(mu.castTo(DataType.FLOAT), cov.castTo(DataType.FLOAT));
        assertEquals(DataType.FLOAT, f.sample(new RandomSource(1), 4).dataType());
        assertEquals(mvn.logProb(x).getDouble(1), f.logProb(x.castTo(DataType.FLOAT)).getDouble(1), 1e-5);
    }

    @Test
    void multivariateNormalRefusesBadArguments() {
        INDArray mu = Nd4j.zeros(DataType.DOUBLE, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MultivariateNormal(mu, Nd4j.createFromArray(new double[][] {{1, 3}, {3, 1}})));
        assertTrue(e.getMessage().contains("not positive definite"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MultivariateNormal(mu, Nd4j.eye(3)));
        MultivariateNormal ok = new MultivariateNormal(mu, Nd4j.eye(2).castTo(DataType.DOUBLE));
        e = assertThrows(IllegalArgumentException.class, () -> ok.logProb(Nd4j.zeros(DataType.DOUBLE, 3, 3)));
        assertTrue(e.getMessage().contains("dimension 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ok.sample(new RandomSource(1), 3, 4));
    }
}
