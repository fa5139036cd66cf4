package io.streamebm.monitoring;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The drift meters of one model: has the input stream changed, and how long ago. The trainer
 * calls {@link #onDrift()} each time its drift detector finds a change in the energies of the
 * arriving records.
 *
 * <p>Prometheus names, tagged {@code model} and {@code loss} like the training meters:
 * <ul>
 *   <li>{@code ebm_drift_events_total}: drifts detected</li>
 *   <li>{@code ebm_time_since_last_drift_seconds}: seconds since the latest one, NaN before any</li>
 * </ul>
 * Both exist from the first scrape on (at 0 and NaN), as every StreamEBM series does, so that the
 * drift panel and the {@code EbmDriftDetected} rule find them on a run that has never drifted. The
 * gauge is NaN rather than the time since start: "never" is not "long ago", and NaN makes every
 * comparison in a rule false. It is computed when scraped, from a monotonic clock, so it keeps
 * rising between drifts without the trainer doing anything.
 *
 * <p>A binder of its own, not part of {@link TrainingMetrics}: drift is about the stream, not about
 * the training updates. Thread-safe; {@link #onDrift()} is an atomic update.
 */
public final class DriftMetrics implements MeterBinder {

    private final Tags tags;
    private final LongSupplier nanoClock;
    private final AtomicLong drifts = new AtomicLong();
    private volatile long lastDriftNanos;
    private volatile boolean anyDrift;

    /**
     * @param model model name, the value of tag {@code model}
     * @param loss  loss name, the value of tag {@code loss}
     */
    public DriftMetrics(String model, String loss) {
        this(model, loss, System::nanoTime);
    }

    /** Visible for tests: a controllable monotonic clock. */
    DriftMetrics(String model, String loss, LongSupplier nanoClock) {
        this.tags = MeterLabels.modelAndLoss(model, loss);
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        FunctionCounter.builder("ebm.drift.events", drifts, AtomicLong::doubleValue)
                .description("Drifts of the input stream found by the drift detector on the energies of arriving records")
                .tags(tags)
                .register(registry);
        // Strong reference: a gauge holds its object weakly by default and would turn into NaN
        // if the trainer dropped its reference to this binder.
        Gauge.builder("ebm.time.since.last.drift", this, DriftMetrics::secondsSinceLastDrift)
                .description("Seconds since the latest drift of the input stream; NaN before the first")
                .baseUnit("seconds")
                .tags(tags)
                .strongReference(true)
                .register(registry);
    }

    /** Counts a drift found now. */
    public void onDrift() {
        lastDriftNanos = nanoClock.getAsLong();
        anyDrift = true;
        drifts.incrementAndGet();
    }

    /** The drifts counted so far. */
    public long drifts() {
        return drifts.get();
    }

    /** Seconds since the latest drift, NaN before the first. */
    public double secondsSinceLastDrift() {
        return anyDrift ? (nanoClock.getAsLong() - lastDriftNanos) / 1e9 : Double.NaN;
    }
}
