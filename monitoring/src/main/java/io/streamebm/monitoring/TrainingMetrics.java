package io.streamebm.monitoring;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.streamebm.telemetry.LossDiagnostics;
import io.streamebm.telemetry.StepRecord;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

/**
 * The training meters of one model: everything an operator needs to tell within a minute whether
 * a model is learning, diverging, stalled or falling behind its topic.
 *
 * <p>The trainer calls the {@code on…} methods; this class only observes and never influences
 * training. All methods are thread-safe and cheap (an atomic update, no allocation on the step
 * path except for the timers' internals), so the single-writer trainer thread can call them inline.
 * Calls made before {@link #bindTo(MeterRegistry)} are not lost: the state lives here, and the
 * registered meters read it (counters and gauges) or are fed from it (timers, from the first bind on).
 *
 * <p>Prometheus names (with the Prometheus registry's naming convention), all tagged {@code model} and
 * {@code loss}:
 * <ul>
 *   <li>{@code ebm_train_steps_total}, {@code ebm_train_rollbacks_total}</li>
 *   <li>{@code ebm_records_consumed_total}, {@code ebm_records_rejected_total{reason}},
 *       {@code ebm_records_dead_lettered_total{reason}}</li>
 *   <li>gauges {@code ebm_train_loss}, {@code ebm_energy_positive}, {@code ebm_energy_negative},
 *       {@code ebm_energy_gap}, {@code ebm_grad_norm}, {@code ebm_param_norm},
 *       {@code ebm_sampler_acceptance_rate}, {@code ebm_chain_energy_mean}, {@code ebm_model_version}</li>
 *   <li>timers {@code ebm_train_step_seconds} (a histogram, for step-time quantiles),
 *       {@code ebm_train_sampling_seconds}, {@code ebm_checkpoint_seconds}</li>
 *   <li>{@code ebm_checkpoints_total}, {@code ebm_divergences_total{reaction}}</li>
 *   <li>gauge {@code ebm_model_mmd}, the latest model-quality measurement</li>
 * </ul>
 *
 * <p>Every series exists from the first scrape on, at zero (counters) or NaN (gauges with no
 * measurement yet): a panel or alert on a series that appears only with its first increment shows
 * "No data" on a healthy run and cannot tell "nothing happened" from "not scraped". The labelled
 * counters get their label values from the caller, which knows the closed sets
 * ({@link #declareRecordReasons}, {@link #declareDivergenceReactions}); monitoring does not depend
 * on the modules that define them. Full reference: {@code docs/METRICS.md}.
 *
 * <p>Base units are declared where the contract name already carries them (seconds, steps,
 * checkpoints, divergences, rollbacks). The record counters and the dimensionless gauges declare none on
 * purpose: the Prometheus naming convention appends the base unit to the name, which would turn
 * the documented {@code ebm_records_consumed_total} into {@code ebm_records_consumed_records_total}.
 *
 * <p>Why one file of about 450 lines: it is the binder of every training meter, so that
 * {@code docs/METRICS.md} has one source and every series is registered (at 0 or NaN) in one place
 * before the first scrape; each meter is a few lines of registration and one line of update.
 */
public final class TrainingMetrics implements MeterBinder {

    /** Tag key naming the model being trained; also a common tag of {@link MonitoringRegistry}. */
    public static final String TAG_MODEL = "model";
    /** Tag key naming the loss the model is trained with; also a common tag of {@link MonitoringRegistry}. */
    public static final String TAG_LOSS = "loss";
    /** Label value used once {@link #MAX_DISTINCT_LABELS} distinct reasons or reactions were seen. */
    public static final String OTHER = "other";
    /**
     * Upper bound on distinct {@code reason}/{@code reaction} label values per meter. Reasons come
     * from exception messages upstream; without a bound, one bad producer could create a series per
     * record and take Prometheus down with it.
     */
    public static final int MAX_DISTINCT_LABELS = 32;

