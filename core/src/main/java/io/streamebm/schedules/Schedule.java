package io.streamebm.schedules;

/**
 * A value that changes with the step count: a sampler's step size or noise scale, an optimizer's
 * learning rate. Contract: {@link #valueAt(long)} is a pure function of the 0-based step, so a
 * restarted run that knows its step count continues the same schedule.
 */
@FunctionalInterface
public interface Schedule {

    /** The value at 0-based step {@code step}. */
    double valueAt(long step);
}
