package io.streamebm.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.autograd.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Clipping by global norm and by value, the reported norm, and NaN handling. */
class GradientClippingTest {

    static List<Tensor> withGrads(double[] g0, double[] g1) {
        Tensor p0 = Tensor.parameter(Nd4j.zeros(DataType.DOUBLE, g0.length));
        Tensor p1 = Tensor.parameter(Nd4j.zeros(DataType.FLOAT, g1.length));
        p0.mul(Tensor.constant(Nd4j.createFromArray(g0))).sum().backward();
        p1.mul(Tensor.constant(Nd4j.createFromArray(g1).castTo(DataType.FLOAT))).sum().backward();
        return List.of(p0, p1);
    }

    @Test
    void globalNormClipsAllGradientsTogether() {
        List<Tensor> ps = withGrads(new double[] {3, 0}, new double[] {0, 4});
        double norm = GradientClipping.byGlobalNorm(1.0).clip(ps);
        assertEquals(5.0, norm, 1e-6);
        assertEquals(0.6, ps.get(0).grad().value().getDouble(0), 1e-6);
        assertEquals(0.8, ps.get(1).grad().value().getDouble(1), 1e-6);
        assertEquals(1.0, GradientClipping.globalNorm(ps), 1e-5);
        // Below the limit nothing changes.
        assertEquals(1.0, GradientClipping.byGlobalNorm(10).clip(ps), 1e-5);
        assertEquals(0.6, ps.get(0).grad().value().getDouble(0), 1e-6);
    }

    @Test
    void valueClippingClampsElements() {
        List<Tensor> ps = withGrads(new double[] {3, -0.05}, new double[] {-2, 0.5});
        double norm = GradientClipping.byValue(0.1).clip(ps);
        assertEquals(Math.sqrt(9 + 0.0025 + 4 + 0.25), norm, 1e-6);
        assertEquals(0.1, ps.get(0).grad().value().getDouble(0), 1e-12);
        assertEquals(-0.05, ps.get(0).grad().value().getDouble(1), 1e-12);
        assertEquals(-0.1, ps.get(1).grad().value().getDouble(0), 1e-7);
        assertEquals(0.1, ps.get(1).grad().value().getDouble(1), 1e-7);
    }

    @Test
    void nonFiniteNormLeavesGradientsAlone() {
        List<Tensor> ps = withGrads(new double[] {Double.NaN, 1}, new double[] {2, 2});
        double norm = GradientClipping.byGlobalNorm(1.0).clip(ps);
        assertTrue(Double.isNaN(norm));
        assertEquals(2.0, ps.get(1).grad().value().getDouble(0), 0);
    }
}
