package io.streamebm.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class DatasetsTest {

    @Test
    void everyDatasetHasShapeAndIsDeterministic() {
        for (String name : Datasets.NAMES) {
            INDArray a = Datasets.generate(name, 500, 7);
            assertArrayEquals(new long[] {500, 2}, a.shape(), name);
            assertEquals(DataType.FLOAT, a.dataType());
            assertEquals(a, Datasets.generate(name, 500, 7), name);
            assertNotEquals(a, Datasets.generate(name, 500, 8), name);
            assertTrue(Double.isFinite(a.sumNumber().doubleValue()), name);
            // The stream continues the same sequence as the batch.
            DatasetStream s = Datasets.stream(name, 7);
            float[] first = s.next();
            assertEquals(a.getFloat(0, 0), first[0], 0f, name);
            assertEquals(a.getFloat(1, 1), s.nextBatch(1).getFloat(0, 1), 0f, name);
        }
        assertEquals(Datasets.generate("two-moons", 10, 1), Datasets.generate("TWO_MOONS", 10, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Datasets.stream("three-moons", 1));
        assertTrue(e.getMessage().contains("eight-gaussians"), e.getMessage());
    }

    private static double[] radii(INDArray x) {
        double[] r = new double[(int) x.size(0)];
        for (int i = 0; i < r.length; i++) {
            r[i] = Math.hypot(x.getDouble(i, 0), x.getDouble(i, 1));
        }
        return r;
    }

    @Test
    void geometry() {
        for (double r : radii(Datasets.generate("eight-gaussians", 2000, 1))) {
            assertEquals(2.0, r, 0.1);
        }
        for (double r : radii(Datasets.eightGaussians(2.0, 0.1, 3).nextBatch(2000))) {
            assertEquals(2.0, r, 0.5);
        }
        for (double r : radii(Datasets.generate("gaussian-mixture", 2000, 1))) {
            assertEquals(1.0, r, 0.25);
        }
        double mean = 0;
        for (double r : radii(Datasets.generate("circle", 2000, 1))) {
            mean += r / 2000;
            assertEquals(1.0, r, 0.25);
        }
        assertEquals(1.0, mean, 0.01);
        INDArray board = Datasets.generate("checkerboard", 4000, 1);
        for (int i = 0; i < 4000; i++) {
            double x = board.getDouble(i, 0);
            double y = board.getDouble(i, 1);
            assertTrue(Math.abs(x) <= 4 && Math.abs(y) <= 4);
            int ci = (int) Math.floor((x + 4) / 2);
            int cj = (int) Math.floor((y + 4) / 2);
            assertEquals(0, (ci + cj) % 2, "point in a white cell " + x + ", " + y);
        }
        INDArray grid = Datasets.generate("grid", 1000, 1);
        for (int i = 0; i < 1000; i++) {
            double u = (grid.getDouble(i, 0) + 4) / (8.0 / 9);
            assertEquals(Math.rint(u), u, 0.1);
        }
        INDArray moons = Datasets.generate("two-moons", 2000, 1);
        assertEquals(0.5, moons.getColumn(0).meanNumber().doubleValue(), 0.05);
        assertEquals(0.25, moons.getColumn(1).meanNumber().doubleValue(), 0.05);
        for (double r : radii(Datasets.generate("swiss-roll", 2000, 1))) {
            assertTrue(r > 0.8 && r < 3.0, "swiss roll radius " + r);
        }
        for (double r : radii(Datasets.generate("pinwheel", 2000, 1))) {
            assertTrue(r < 3.0, "pinwheel radius " + r);
        }
    }
}
