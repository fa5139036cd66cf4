package io.streamebm.bench.pipeline;

import io.streamebm.pipeline.drift.Adwin;
import io.streamebm.pipeline.drift.DriftDetector;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Detection delay against the size of the shift: Gaussian values (standard deviation 1) whose mean
 * moves by {@code shift} after 100,000 records, ADWIN with delta 0.002 and a window of 100,000;
 * the records from the shift to its detection, over ten seeds (median, min, max). Then false alarms
 * over 2,000,000 stationary values, per seed.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar io.streamebm.bench.pipeline.DriftDelayHarness}.
 */
public final class DriftDelayHarness {

    private static final int BEFORE = 100_000;
    private static final int SEEDS = 10;
    private static final long MISSED = -1;
    private static final long EARLY = -2;

    private DriftDelayHarness() {
    }

    /** Prints the table; no arguments. */
    public static void main(String[] args) {
        System.out.println("| shift (sd) | delay median | min | max | missed within 100k | false alarm before |");
        System.out.println("|---|---|---|---|---|---|");
        for (double shift : new double[] {4, 2, 1, 0.5, 0.25, 0.1, 0.05}) {
            long[] delays = new long[SEEDS];
            int missed = 0;
            int early = 0;
            for (int seed = 0; seed < SEEDS; seed++) {
                delays[seed] = delay(shift, seed);
                if (delays[seed] < 0) {
                    missed += delays[seed] == MISSED ? 1 : 0;
                    early += delays[seed] == EARLY ? 1 : 0;
                    delays[seed] = Long.MAX_VALUE;
                }
            }
            Arrays.sort(delays);
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %d | %d |%n", shift, show(delays[SEEDS / 2]),
                    show(delays[0]), show(delays[SEEDS - 1]), missed, early);
        }
        for (int seed = 0; seed < 3; seed++) {
            DriftDetector d = new Adwin(0.002, 100_000);
            SplittableRandom random = new SplittableRandom(1000 + seed);
            int alarms = 0;
            for (int i = 0; i < 2_000_000; i++) {
                if (d.add(gaussian(random)).isPresent()) {
                    alarms++;
                }
            }
            System.out.println("stationary, seed " + (1000 + seed) + ": " + alarms + " false alarms in 2,000,000 records");
        }
    }

    private static String show(long delay) {
        return delay == Long.MAX_VALUE ? "-" : Long.toString(delay);
    }

    /** Records from the shift to its detection; {@link #MISSED} after 100,000, {@link #EARLY} for an alarm before it. */
    private static long delay(double shift, int seed) {
        DriftDetector d = new Adwin(0.002, 100_000);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < BEFORE + 100_000; i++) {
            if (d.add(gaussian(random) + (i >= BEFORE ? shift : 0)).isPresent()) {
                return i >= BEFORE ? i - BEFORE : EARLY;
            }
        }
        return MISSED;
    }

    private static double gaussian(SplittableRandom random) {
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
