package io.streamebm.monitoring;

import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Decides liveness and readiness from the broker probe and the training meters.
 *
 * <p>Ready means: the broker is reachable AND training makes progress, that is an update was
 * applied within the stall timeout, or none yet but the trainer is still within its start-up grace
 * period, AND the latest checkpoint attempt did not fail. Live is always true while this code runs: restarting a trainer does not fix a broker
 * outage or an idle topic, so neither must make an orchestrator kill the process (that would also
 * throw away the persistent chains that a checkpoint does not yet hold).
 */
public final class TrainingHealth implements Supplier<HealthStatus> {

    private final TrainingMetrics training;
    private final Supplier<BrokerStatus> broker;
    private final Duration stallTimeout;
    private final Duration startupGrace;
    private final LongSupplier nanoClock;
    private final long startedAtNanos;

    /**
     * Creates the health check; the start-up grace period starts now.
     *
     * @param training     the meters of the trainer, for the time of its last applied update
     * @param broker       the broker status, usually a {@link KafkaBrokerProbe}
     * @param stallTimeout readiness fails when no update was applied for this long
     * @param startupGrace before the first update, how long no progress is tolerated
     */
    public TrainingHealth(TrainingMetrics training, Supplier<BrokerStatus> broker,
                          Duration stallTimeout, Duration startupGrace) {
        this(training, broker, stallTimeout, startupGrace, System::nanoTime);
    }

    /** Visible for tests: the clock must be the one {@code training} uses. */
    TrainingHealth(TrainingMetrics training, Supplier<BrokerStatus> broker,
                   Duration stallTimeout, Duration startupGrace, LongSupplier nanoClock) {
        this.training = Objects.requireNonNull(training, "training");
        this.broker = Objects.requireNonNull(broker, "broker");
        this.stallTimeout = Objects.requireNonNull(stallTimeout, "stallTimeout");
        this.startupGrace = Objects.requireNonNull(startupGrace, "startupGrace");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.startedAtNanos = nanoClock.getAsLong();
    }

    /** @return the health at this instant; cheap and non-blocking */
    @Override
    public HealthStatus get() {
        long now = nanoClock.getAsLong();
        BrokerStatus b = broker.get();
        OptionalLong last = training.lastAppliedStepNanos();
        HealthStatus.Training state;
        double sinceLast;
        if (last.isPresent()) {
            long age = now - last.getAsLong();
            sinceLast = age / 1e9;
            state = age <= stallTimeout.toNanos() ? HealthStatus.Training.PROGRESSING : HealthStatus.Training.STALLED;
        } else {
            sinceLast = Double.NaN;
            state = now - startedAtNanos <= startupGrace.toNanos()
                    ? HealthStatus.Training.STARTING : HealthStatus.Training.STALLED;
        }
        if (training.checkpointFailing()) {
            state = HealthStatus.Training.CHECKPOINT_FAILING;
        }
        boolean ready = b.reachable() && state != HealthStatus.Training.STALLED
                && state != HealthStatus.Training.CHECKPOINT_FAILING;
        return new HealthStatus(true, ready, b, state, training.stepsApplied(), sinceLast,
                (now - startedAtNanos) / 1e9);
    }
}
