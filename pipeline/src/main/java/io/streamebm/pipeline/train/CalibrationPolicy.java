package io.streamebm.pipeline.train;

import io.streamebm.pipeline.calibration.EnergyPercentiles;
import io.streamebm.pipeline.calibration.EnergySketch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;

/**
 * The trainer's calibration: the energies of the records it trains on, each measured under the
 * model before the update that learns from it, kept in an {@link EnergySketch} of the recent
 * windows. Every snapshot carries the sketch's {@link #percentiles()}, so that {@code score} ranks a
 * record among energies of the same model's time.
 *
 * <p>Why pre-update energies: they are what a scorer sees, a model meeting records it has not
 * trained on. Most losses measure them anyway and hand them over ({@link Learner#batchEnergies}):
 * then every micro-batch is measured, at the cost of the sketch alone, and the windows hold the
 * newest records. Otherwise (dsm, cd with data noise) the trainer asks the learner for a batch's
 * energies ({@link Learner#energies}), a forward pass of its own: every micro-batch when the drift
 * watch needs them anyway (and shares them), otherwise one in {@code calibration.every-batches}.
 *
 * <p>The sketch goes into every checkpoint as the section {@value #SECTION} and comes back on
 * restart: a restarted trainer ranks against what it saw before instead of starting empty. Not
 * thread-safe: the trainer thread owns it.
 */
final class CalibrationPolicy {

    /** Name of the checkpoint section holding the sketch. */
    static final String SECTION = "trainer.calibration";

    private final long windowRecords;
    private final int everyBatches;
    private EnergySketch sketch;

    /**
     * @param windowRecords measured records per calibration window ({@code calibration.window-records})
     * @param everyBatches  measure one micro-batch in this many when nothing else needs the energies
     *                      ({@code calibration.every-batches})
     */
    CalibrationPolicy(long windowRecords, int everyBatches) {
        this.windowRecords = windowRecords;
        this.everyBatches = everyBatches;
        this.sketch = new EnergySketch(windowRecords);
    }

    /**
     * Whether the micro-batch after {@code step} updates should be measured for the calibration
     * alone, when the loss does not hand its energies over. The measurement is then a forward pass,
     * about 15 % of a DSM step; one batch in {@code everyBatches} (25 by default) keeps the
     * calibration under 1 % of training, and fixed by the step, so the same seed measures the same
     * batches.
     */
    boolean wants(long step) {
        return step % everyBatches == 0;
    }

    /** Adds the pre-update energies of one micro-batch. */
    void observe(double[] energies) {
        sketch.addAll(energies);
    }

    /** The rank function of the recent energies, empty before the first micro-batch. */
    Optional<EnergyPercentiles> percentiles() {
        return sketch.percentiles();
    }

    /**
     * The trainer (re)started: the sketch of the checkpoint's section, or an empty one on a fresh
     * start or after a checkpoint written before calibration existed.
     *
     * @throws UncheckedIOException when the section is there but unreadable (its digest was
     *                              right, so it is not a torn write but a bug worth stopping for)
     */
    void restored(Map<String, byte[]> sections) {
        byte[] bytes = sections.get(SECTION);
        if (bytes == null) {
            sketch = new EnergySketch(windowRecords);
            return;
        }
        try {
            sketch = EnergySketch.fromBytes(bytes, windowRecords);
        } catch (IOException e) {
            throw new UncheckedIOException("the checkpoint's calibration section is unreadable", e);
        }
    }

    /** The checkpoint sections of this policy. */
    Map<String, byte[]> exportSections() {
        return Map.of(SECTION, sketch.toBytes());
    }
}
