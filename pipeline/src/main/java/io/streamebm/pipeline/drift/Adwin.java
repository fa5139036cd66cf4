package io.streamebm.pipeline.drift;

import java.util.Locale;
import java.util.Optional;

/**
 * ADWIN, adaptive windowing (Bifet and Gavaldà, "Learning from time-changing data with adaptive
 * windowing", SDM 2007): keeps a window of the latest values and drops its older part as soon as
 * the means of the two parts differ by more than chance allows, which is a change.
 *
 * <p><b>Why ADWIN.</b> It needs no idea of the size of the change or of the scale of the values
 * (an energy-based model's energies have none), it bounds its false alarms by {@code delta}, and
 * it adapts its own window: short after a change, long while the stream is stable. Page-Hinkley
 * needs a change magnitude and a threshold in the units of the values, which move as the model
 * trains.
 *
 * <p><b>The test.</b> For a split of the window W (n values, variance σ², range R) into an older
 * part W0 and a newer part W1, with m = 1 / (1/n0 + 1/n1) and δ' = δ / n, a change is declared
 * when |μ0 − μ1| &gt; sqrt(2 σ² ln(2/δ') / m) + 2 R ln(2/δ') / (3 m), the Bernstein form of the
 * paper's bound. The paper assumes values in [0, 1]; energies have no bounds, so the observed range
 * of the window stands in for the width of that interval, which keeps the test scale-free: it gives
 * the same answer for energies shifted or scaled by any constant. Both parts need at least
 * {@value #MIN_PART} values, so a handful of outliers cannot make a change.
 *
 * <p><b>Cost.</b> The window is an exponential histogram: at most {@value #PER_LEVEL} buckets of
 * 2^i values per level i, each keeping count, sum, variance, minimum and maximum, so W values take
 * O(log W) buckets and an add is O(1) amortised, without allocating. The splits are tested at
 * bucket boundaries every {@value #CHECK_EVERY} values, O(log W) each time: a few nanoseconds per
 * value. The window is capped at {@code maxWindow} values (the oldest buckets go first), which also
 * bounds how small a change can be found: with 100,000 values, about 0.03 standard deviations.
 * That keeps the slow movement of energies under a model that is still learning from counting as
 * drift, and lets a change show against recent values, not against a far past.
 *
 * <p><b>Per record, not per micro-batch.</b> Fed one mean per micro-batch, the detector would cost
 * nothing per record, but batch means are not alike: {@code batch.max-wait} closes batches of any
 * size, and the spread of a mean depends on it, which the test above cannot know. Per record it
 * costs a few nanoseconds, well under the 2% of a training step that calibration and detection
 * may take together, and the delay is counted in records.
 *
 * <p><b>Delay</b> (delta 0.002, window 100,000, after 100,000 stationary values; {@code AdwinTest},
 * {@code DriftDelayHarness}): a switch from eight-Gaussians to checkerboard energies under a fixed
 * model, about 9 standard deviations, is found 31 records after it; Gaussian shifts of 2, 1, 0.5,
 * 0.25 and 0.1 standard deviations after about 95, 190, 480, 1,400 and 5,600 records. 2,000,000
 * stationary values (energies of a fixed model, sums of uniforms, Gaussians) raised no drift.
 */
public final class Adwin implements DriftDetector {

    /** Buckets per level before the two oldest merge into the next level (the paper's M). */
    static final int PER_LEVEL = 5;
    /** Values between two tests of the splits (the clock of MOA's ADWIN). */
    static final int CHECK_EVERY = 32;
    /** Fewest values on either side of a split. */
    static final int MIN_PART = 32;

    private static final int LEVELS = 64;
    private static final int SLOTS = PER_LEVEL + 1;

    private final double delta;
    private final long maxWindow;

    // Per level, a ring of buckets from oldest to newest; a bucket of level i holds 2^i values.
    private final double[][] sum = new double[LEVELS][SLOTS];
    private final double[][] m2 = new double[LEVELS][SLOTS];
    private final double[][] min = new double[LEVELS][SLOTS];
    private final double[][] max = new double[LEVELS][SLOTS];
    private final int[] first = new int[LEVELS];
    private final int[] count = new int[LEVELS];
    private int levels;
    private long width;
    private int sinceCheck;

    /**
     * @param delta     confidence: the bound on the probability of a false alarm at a test, in (0, 1)
     * @param maxWindow the most values the window keeps, at least {@code 2 * MIN_PART}
     */
    public Adwin(double delta, long maxWindow) {
        if (!(delta > 0 && delta < 1)) {
            throw new IllegalArgumentException("delta must be in (0, 1), got " + delta);
        }
        if (maxWindow < 2 * MIN_PART) {
            throw new IllegalArgumentException("maxWindow must be >= " + 2 * MIN_PART + ", got " + maxWindow);
        }
        this.delta = delta;
        this.maxWindow = maxWindow;
    }

    /** Non-finite values are skipped: they have no mean. */
    @Override
    public Optional<Drift> add(double value) {
        if (!Double.isFinite(value)) {
            return Optional.empty();
        }
        push(value);
        while (width > maxWindow) {
            dropOldest();
        }
        if (++sinceCheck < CHECK_EVERY) {
            return Optional.empty();
        }
        sinceCheck = 0;
        return check();
    }

