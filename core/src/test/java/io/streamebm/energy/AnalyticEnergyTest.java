package io.streamebm.energy;

import io.streamebm.runtime.RandomSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.autograd.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class AnalyticEnergyTest {

    static final List<AnalyticEnergy> ALL = List.of(new DoubleWellEnergy(), new HarmonicEnergy(),
            new RosenbrockEnergy(), new AckleyEnergy(), new RastriginEnergy(), new DoubleWellEnergy(0.5, 1.5),
            new HarmonicEnergy(3), new RosenbrockEnergy(-0.5, 10), new AckleyEnergy(10, 0.5, 3),
            new RastriginEnergy(2));

    @Test
    void fusedGradientAndValuesMatchAutograd() {
        for (AnalyticEnergy e : ALL) {
            for (int d : new int[] {2, 5}) {
                INDArray x = new RandomSource(d).gaussian(DataType.DOUBLE, 20, d).muli(1.3);
                INDArray auto = e.autogradGradient(x);
                INDArray fused = e.gradient(x);
                String what = e.getClass().getSimpleName() + " d=" + d;
                assertTrue(fused.sub(auto).amaxNumber().doubleValue() < 1e-9 * (1 + auto.amaxNumber().doubleValue()),
                        what);
                INDArray recorded = e.energy(Tensor.constant(x)).value();
                assertTrue(e.energyValues(x).sub(recorded).amaxNumber().doubleValue() < 1e-9, what + " values");
                INDArray xf = x.castTo(DataType.FLOAT);
                INDArray ff = e.gradient(xf);
                assertEquals(DataType.FLOAT, ff.dataType());
                assertTrue(ff.castTo(DataType.DOUBLE).sub(auto).amaxNumber().doubleValue()
                        < 1e-4 * (1 + auto.amaxNumber().doubleValue()), what + " float");
            }
        }
    }

    @Test
    void closedFormValues() {
        INDArray p = Nd4j.createFromArray(new double[][] {{0.5, -2.0}});
        double x = 0.5;
        double y = -2.0;
        assertEquals(2 * (Math.pow(x * x - 1, 2) + Math.pow(y * y - 1, 2)), new DoubleWellEnergy().energyValues(p)
                .getDouble(0), 1e-12);
        assertEquals(0.5 * (x * x + y * y), new HarmonicEnergy().energyValues(p).getDouble(0), 1e-12);
        assertEquals(100 * Math.pow(y - x * x, 2) + Math.pow(1 - x, 2), new RosenbrockEnergy().energyValues(p)
                .getDouble(0), 1e-9);
        assertEquals(20 + (x * x - 10 * Math.cos(2 * Math.PI * x)) + (y * y - 10 * Math.cos(2 * Math.PI * y)),
                new RastriginEnergy().energyValues(p).getDouble(0), 1e-9);
        double ack = -20 * Math.exp(-0.2 * Math.sqrt((x * x + y * y) / 2))
                - Math.exp((Math.cos(2 * Math.PI * x) + Math.cos(2 * Math.PI * y)) / 2) + 20 + Math.E;
        assertEquals(ack, new AckleyEnergy().energyValues(p).getDouble(0), 1e-9);
        // Minima.
        INDArray origin = Nd4j.zeros(DataType.DOUBLE, 1, 3);
        assertEquals(0.0, new AckleyEnergy().energyValues(origin).getDouble(0), 1e-12);
        assertEquals(0.0, new RastriginEnergy().energyValues(origin).getDouble(0), 1e-12);
        assertEquals(0.0, new RosenbrockEnergy().energyValues(Nd4j.ones(DataType.DOUBLE, 1, 3)).getDouble(0), 1e-12);
        assertEquals(0.0, new DoubleWellEnergy().energyValues(Nd4j.ones(DataType.DOUBLE, 1, 3)).getDouble(0), 1e-12);
        // Closed-form gradients.
        INDArray gw = new DoubleWellEnergy().gradient(p);
        assertEquals(8 * x * (x * x - 1), gw.getDouble(0, 0), 1e-12);
        INDArray gr = new RosenbrockEnergy().gradient(p);
        assertEquals(-400 * x * (y - x * x) - 2 * (1 - x), gr.getDouble(0, 0), 1e-9);
        assertEquals(200 * (y - x * x), gr.getDouble(0, 1), 1e-9);
        // Ackley's gradient at the origin is finite (zero).
        assertEquals(0.0, new AckleyEnergy().gradient(origin).amaxNumber().doubleValue(), 0.0);
    }

    @Test
    void validation() {
        assertThrows(IllegalArgumentException.class, () -> new DoubleWellEnergy(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new HarmonicEnergy(-1));
        assertThrows(IllegalArgumentException.class, () -> new RosenbrockEnergy(1, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new RastriginEnergy(-1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RosenbrockEnergy().gradient(Nd4j.zeros(DataType.FLOAT, 3, 1)));
        assertTrue(e.getMessage().contains(">= 2"), e.getMessage());
        INDArray nan = Nd4j.zeros(DataType.FLOAT, 2, 2);
        nan.putScalar(0, 1, Float.POSITIVE_INFINITY);
        e = assertThrows(IllegalArgumentException.class, () -> new HarmonicEnergy().gradient(nan));
        assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
    }
}
