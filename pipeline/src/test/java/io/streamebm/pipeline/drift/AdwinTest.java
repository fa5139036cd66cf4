package io.streamebm.pipeline.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.datasets.Datasets;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** ADWIN on energies from a fixed model, and on plain Gaussian values with known shifts; fixed seeds. */
class AdwinTest {

    private static final double DELTA = 0.002;
    private static final long WINDOW = 100_000;

    /** The index of the first value that completes a drift, or -1; {@code found[0]} receives it. */
    private static long firstDrift(DriftDetector d, double[] values, Drift[] found) {
        for (int i = 0; i < values.length; i++) {
            Optional<Drift> drift = d.add(values[i]);
            if (drift.isPresent()) {
                found[0] = drift.get();
                return i;
            }
        }
        return -1;
    }

    @Test
    void aSwitchFromEightGaussiansToCheckerboardIsFlaggedWithinAThousandRecords() {
        for (long seed = 1; seed <= 5; seed++) {
            int before = 200_000;
            double[] values = new double[before + 20_000];
            System.arraycopy(FixedModel.energies(Datasets.eightGaussians(2.0, 0.1, seed), before), 0, values, 0, before);
            System.arraycopy(FixedModel.energies(Datasets.checkerboard(4.0, seed), 20_000), 0, values, before, 20_000);
            Drift[] drift = new Drift[1];
            long at = firstDrift(new Adwin(DELTA, WINDOW), values, drift);
            System.out.println("seed " + seed + ": flagged " + (at - before) + " records after the switch: " + drift[0]);
            assertTrue(at >= before, "seed " + seed + ": a drift before the switch, at " + at);
            assertTrue(at - before < 1_000, "seed " + seed + ": flagged " + (at - before) + " records after the switch");
            assertTrue(drift[0].change() > 5, "the mean energy rose by about 8.7: " + drift[0]);
        }
    }

    @Test
    void twoMillionStationaryEnergiesRaiseNoDrift() {
        DriftDetector d = new Adwin(DELTA, WINDOW);
        var stream = Datasets.eightGaussians(2.0, 0.1, 7);
        long maxWindow = 0;
        for (int i = 0; i < 2_000_000; i++) {
            Optional<Drift> drift = d.add(FixedModel.energy(stream.next()));
            assertTrue(drift.isEmpty(), "a false drift at record " + i + ": " + drift);
            maxWindow = Math.max(maxWindow, d.window());
        }
        assertTrue(maxWindow <= WINDOW && maxWindow > WINDOW - 70_000, "window " + maxWindow);
    }

    @Test
    void twoMillionStationaryGaussianValuesRaiseNoDrift() {
        DriftDetector d = new Adwin(DELTA, WINDOW);
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 2_000_000; i++) {
            Optional<Drift> drift = d.add(random.nextDouble() + random.nextDouble() + random.nextDouble());
            assertTrue(drift.isEmpty(), "a false drift at record " + i + ": " + drift);
        }
    }

    @Test
    void theDelayGrowsAsTheShiftShrinksAndTheMeansAreMeasured() {
        long previous = 0;
        for (double shift : new double[] {2, 1, 0.5, 0.25}) {
            SplittableRandom random = new SplittableRandom(3);
            double[] values = new double[120_000];
            for (int i = 0; i < values.length; i++) {
                values[i] = gaussian(random) + (i >= 100_000 ? shift : 0);
            }
            Drift[] drift = new Drift[1];
            long delay = firstDrift(new Adwin(DELTA, WINDOW), values, drift) - 100_000;
            System.out.println("shift " + shift + " sd: flagged after " + delay + " records: " + drift[0]);
            assertTrue(delay >= 0 && delay > previous, "shift " + shift + ": delay " + delay);
            assertEquals(0, drift[0].meanBefore(), 0.05, "mean before");
            assertTrue(drift[0].recordsBefore() > 50_000, drift[0].toString());
            previous = delay;
        }
    }

    @Test
    void theAnswerDoesNotDependOnTheScaleOrZeroOfTheValues() {
        SplittableRandom random = new SplittableRandom(5);
        double[] values = new double[60_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = gaussian(random) + (i >= 50_000 ? 0.5 : 0);
        }
        double[] moved = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            moved[i] = 1e4 + 250 * values[i];
        }
        Drift[] a = new Drift[1];
        Drift[] b = new Drift[1];
        assertEquals(firstDrift(new Adwin(DELTA, WINDOW), values, a), firstDrift(new Adwin(DELTA, WINDOW), moved, b));
        assertEquals(a[0].recordsBefore(), b[0].recordsBefore());
        assertEquals(250 * a[0].change(), b[0].change(), 1e-6 * Math.abs(b[0].change()));
    }

    @Test
    void afterADriftTheWindowHoldsOnlyTheNewValuesAndNonFiniteOnesAreSkipped() {
        Adwin d = new Adwin(DELTA, WINDOW);
        SplittableRandom random = new SplittableRandom(9);
        Drift drift = null;
        for (int i = 0; i < 30_000 && drift == null; i++) {
            d.add(Double.NaN);
            d.add(Double.POSITIVE_INFINITY);
            drift = d.add(gaussian(random) + (i >= 20_000 ? 3 : 0)).orElse(null);
        }
        assertTrue(drift != null, "the shift of 3 sd was flagged");
        assertEquals(20_000, drift.recordsBefore() + drift.recordsAfter(), 64, drift.toString());
        assertTrue(drift.recordsAfter() < 200 && d.window() == drift.recordsAfter(), drift + ", window " + d.window());
        assertEquals(3, drift.change(), 0.5, drift.toString());
    }

    @Test
    void refusesParametersOutsideTheirRange() {
        assertThrows(IllegalArgumentException.class, () -> new Adwin(0, WINDOW));
        assertThrows(IllegalArgumentException.class, () -> new Adwin(1, WINDOW));
        assertThrows(IllegalArgumentException.class, () -> new Adwin(DELTA, 63));
        assertEquals("adwin(delta=0.002, max-window=100000)", new Adwin(DELTA, WINDOW).describe());
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
