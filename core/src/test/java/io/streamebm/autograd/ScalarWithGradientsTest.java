package io.streamebm.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The hand-written-gradient node that fused loss kernels return. */
class ScalarWithGradientsTest {

    private static INDArray arr(double... v) {
        return Nd4j.createFromArray(v);
    }

    @Test
    void backwardHandsEachInputItsGradientScaledByTheUpstreamOne() {
        Tensor w = Tensor.parameter(arr(1, 2, 3));
        Tensor b = Tensor.parameter(arr(5));
        Tensor s = Tensor.scalarWithGradients(7.5, List.of(w, b), List.of(arr(0.1, -0.2, 0.3), arr(4)));
        assertEquals(7.5, s.item());
        assertEquals(DataType.DOUBLE, s.dataType());
        s.backward();
        assertArrayEquals(new double[] {0.1, -0.2, 0.3}, w.grad().value().toDoubleVector(), 0);
        assertArrayEquals(new double[] {4}, b.grad().value().toDoubleVector(), 0);

        // Through further recorded ops: d(3s + w·1)/dw = 3g + 1.
        w.zeroGrad();
        Tensor s2 = Tensor.scalarWithGradients(1.0, List.of(w), List.of(arr(0.1, -0.2, 0.3)));
        s2.mul(3.0).add(w.sum()).backward();
        assertArrayEquals(new double[] {1.3, 0.4, 1.9}, w.grad().value().toDoubleVector(), 1e-12);
    }

    @Test
    void theGradientsAreConstantsSoASecondDerivativeIsZero() {
        Tensor w = Tensor.parameter(arr(1, 2));
        Tensor s = Tensor.scalarWithGradients(0.0, List.of(w), List.of(arr(3, 4)));
        Tensor g = Autograd.grad(s, w, true);
        assertArrayEquals(new double[] {3, 4}, g.value().toDoubleVector(), 0);
        assertFalse(g.requiresGrad(), "a gradient of a scalarWithGradients node is a constant");
    }

    @Test
    void refusesMismatchedGradients() {
        Tensor w = Tensor.parameter(arr(1, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.scalarWithGradients(0.0, List.of(w), List.of(arr(1, 2, 3))));
        assertTrue(e.getMessage().contains("shapes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.scalarWithGradients(0.0, List.of(w), List.of()));
        assertTrue(e.getMessage().contains("one gradient per input"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.scalarWithGradients(0.0, List.of(w), List.of(arr(1, 2).castTo(DataType.FLOAT))));
        assertTrue(e.getMessage().contains("FLOAT"), e.getMessage());
    }
}
