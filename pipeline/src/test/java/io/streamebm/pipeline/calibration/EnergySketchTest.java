package io.streamebm.pipeline.calibration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The sketch of recent training energies: calibration on stationary data, ageing out, checkpoints. */
class EnergySketchTest {

    private static double lognormal(SplittableRandom random) {
        double g = Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
        return Math.exp(g);
    }

    @Test
    void onStationaryDataHalfAPercentIsFlaggedAtTheDefaultPercentile() {
        for (long seed = 1; seed <= 6; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            EnergySketch sketch = new EnergySketch(100_000);
            for (int i = 0; i < 150_000; i++) {
                sketch.add(lognormal(random));
            }
            EnergyPercentiles p = sketch.percentiles().orElseThrow();
            int n = 400_000;
            int flagged = 0;
            for (int i = 0; i < n; i++) {
                if (p.percentile(lognormal(random)) >= 0.995) {
                    flagged++;
                }
            }
            double share = 100.0 * flagged / n;
            assertTrue(Math.abs(share - 0.5) <= 0.3, "seed " + seed + ": " + share + "% flagged, " + p);
        }
    }

    @Test
    void energiesOlderThanTwoWindowsAgeOut() {
        EnergySketch sketch = new EnergySketch(10_000);
        assertTrue(sketch.percentiles().isEmpty(), "no energies, no percentiles");
        for (int i = 0; i < 50_000; i++) {
            sketch.add(100 + i % 100); // an old model's energies, all high
        }
        for (int i = 0; i < 25_000; i++) {
            sketch.add(i % 1000 / 1000.0); // the current model's: uniform in [0, 1)
        }
        assertEquals(15_000, sketch.records(), "a full window and a half-full one, both of the new energies");
        EnergyPercentiles p = sketch.percentiles().orElseThrow();
        assertEquals(15_000, p.records());
        assertEquals(1.0, p.percentile(1.0), "nothing of the old model is left");
        assertEquals(0.5, p.percentile(0.4995), 0.01);
        for (int i = 0; i < 5_000; i++) {
            sketch.add(-1);
        }
        assertEquals(10_000, sketch.records(), "the half-full window filled up and rotated: one full window");
        assertEquals(0.5, sketch.percentiles().orElseThrow().percentile(-1), 0.01);
    }

    @Test
    void nanIsSkippedAndInfinitiesRankAtTheEnds() {
        EnergySketch sketch = new EnergySketch(1_000);
        sketch.addAll(new double[] {1, 2, 3, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY});
        assertEquals(5, sketch.records());
        EnergyPercentiles p = sketch.percentiles().orElseThrow();
        assertEquals(0.2, p.percentile(-Float.MAX_VALUE), 1e-9, "-infinity is kept as the lowest float");
        assertEquals(0.8, p.percentile(3), 1e-9);
        assertEquals(1.0, p.percentile(Double.POSITIVE_INFINITY));
    }

    @Test
    void aRestoredSketchRanksAsBeforeAndGoesOnWithTheNewWindowSize() throws IOException {
        SplittableRandom random = new SplittableRandom(4);
        EnergySketch sketch = new EnergySketch(30_000);
        for (int i = 0; i < 45_000; i++) {
            sketch.add(lognormal(random));
        }
        EnergySketch restored = EnergySketch.fromBytes(sketch.toBytes(), 30_000);
        assertEquals(sketch.records(), restored.records());
        assertEquals(sketch.percentiles(), restored.percentiles());
        EnergySketch smaller = EnergySketch.fromBytes(sketch.toBytes(), 10_000);
        smaller.add(1);
        assertEquals(15_001, smaller.records(), "the current window (15,000 + 1) is over the new size: it rotated at"
                + " once, and the older one of 30,000 was dropped");

        EnergySketch fresh = EnergySketch.fromBytes(new EnergySketch(5).toBytes(), 5);
        assertTrue(fresh.percentiles().isEmpty());
        byte[] bytes = sketch.toBytes();
        assertThrows(IOException.class, () -> EnergySketch.fromBytes(java.util.Arrays.copyOf(bytes, 40), 10));
        bytes[0] = 9;
        assertThrows(IOException.class, () -> EnergySketch.fromBytes(bytes, 10));
    }
}