    @Override
    public long window() {
        return width;
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "adwin(delta=%s, max-window=%d)", delta, maxWindow);
    }

    /** Adds a one-value bucket at level 0, then merges upwards wherever a level overflows. */
    private void push(double value) {
        int slot = (first[0] + count[0]) % SLOTS;
        sum[0][slot] = value;
        m2[0][slot] = 0;
        min[0][slot] = value;
        max[0][slot] = value;
        count[0]++;
        width++;
        levels = Math.max(levels, 1);
        for (int level = 0; count[level] > PER_LEVEL; level++) {
            int a = first[level];
            int b = (a + 1) % SLOTS;
            double n = 1L << level;
            double d = sum[level][a] / n - sum[level][b] / n;
            int up = level + 1;
            int target = (first[up] + count[up]) % SLOTS;
            sum[up][target] = sum[level][a] + sum[level][b];
            m2[up][target] = m2[level][a] + m2[level][b] + d * d * n / 2;
            min[up][target] = Math.min(min[level][a], min[level][b]);
            max[up][target] = Math.max(max[level][a], max[level][b]);
            count[up]++;
            first[level] = (a + 2) % SLOTS;
            count[level] -= 2;
            levels = Math.max(levels, up + 1);
        }
    }

    /** Removes the oldest bucket: the first of the highest level. */
    private void dropOldest() {
        int level = levels - 1;
        width -= 1L << level;
        first[level] = (first[level] + 1) % SLOTS;
        count[level]--;
        while (levels > 0 && count[levels - 1] == 0) {
            levels--;
        }
    }

    /**
     * Tests every split. When some show a change, the window is cut at the one that shows it most
     * clearly (the largest ratio of the difference of the means to its bound, which peaks at the
     * change point), and the means of the two sides are reported: the paper instead drops the
     * oldest buckets until no split shows a change, which leaves values from before the change in
     * the window and understates its size.
     */
    private Optional<Drift> check() {
        if (width < 2 * MIN_PART) {
            return Optional.empty();
        }
        int cut = bestCut();
        if (cut == 0) {
            return Optional.empty();
        }
        long droppedRecords = 0;
        double droppedSum = 0;
        for (int i = 0; i < cut; i++) {
            int level = levels - 1;
            droppedSum += sum[level][first[level]];
            droppedRecords += 1L << level;
            dropOldest();
        }
        double keptSum = 0;
        for (int level = 0; level < levels; level++) {
            for (int j = 0; j < count[level]; j++) {
                keptSum += sum[level][(first[level] + j) % SLOTS];
            }
        }
        return Optional.of(new Drift(droppedSum / droppedRecords, keptSum / width, droppedRecords, width));
    }

    /**
     * The number of oldest buckets before the split that passes the test of the class comment by
     * the widest margin, or 0 when none passes.
     */
    private int bestCut() {
        // Totals of the whole window: count, sum, range, and the sum of squared deviations, merged
        // bucket by bucket around the oldest bucket's mean c (for precision when the values sit far
        // from zero): M2 = sum of (m2 + size (mean_b - c)^2) - n (mean - c)^2.
        int top = levels - 1;
        double c = sum[top][first[top]] / (1L << top);
        double n = 0;
        double total = 0;
        double spread = 0;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int level = top; level >= 0; level--) {
            double size = 1L << level;
            double inverseSize = 1 / size;
            for (int j = 0; j < count[level]; j++) {
                int slot = (first[level] + j) % SLOTS;
                double d = sum[level][slot] * inverseSize - c;
                spread += m2[level][slot] + size * d * d;
                total += sum[level][slot];
                n += size;
                lo = Math.min(lo, min[level][slot]);
                hi = Math.max(hi, max[level][slot]);
            }
        }
        double range = hi - lo;
        if (range <= 0) {
            return 0;
        }
        double shift = total / n - c;
        double variance = Math.max(0, spread - n * shift * shift) / n;
        double log = Math.log(2 * n / delta);
        // The bound is sqrt(a / m) + b / m with 1 / m = n / (n0 n1). Multiplied through by n0 n1, a
        // split passes when |num| > b n and (|num| - b n)^2 > a n n0 n1, where num = sum0 n1 - sum1 n0:
        // no division and no square root per split, which is most of the cost of a check. The
        // ratios that pick the best split are computed only for splits that pass.
        double a = 2 * variance * log;
        double b = 2 * range * log / 3;
        double n0 = 0;
        double sum0 = 0;
        int buckets = 0;
        int best = 0;
        double bestRatio = 1;
        // Splits from the oldest end: W0 = the buckets so far, W1 = the rest.
        for (int level = top; level >= 0; level--) {
            double size = 1L << level;
            for (int j = 0; j < count[level]; j++) {
                n0 += size;
                sum0 += sum[level][(first[level] + j) % SLOTS];
                buckets++;
                double n1 = n - n0;
                if (n1 < MIN_PART) {
                    return best;
                }
                if (n0 < MIN_PART) {
                    continue;
                }
                double num = Math.abs(sum0 * n1 - (total - sum0) * n0);
                double excess = num - b * n;
                double product = n0 * n1;
                if (excess > 0 && excess * excess > a * n * product) {
                    double ratio = (num / product) / (Math.sqrt(a * n / product) + b * n / product);
                    if (ratio > bestRatio) {
                        bestRatio = ratio;
                        best = buckets;
                    }
                }
            }
        }
        return best;
    }
}
