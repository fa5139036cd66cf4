package io.streamebm.energy.fused;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.streamebm.autograd.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Gradients addressed by name, and the loss tensor that hands them to backward(). */
class FusedResultTest {

    @Test
    void gradientsByNameInOrderAndBackward() {
        Tensor w = Tensor.parameter(Nd4j.zeros(DataType.DOUBLE, 2));
        Tensor c = Tensor.parameter(Nd4j.scalar(DataType.DOUBLE, 0.0));
        INDArray gw = Nd4j.createFromArray(1.0, 2.0);
        FusedResult r = new FusedResult(0.5, new double[] {3}, Map.of("w", new FusedResult.ParameterGradient(w, gw)))
                .withGradient("c", c, Nd4j.scalar(DataType.DOUBLE, 4.0));
        assertSame(gw, r.gradient("w"));
        assertEquals(List.of("w", "c"), List.copyOf(r.gradients().keySet()));
        Tensor loss = r.toLoss();
        assertEquals(0.5, loss.item());
        loss.backward();
        assertEquals(gw, w.grad().value());
        assertEquals(4.0, c.grad().value().getDouble(0));
        assertThrows(IllegalArgumentException.class, () -> r.gradient("b"));
        assertThrows(IllegalArgumentException.class, () -> r.withGradient("w", c, Nd4j.scalar(DataType.DOUBLE, 1.0)));
    }
}
