package io.streamebm.pipeline.train;

import io.streamebm.pipeline.drift.DriftOptions;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * How the online trainer batches, checkpoints and guards. Immutable; build with {@link #builder()}.
 *
 * @param maxBatchSize          largest micro-batch (default 256)
 * @param maxWait               longest wait to fill a micro-batch (default 200 ms)
 * @param checkpointEverySteps  steps between checkpoints (default 100)
 * @param checkpointInterval    longest time between checkpoints while there is anything new to save (default 30 s)
 * @param snapshotEverySteps    steps between model snapshots (default 50)
 * @param goodStateEverySteps   updates between copies of the last good state for rollbacks (default 10)
 * @param energyBound           a mean energy beyond ±this rolls the model back (default 1e4)
 * @param reaction              what follows a rollback (default {@link Reaction#BOTH})
 * @param learningRateFactor    factor applied by {@link Reaction#LOWER_LR} (default 0.5)
 * @param learningRateRecoverySteps applied updates without a rollback after which a lowered learning
 *                              rate returns to the configured one (default 200)
 * @param freshStart            ignore existing checkpoints (default false)
 * @param calibrationWindowRecords records per window of the energies snapshots are calibrated with
 *                              ({@link CalibrationPolicy}; default 20,000, as {@code calibration.window-records})
 * @param calibrationEveryBatches when the loss does not hand over its energies and without a drift watch,
 *                              the calibration measures one micro-batch in this many (default 25, as
 *                              {@code calibration.every-batches}): that forward pass costs about 15 % of
 *                              a DSM step, so one in 25 keeps it under 1 %
 * @param drift                 drift detection and reaction ({@link DriftWatch}); empty: none (the default)
 */
public record TrainerOptions(int maxBatchSize, Duration maxWait, int checkpointEverySteps, Duration checkpointInterval,
        int snapshotEverySteps, int goodStateEverySteps, double energyBound, Reaction reaction,
        double learningRateFactor, int learningRateRecoverySteps, boolean freshStart, long calibrationWindowRecords,
        int calibrationEveryBatches, Optional<DriftOptions> drift) {

    /**
     * What the trainer does after rolling back a diverged update (setting
     * {@code divergence.reaction}: {@code lower-lr}, {@code reinit-chains}, {@code both}, {@code none}).
     */
    public enum Reaction {
        /** Multiply the learning rate by the configured factor. */
        LOWER_LR,
        /** Restart the persistent chains. */
        REINIT_CHAINS,
        /** Both of the above. */
        BOTH,
        /** Only roll back. */
        NONE;

        /**
         * The name as configured and as reported to listeners and metrics ({@code lower-lr}, ...):
         * one spelling, so the series created at start-up are the ones later incremented. The
         * same rule as {@code Choices.nameOf}, which parses the setting.
         */
        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** Validates every field. */
    public TrainerOptions {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("maxBatchSize must be >= 1, got " + maxBatchSize);
        }
        requirePositive("maxWait", maxWait);
        if (checkpointEverySteps < 1) {
            throw new IllegalArgumentException("checkpointEverySteps must be >= 1, got " + checkpointEverySteps);
        }
        requirePositive("checkpointInterval", checkpointInterval);
        if (snapshotEverySteps < 1) {
            throw new IllegalArgumentException("snapshotEverySteps must be >= 1, got " + snapshotEverySteps);
        }
        if (goodStateEverySteps < 1) {
            throw new IllegalArgumentException("goodStateEverySteps must be >= 1, got " + goodStateEverySteps);
        }
        if (!(energyBound > 0)) {
            throw new IllegalArgumentException("energyBound must be > 0, got " + energyBound);
        }
        Objects.requireNonNull(reaction, "reaction");
        if (!(learningRateFactor > 0 && learningRateFactor < 1)) {
            throw new IllegalArgumentException("learningRateFactor must be in (0, 1), got " + learningRateFactor);
        }
        if (learningRateRecoverySteps < 1) {
            throw new IllegalArgumentException("learningRateRecoverySteps must be >= 1, got " + learningRateRecoverySteps);
        }
        if (calibrationWindowRecords < 1) {
            throw new IllegalArgumentException("calibrationWindowRecords must be >= 1, got " + calibrationWindowRecords);
        }
        if (calibrationEveryBatches < 1) {
            throw new IllegalArgumentException("calibrationEveryBatches must be >= 1, got " + calibrationEveryBatches);
        }
        Objects.requireNonNull(drift, "drift");
    }

    private static void requirePositive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
        }
    }

    /** A builder with the documented defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link TrainerOptions}; every setter has the default documented on the record. */
    public static final class Builder {
        private int maxBatchSize = 256;
        private Duration maxWait = Duration.ofMillis(200);
        private int checkpointEverySteps = 100;
        private Duration checkpointInterval = Duration.ofSeconds(30);
        private int snapshotEverySteps = 50;
        private int goodStateEverySteps = 10;
        private double energyBound = 1e4;
        private Reaction reaction = Reaction.BOTH;
        private double learningRateFactor = 0.5;
        private int learningRateRecoverySteps = 200;
        private boolean freshStart;
        private long calibrationWindowRecords = 20_000;
        private int calibrationEveryBatches = 25;
        private Optional<DriftOptions> drift = Optional.empty();

        private Builder() {
        }

        /** @see TrainerOptions#maxBatchSize() */
        public Builder maxBatchSize(int v) {
            maxBatchSize = v;
            return this;
        }

        /** @see TrainerOptions#maxWait() */
        public Builder maxWait(Duration v) {
            maxWait = v;
            return this;
        }

        /** @see TrainerOptions#checkpointEverySteps() */
        public Builder checkpointEverySteps(int v) {
            checkpointEverySteps = v;
            return this;
        }

        /** @see TrainerOptions#checkpointInterval() */
        public Builder checkpointInterval(Duration v) {
            checkpointInterval = v;
            return this;
        }

        /** @see TrainerOptions#snapshotEverySteps() */
        public Builder snapshotEverySteps(int v) {
            snapshotEverySteps = v;
            return this;
        }

        /** @see TrainerOptions#goodStateEverySteps() */
        public Builder goodStateEverySteps(int v) {
            goodStateEverySteps = v;
            return this;
        }

        /** @see TrainerOptions#energyBound() */
        public Builder energyBound(double v) {
            energyBound = v;
            return this;
        }

        /** @see TrainerOptions#reaction() */
        public Builder reaction(Reaction v) {
            reaction = v;
            return this;
        }

        /** @see TrainerOptions#learningRateFactor() */
        public Builder learningRateFactor(double v) {
            learningRateFactor = v;
            return this;
        }

        /** @see TrainerOptions#learningRateRecoverySteps() */
        public Builder learningRateRecoverySteps(int v) {
            learningRateRecoverySteps = v;
            return this;
        }

        /** @see TrainerOptions#freshStart() */
        public Builder freshStart(boolean v) {
            freshStart = v;
            return this;
        }

        /** @see TrainerOptions#calibrationWindowRecords() */
        public Builder calibrationWindowRecords(long v) {
            calibrationWindowRecords = v;
            return this;
        }

        /** @see TrainerOptions#calibrationEveryBatches() */
        public Builder calibrationEveryBatches(int v) {
            calibrationEveryBatches = v;
            return this;
        }

        /** @see TrainerOptions#drift() */
        public Builder drift(DriftOptions v) {
            drift = Optional.of(v);
            return this;
        }

        /** Validates and builds. */
        public TrainerOptions build() {
            return new TrainerOptions(maxBatchSize, maxWait, checkpointEverySteps, checkpointInterval,
                    snapshotEverySteps, goodStateEverySteps, energyBound, reaction, learningRateFactor, learningRateRecoverySteps, freshStart,
                    calibrationWindowRecords, calibrationEveryBatches, drift);
        }
    }
}
