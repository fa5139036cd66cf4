package io.streamebm.pipeline.train;

import io.streamebm.losses.ProbeEnergies;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.function.Function;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The level {@link DriftWatch} subtracts from each arriving energy: the mean energy of about
 * {@value #RECENT_RECORDS} recent training records under the model of the current update.
 *
 * <p><b>How, without measuring them again.</b> The recent records' energies are known, each under
 * the model of its own update (the pre-update energies the trainer has anyway). Since then the
 * model has moved, and a learning model moves all its energies together. That common movement is
 * read off a small fixed probe of {@value #PROBE_ROWS} earlier records, measured before every
 * update: a batch's mean energy then, plus the probe's mean now minus the probe's mean then, is the
 * batch's mean energy now, up to how differently the probe and the batch moved in the few updates
 * between. The probe's own sampling error cancels in the difference.
 *
 * <p><b>What did not work</b> (bench/RESULTS.md): the recent energies without the correction
 * (a false drift at record 30,834 while the model still moved fast), and the probe's mean alone as
 * the level (16 false drifts in two million stationary records: over many updates the model's
 * shape changes, and 64 rows do not move as the whole stream does); a probe of 16 rows (false
 * drifts of 0.26 and 0.47 through the broker); the probe measured every fourth update and
 * extrapolated between (false drifts of 0.35–0.45: one update can move the energies that much).
 * Measuring the 1,024 recent records again under the current model works, at the price of a
 * forward pass four times a micro-batch's.
 *
 * <p><b>Cost.</b> When the learner offers {@link ProbeEnergies} (pcd, cd), the probe rides in the
 * update's own energy pass with weight zero, and costs its rows' share of that pass; otherwise a
 * forward pass of its own before each update measures it, most of whose cost is ND4J's fixed cost
 * per operation (bench/RESULTS.md, "Calibration and drift").
 *
 * <p>The probe and the recent records are drawn from the stream after each {@link #reset} (a
 * (re)start, a drift), so they stand for the stream the detector compares against. Not
 * thread-safe: the trainer thread owns it.
 */
final class DriftLevel {

    /** Rows of the fixed probe. */
    static final int PROBE_ROWS = 64;
    /** Records whose mean energy is the level (whole batches, the oldest dropped while this many remain). */
    static final int RECENT_RECORDS = 1024;

    /** One recent batch: its energies' sum and count, and the probe's mean under the same model. */
    private record Batch(double energySum, int count, double probeMean) {
    }

    private final Function<INDArray, INDArray> energies;
    private final Optional<ProbeEnergies> riding;
    private final Deque<Batch> recent = new ArrayDeque<>();
    private int recentCount;
    private INDArray probe;
    private double probeNow = Double.NaN;

    /**
     * @param energies the model's energies of some rows, under the current model ({@code [n]})
     * @param riding   the update's own pass measuring the probe, when the learner offers it
     */
    DriftLevel(Function<INDArray, INDArray> energies, Optional<ProbeEnergies> riding) {
        this.energies = energies;
        this.riding = riding;
    }

    /**
     * Before an update: measures the probe under the model the update starts from, unless the
     * update will ({@link #updateMade}).
     */
    void beforeUpdate() {
        boolean full = probe != null && probe.rows() == PROBE_ROWS;
        probeNow = full && riding.isEmpty() ? energies.apply(probe).meanNumber().doubleValue() : Double.NaN;
    }

    /** The update returned: a probe that rode in its pass was measured under the model it started from. */
    void updateMade() {
        if (riding.isPresent() && probe != null && probe.rows() == PROBE_ROWS) {
            double[] measured = riding.get().lastProbe();
            probeNow = measured.length == PROBE_ROWS ? mean(measured) : Double.NaN;
        }
    }

    private static double mean(double[] v) {
        double sum = 0;
        for (double x : v) {
            sum += x;
        }
        return sum / v.length;
    }

    /**
     * The level under the model of the current update, from the batches before this one; NaN until
     * the probe and a first batch are there.
     */
    double level() {
        if (Double.isNaN(probeNow) || recent.isEmpty()) {
            return Double.NaN;
        }
        double sum = 0;
        for (Batch b : recent) {
            sum += b.energySum() + b.count() * (probeNow - b.probeMean());
        }
        return sum / recentCount;
    }

    /**
     * After the current batch was observed: it joins the recent records, and the probe takes rows
     * of it until full.
     *
     * @param batch         the batch
     * @param batchEnergies its energies under the model of the current update
     */
    void add(INDArray batch, double[] batchEnergies) {
        if (!Double.isNaN(probeNow)) {
            double sum = 0;
            int count = 0;
            for (double e : batchEnergies) {
                if (Double.isFinite(e)) {
                    sum += e;
                    count++;
                }
            }
            if (count > 0) {
                recent.addLast(new Batch(sum, count, probeNow));
                recentCount += count;
                while (recentCount - recent.peekFirst().count() >= RECENT_RECORDS) {
                    recentCount -= recent.removeFirst().count();
                }
            }
        }
        int have = probe == null ? 0 : (int) probe.rows();
        int take = (int) Math.min(PROBE_ROWS - have, batch.rows());
        if (take > 0) {
            INDArray rows = batch.get(NDArrayIndex.interval(0, take), NDArrayIndex.all()).dup();
            probe = probe == null ? rows : Nd4j.vstack(probe, rows);
            if (probe.rows() == PROBE_ROWS) {
                riding.ifPresent(r -> r.probe(probe));
            }
        }
    }

    /** Forgets the probe and the recent records: the next batches stand for the stream. */
    void reset() {
        recent.clear();
        recentCount = 0;
        probe = null;
        probeNow = Double.NaN;
        riding.ifPresent(r -> r.probe(null));
    }
}
