package io.streamebm.energy.mlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.runtime.RandomSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The float32 SiLU fast path against the exact sigmoid and against the float64 ND4J path. */
class FastSiluTest {

    @Test
    void sigmoidIsWithinItsDocumentedErrorEverywhere() {
        double worst = 0;
        double worstAt = 0;
        for (int i = -2_000_000; i <= 2_000_000; i++) {
            float v = i * 5e-5f;   // [-100, 100] in steps of 5e-5
            double exact = 1 / (1 + Math.exp(-(double) v));
            double err = Math.abs(FastSilu.sigmoid(v) - exact);
            if (err > worst) {
                worst = err;
                worstAt = v;
            }
        }
        assertTrue(worst <= 2.5e-7, "max |sigma_fast - sigma| = " + worst + " at " + worstAt);
        // Saturation: the far tails are 0 and 1 to within the same bound, never NaN.
        assertEquals(0.0, FastSilu.sigmoid(-1e30f), 2.5e-7);
        assertEquals(1.0, FastSilu.sigmoid(Float.MAX_VALUE), 2.5e-7);
        assertEquals(0.5, FastSilu.sigmoid(0f), 1e-7);
    }

    @Test
    void float32SiluAndDerivativeMatchTheExactFloat64Path() {
        INDArray z64 = new RandomSource(3).gaussian(DataType.DOUBLE, 64, 33).muli(6);
        INDArray a64 = z64.ulike();
        INDArray d64 = z64.ulike();
        MlpForward.activate(Activation.SILU, z64.dup(), a64, d64);
        INDArray z32 = z64.castTo(DataType.FLOAT);
        INDArray a32 = z32.ulike();
        INDArray d32 = z32.ulike();
        assertTrue(FastSilu.applies(z32, a32, d32));
        MlpForward.activate(Activation.SILU, z32, a32, d32);
        for (int i = 0; i < 64; i++) {
            for (int j = 0; j < 33; j++) {
                double z = z64.getDouble(i, j);
                double tol = 4e-7 * (1 + Math.abs(z));
                assertEquals(a64.getDouble(i, j), a32.getDouble(i, j), tol, "silu at " + z);
                assertEquals(d64.getDouble(i, j), d32.getDouble(i, j), tol, "silu' at " + z);
            }
        }
        // The exact path itself: silu(2) = 2σ(2), silu'(2) = σ(2)(1 + 2(1 − σ(2))).
        INDArray two = Nd4j.valueArrayOf(new long[] {1, 1}, 2.0, DataType.DOUBLE);
        INDArray a = two.ulike();
        INDArray d = two.ulike();
        MlpForward.activate(Activation.SILU, two, a, d);
        double s = 1 / (1 + Math.exp(-2.0));
        assertEquals(2 * s, a.getDouble(0), 1e-15);
        assertEquals(s * (1 + 2 * (1 - s)), d.getDouble(0), 1e-15);
    }
}