    /**
     * Step-time histogram buckets. Explicit, not Micrometer's percentile histogram: a dozen
     * buckets cover a 2-D toy model (sub-millisecond) up to a large MLP with long chains (seconds)
     * at a fraction of the series count, and the quantiles come from {@code histogram_quantile}.
     */
    private static final Duration[] STEP_BUCKETS = {
            Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2),
            Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10)};

    private final String model;
    private final String loss;
    private final Tags tags;
    private final LongSupplier nanoClock;

    private final AtomicLong stepsApplied = new AtomicLong();
    private final AtomicLong stepsRolledBack = new AtomicLong();
    private final AtomicLong recordsConsumed = new AtomicLong();
    private final AtomicLong checkpoints = new AtomicLong();
    private final AtomicLong checkpointFailures = new AtomicLong();
    private volatile boolean checkpointFailing;
    private final Map<String, AtomicLong> rejected = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> deadLettered = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> divergences = new ConcurrentHashMap<>();

    // Latest values; NaN until the first step says otherwise, so a fresh trainer shows "no data"
    // rather than a misleading zero loss.
    private volatile double lossValue = Double.NaN;
    private volatile double energyPositive = Double.NaN;
    private volatile double energyNegative = Double.NaN;
    private volatile double energyGap = Double.NaN;
    private volatile double gradNorm = Double.NaN;
    private volatile double paramNorm = Double.NaN;
    private volatile double acceptanceRate = Double.NaN;
    private volatile double chainEnergyMean = Double.NaN;
    private volatile double modelVersion = Double.NaN;
    // NaN, not 0, before the first measurement: 0 would read as a perfect model, and NaN makes
    // every comparison in an alert false, so an unmeasured model neither fires nor looks healthy.
    private volatile double modelMmd = Double.NaN;
    private volatile long lastAppliedStepNanos;
    private volatile boolean anyAppliedStep;

    // One entry per registry bound; timers cannot read external state, so they are fed directly.
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
    private final List<Timer> stepTimers = new CopyOnWriteArrayList<>();
    private final List<Timer> samplingTimers = new CopyOnWriteArrayList<>();
    private final List<Timer> checkpointTimers = new CopyOnWriteArrayList<>();
    private final Object registrationLock = new Object();

    /**
     * Creates the meters of one model.
     *
     * @param model model name, the value of tag {@code model} (for example the snapshot key)
     * @param loss  loss name, the value of tag {@code loss} (for example {@code "pcd"})
     */
    public TrainingMetrics(String model, String loss) {
        this(model, loss, System::nanoTime);
    }

    /** Visible for tests: a controllable monotonic clock for the time of the last step. */
    TrainingMetrics(String model, String loss, LongSupplier nanoClock) {
        this.model = MeterLabels.require(model, "model");
        this.loss = MeterLabels.require(loss, "loss");
        this.tags = Tags.of(TAG_MODEL, this.model, TAG_LOSS, this.loss);
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /** @return the value of tag {@code model} */
    public String model() {
        return model;
    }

    /** @return the value of tag {@code loss} */
    public String loss() {
        return loss;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        synchronized (registrationLock) {
            counter(registry, "ebm.train.steps", "steps", "Training updates applied to the model", stepsApplied);
            counter(registry, "ebm.train.rollbacks", "rollbacks",
                    "Training updates refused (non-finite or out of bounds) and rolled back", stepsRolledBack);
            counter(registry, "ebm.records.consumed", null,
                    "Records read from the input topic (valid or not)", recordsConsumed);
            counter(registry, "ebm.checkpoints", "checkpoints", "Checkpoints written durably", checkpoints);
            counter(registry, "ebm.checkpoint.failures", null,
                    "Checkpoint attempts that failed; nothing newer is committed until one succeeds", checkpointFailures);

            gauge(registry, "ebm.train.loss", "Loss of the latest training update", m -> m.lossValue);
            gauge(registry, "ebm.energy.positive", "Mean energy of the latest data batch (E+)", m -> m.energyPositive);
            gauge(registry, "ebm.energy.negative",
                    "Mean energy of the latest model samples (E-); NaN when the loss draws none", m -> m.energyNegative);
            gauge(registry, "ebm.energy.gap",
                    "E+ minus E- of the latest update; a healthy contrastive run oscillates around zero",
                    m -> m.energyGap);
            gauge(registry, "ebm.grad.norm", "Global L2 norm of the parameter gradient before clipping",
                    m -> m.gradNorm);
            gauge(registry, "ebm.param.norm", "Global L2 norm of the parameters after the latest update",
                    m -> m.paramNorm);
            gauge(registry, "ebm.sampler.acceptance.rate",
                    "Metropolis acceptance rate of the sampler in [0, 1]; NaN without one", m -> m.acceptanceRate);
            gauge(registry, "ebm.chain.energy.mean",
                    "Mean energy of the persistent chains; NaN without persistent chains", m -> m.chainEnergyMean);
            gauge(registry, "ebm.model.version", "Version of the latest published model snapshot",
                    m -> m.modelVersion);
            gauge(registry, "ebm.model.mmd",
                    "Latest maximum mean discrepancy between recent input and the model's samples; lower is better,"
                            + " NaN before the first measurement", m -> m.modelMmd);

            stepTimers.add(Timer.builder("ebm.train.step")
                    .description("Wall time of one training update (sampling, loss, backward, optimizer)")
                    .tags(tags)
                    .serviceLevelObjectives(STEP_BUCKETS)
                    .register(registry));
            samplingTimers.add(Timer.builder("ebm.train.sampling")
                    .description("Part of a training update spent drawing negative samples")
                    .tags(tags)
                    .register(registry));
            checkpointTimers.add(Timer.builder("ebm.checkpoint")
                    .description("Wall time to write one checkpoint durably")
                    .tags(tags)
                    .register(registry));

            // Labelled counters seen before this bind (or on another registry) appear here too.
            rejected.forEach((reason, n) -> registerRejected(registry, reason, n));
            deadLettered.forEach((reason, n) -> registerDeadLettered(registry, reason, n));
            divergences.forEach((reaction, n) -> registerDivergence(registry, reaction, n));
            registries.add(registry);
        }
    }

    /**
     * Records one training update. Every field of the step updates its meter; the gauges show the
     * latest update whatever its outcome, because the loss of a rolled-back step is exactly what
     * an operator investigating a divergence wants to see.
     *
     * @param step what the update did
     */
    public void onStep(StepRecord step) {
        Objects.requireNonNull(step, "step");
        LossDiagnostics d = step.diagnostics();
        lossValue = step.loss();
        energyPositive = d.energyPositive();
        energyNegative = d.energyNegative();
        energyGap = d.energyGap();
        gradNorm = step.gradNorm();
        paramNorm = step.paramNorm();
        acceptanceRate = d.acceptanceRate();
        chainEnergyMean = d.chainEnergyMean();
        for (Timer t : stepTimers) {
            t.record(step.stepDuration());
        }
        for (Timer t : samplingTimers) {
            t.record(step.samplingDuration());
        }
        if (step.outcome() == StepRecord.Outcome.APPLIED) {
            stepsApplied.incrementAndGet();
            // Only applied updates count as progress for readiness: a trainer that rolls back every
            // batch is busy but not learning.
            lastAppliedStepNanos = nanoClock.getAsLong();
            anyAppliedStep = true;
        } else {
            stepsRolledBack.incrementAndGet();
        }
    }

    /**
     * Counts records read from the input topic, valid or not (so that rejected and dead-lettered
     * records can be expressed as a fraction of it).
     *
     * @param n number of records, at least 0
     */
    public void onRecordsConsumed(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        recordsConsumed.addAndGet(n);
    }

    /**
     * Counts one record refused by decoding or validation.
     *
     * @param reason short, low-cardinality reason such as {@code "malformed_json"} or {@code "wrong_dimension"}
     */
    public void onRecordRejected(String reason) {
        labelled(rejected, reason, this::registerRejected).incrementAndGet();
    }

    /**
     * Counts one record written to the dead-letter topic.
     *
     * @param reason the reason also written in the record's {@code ebm.error} header (low cardinality)
     */
    public void onRecordDeadLettered(String reason) {
        labelled(deadLettered, reason, this::registerDeadLettered).incrementAndGet();
    }

    /**
     * Counts one durable checkpoint and how long writing it took.
     *
     * @param took wall time of the checkpoint write, including the fsync and rename
     */
    public void onCheckpoint(Duration took) {
        Objects.requireNonNull(took, "took");
        checkpoints.incrementAndGet();
        checkpointFailing = false;
        for (Timer t : checkpointTimers) {
            t.record(took);
        }
    }

    /** A checkpoint attempt failed; the trainer retries it. Readiness fails until one succeeds. */
    public void onCheckpointFailed() {
        checkpointFailures.incrementAndGet();
        checkpointFailing = true;
    }

    /** @return whether the latest checkpoint attempt failed */
    public boolean checkpointFailing() {
        return checkpointFailing;
    }

    /**
     * Sets the version of the latest published model snapshot.
     *
     * @param version the snapshot version, monotonically increasing
     */
    public void onModelVersion(long version) {
        modelVersion = version;
    }

    /**
     * Sets the latest model-quality measurement: the maximum mean discrepancy between recent input
     * records and samples of the model (its persistent chains). Near 0 when the model's samples
     * look like the data; an unbiased MMD² estimate may dip slightly below 0, so any finite value
     * is shown as given. Its healthy level depends on the data, which is why the alert on it
     * compares it with its own history rather than with a fixed bound (docs/METRICS.md).
     *
     * @param mmd the measurement; NaN means "not measured" and is shown as such
     */
    public void onModelQuality(double mmd) {
        modelMmd = mmd;
    }

    /**
     * Creates the {@code ebm_records_rejected_total} and {@code ebm_records_dead_lettered_total}
     * series of every given reason at zero, so that panels and alerts on them have data before the
     * first bad record. Call it once at start-up with the closed set of reasons the decoder can
     * report; values count against {@link #MAX_DISTINCT_LABELS} like any other. Idempotent.
     *
     * @param reasons machine reasons, as later passed to {@link #onRecordRejected} and
     *                {@link #onRecordDeadLettered}
     */
    public void declareRecordReasons(Iterable<String> reasons) {
        Objects.requireNonNull(reasons, "reasons");
        for (String reason : reasons) {
            labelled(rejected, reason, this::registerRejected);
            labelled(deadLettered, reason, this::registerDeadLettered);
        }
    }

    /**
     * Creates the {@code ebm_divergences_total} series of every given reaction at zero, so that
     * the divergence panels and alert have data (zero) on a run that never diverged. Idempotent.
     *
     * @param reactions reactions, as later passed to {@link #onDivergence}
     */
    public void declareDivergenceReactions(Iterable<String> reactions) {
        Objects.requireNonNull(reactions, "reactions");
        for (String reaction : reactions) {
            labelled(divergences, reaction, this::registerDivergence);
        }
    }

    /**
     * Counts one detected divergence and the reaction taken.
     *
     * @param reaction what the trainer did about it after rolling back, such as {@code "lower-lr"} or {@code "reinit-chains"}
     */
    public void onDivergence(String reaction) {
        labelled(divergences, reaction, this::registerDivergence).incrementAndGet();
    }

    /** @return the number of updates applied so far */
    public long stepsApplied() {
        return stepsApplied.get();
    }

    /**
     * The time of the latest applied update, on the {@link System#nanoTime()} scale, for readiness.
     *
     * @return the time of the latest applied update, empty before the first one
     */
    public OptionalLong lastAppliedStepNanos() {
        return anyAppliedStep ? OptionalLong.of(lastAppliedStepNanos) : OptionalLong.empty();
    }

    private AtomicLong labelled(Map<String, AtomicLong> counters, String label,
                                RegisterLabelled register) {
        String value = MeterLabels.require(label, "label");
        AtomicLong existing = counters.get(value);
        if (existing != null) {
            return existing;
        }
        synchronized (registrationLock) {
            existing = counters.get(value);
            if (existing != null) {
                return existing;
            }
            if (counters.size() >= MAX_DISTINCT_LABELS) {
                value = OTHER;
                existing = counters.get(OTHER);
                if (existing != null) {
                    return existing;
                }
            }
            AtomicLong created = new AtomicLong();
            counters.put(value, created);
            for (MeterRegistry registry : registries) {
                register.register(registry, value, created);
            }
            return created;
        }
    }

    @FunctionalInterface
    private interface RegisterLabelled {
        void register(MeterRegistry registry, String label, AtomicLong count);
    }

    private void registerRejected(MeterRegistry registry, String reason, AtomicLong n) {
        FunctionCounter.builder("ebm.records.rejected", n, AtomicLong::doubleValue)
                .description("Records refused by decoding or validation, by reason")
                .tags(tags).tag("reason", reason)
                .register(registry);
    }

    private void registerDeadLettered(MeterRegistry registry, String reason, AtomicLong n) {
        FunctionCounter.builder("ebm.records.dead.lettered", n, AtomicLong::doubleValue)
                .description("Records written to the dead-letter topic, by reason")
                .tags(tags).tag("reason", reason)
                .register(registry);
    }

    private void registerDivergence(MeterRegistry registry, String reaction, AtomicLong n) {
        FunctionCounter.builder("ebm.divergences", n, AtomicLong::doubleValue)
                .description("Divergences detected in training, by the reaction taken")
                .baseUnit("divergences")
                .tags(tags).tag("reaction", reaction)
                .register(registry);
    }

    private void counter(MeterRegistry registry, String name, String baseUnit, String description, AtomicLong n) {
        FunctionCounter.builder(name, n, AtomicLong::doubleValue)
                .description(description)
                .baseUnit(baseUnit)
                .tags(tags)
                .register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String description,
                       ToDoubleFunction<TrainingMetrics> value) {
        // Strong reference: a gauge holds its object weakly by default and would silently turn
        // into NaN if the trainer dropped its reference to this binder.
        Gauge.builder(name, this, value)
                .description(description)
                .tags(tags)
                .strongReference(true)
                .register(registry);
    }
}
