package io.streamebm.energy.mlp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.autograd.Tensor;
import io.streamebm.runtime.RandomSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class MlpEnergyTest {

    private static double relErr(INDArray a, INDArray b) {
        return a.sub(b).amaxNumber().doubleValue() / (1e-12 + b.amaxNumber().doubleValue());
    }

    @Test
    void fusedGradientMatchesAutogradForEveryActivation() {
        for (Activation act : Activation.values()) {
            for (DataType t : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
                MlpEnergy m = MlpEnergy.builder().inputDim(3).hidden(16, 8, 12).activation(act).seed(7).dataType(t)
                        .build();
                // 601 rows (odd, at least MIN_ROWS_TO_SPLIT) run as two halves on two threads.
                for (int rows : new int[] {33, MlpEnergy.MIN_ROWS_TO_SPLIT + 89}) {
                    INDArray x = new RandomSource(11).gaussian(t, rows, 3).muli(2);
                    double tol = t == DataType.DOUBLE ? 1e-10 : 2e-4;
                    assertTrue(relErr(m.gradient(x), m.autogradGradient(x)) < tol, act + " " + t + " " + rows);
                    // A second call reuses the buffers and must give the same answer.
                    assertTrue(relErr(m.gradient(x), m.autogradGradient(x)) < tol, act + " " + t + " reuse");
                }
            }
        }
    }

    @Test
    void defaultArchitectureAndGradientAfterParameterUpdate() {
        MlpEnergy m = MlpEnergy.builder().build();
        assertEquals("2x128, 128x128, 128x1 SILU", m.describe());
        assertEquals(2 * 128 + 128 + 128 * 128 + 128 + 128 + 1, m.parameterCount());
        INDArray x = new RandomSource(1).gaussian(DataType.FLOAT, 256, 2);
        INDArray before = m.gradient(x);
        for (Tensor p : m.parameters()) {
            p.value().muli(1.3).addi(0.01);
        }
        INDArray after = m.gradient(x);
        assertTrue(relErr(after, before) > 1e-3);
        assertTrue(relErr(after, m.autogradGradient(x)) < 2e-4);
        INDArray e = m.energyValues(x);
        assertArrayEquals(new long[] {256}, e.shape());
    }

    @Test
    void seededInitialisationAndFlatParameters() {
        MlpEnergy a = MlpEnergy.builder().seed(5).build();
        MlpEnergy b = MlpEnergy.builder().seed(5).build();
        MlpEnergy c = MlpEnergy.builder().seed(6).build();
        assertEquals(a.flatParameters(), b.flatParameters());
        assertNotEquals(a.flatParameters(), c.flatParameters());
        c.setFlatParameters(a.flatParameters());
        INDArray x = new RandomSource(2).gaussian(DataType.FLOAT, 4, 2);
        assertEquals(a.energyValues(x), c.energyValues(x));
        // PyTorch nn.Linear bound: 1/sqrt(fan_in)
        double bound = 1 / Math.sqrt(2);
        assertTrue(a.weight(0).value().amaxNumber().doubleValue() <= bound);
        assertTrue(a.weight(0).value().amaxNumber().doubleValue() > 0.8 * bound);
    }

    @Test
    void manyBatchSizesAndMixedTypes() {
        MlpEnergy m = MlpEnergy.builder().hidden(8, 8).seed(3).build();
        for (int n = 1; n <= 12; n++) {
            INDArray x = new RandomSource(n).gaussian(DataType.FLOAT, n, 2);
            assertTrue(relErr(m.gradient(x), m.autogradGradient(x)) < 2e-4, "n=" + n);
        }
        // A double batch on a float model is cast in and the gradient cast back.
        INDArray xd = new RandomSource(1).gaussian(DataType.DOUBLE, 5, 2);
        INDArray g = m.gradient(xd);
        assertEquals(DataType.DOUBLE, g.dataType());
        assertTrue(relErr(g.castTo(DataType.FLOAT), m.gradient(xd.castTo(DataType.FLOAT))) < 1e-6);
    }

    @Test
    void validatesConfigurationAndInput() {
        assertThrows(IllegalArgumentException.class, () -> MlpEnergy.builder().hidden().build());
        assertThrows(IllegalArgumentException.class, () -> MlpEnergy.builder().hidden(4, 0).build());
        assertThrows(IllegalArgumentException.class, () -> MlpEnergy.builder().inputDim(0).build());
        MlpEnergy m = MlpEnergy.builder().hidden(4).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.gradient(Nd4j.zeros(DataType.FLOAT, 2, 3)));
        assertTrue(e.getMessage().contains("dimension 3"), e.getMessage());
    }
}
