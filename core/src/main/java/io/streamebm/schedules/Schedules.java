package io.streamebm.schedules;

import java.util.Arrays;

/**
 * The standard schedules, as immutable, validated values: constant, exponential decay, linear,
 * cosine, multi-step and warm-up. Each is a pure function of the 0-based step, per the
 * {@link Schedule} contract, so a restarted run continues exactly.
 */
public final class Schedules {

    private Schedules() {
    }

    static double finite(double v, String what) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(what + " must be finite, got " + v);
        }
        return v;
    }

    static void checkStep(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
    }

    /** A constant value. */
    public static Schedule constant(double value) {
        return new Constant(value);
    }

    /** start·rate^step, never below {@code min}. */
    public static Schedule exponentialDecay(double start, double rate, double min) {
        return new ExponentialDecay(start, rate, min);
    }

    /** From {@code start} to {@code end} linearly over {@code steps} steps, then {@code end}. */
    public static Schedule linear(double start, double end, long steps) {
        return new Linear(start, end, steps);
    }

    /** From {@code start} to {@code end} along a half cosine over {@code steps} steps, then {@code end}. */
    public static Schedule cosine(double start, double end, long steps) {
        return new Cosine(start, end, steps);
    }

    /** {@code start}, multiplied by {@code gamma} at each milestone step reached. */
    public static Schedule multiStep(double start, double gamma, long... milestones) {
        return new MultiStep(start, gamma, milestones);
    }

    /** A linear ramp into {@code inner} over {@code warmupSteps}, see {@link Warmup}. */
    public static Schedule warmup(Schedule inner, long warmupSteps, double initialFactor) {
        return new Warmup(inner, warmupSteps, initialFactor);
    }

    /**
     * A constant value.
     *
     * @param value the value at every step (finite)
     */
    public record Constant(double value) implements Schedule {
        /** Validates. */
        public Constant {
            finite(value, "value");
        }

        @Override
        public double valueAt(long step) {
            checkStep(step);
            return value;
        }
    }

    /**
     * max(min, start·rate^step), TorchEBM's ExponentialDecayScheduler.
     *
     * @param start value at step 0 (finite)
     * @param rate  decay per step, in (0, 1]
     * @param min   floor (finite; use 0 or −∞ semantics by passing a value below every reachable one)
     */
    public record ExponentialDecay(double start, double rate, double min) implements Schedule {
        /** Validates. */
        public ExponentialDecay {
            finite(start, "start");
            finite(min, "min");
            if (!(rate > 0 && rate <= 1)) {
                throw new IllegalArgumentException("decay rate must be in (0, 1], got " + rate);
            }
        }

        @Override
        public double valueAt(long step) {
            checkStep(step);
            return Math.max(min, start * Math.pow(rate, step));
        }
    }

    /**
     * Linear interpolation from start (step 0) to end (step {@code steps}), constant afterwards.
     *
     * @param start value at step 0
     * @param end   value from step {@code steps} on
     * @param steps length of the ramp, ≥ 1
     */
    public record Linear(double start, double end, long steps) implements Schedule {
        /** Validates. */
        public Linear {
            finite(start, "start");
            finite(end, "end");
            if (steps < 1) {
                throw new IllegalArgumentException("steps must be >= 1, got " + steps);
            }
        }

        @Override
        public double valueAt(long step) {
            checkStep(step);
            if (step >= steps) {
                return end;
            }
            return start + (end - start) * ((double) step / steps);
        }
    }

    /**
     * end + (start − end)·(1 + cos(π·step/steps))/2 for step ≤ steps, then end (cosine annealing).
     *
     * @param start value at step 0
     * @param end   value from step {@code steps} on
     * @param steps length of the annealing, ≥ 1
     */
    public record Cosine(double start, double end, long steps) implements Schedule {
        /** Validates. */
        public Cosine {
            finite(start, "start");
            finite(end, "end");
            if (steps < 1) {
                throw new IllegalArgumentException("steps must be >= 1, got " + steps);
            }
        }

        @Override
        public double valueAt(long step) {
            checkStep(step);
            if (step >= steps) {
                return end;
            }
            return end + (start - end) * 0.5 * (1 + Math.cos(Math.PI * step / steps));
        }
    }

    /**
     * start·gamma^k where k counts the milestones ≤ step.
     *
     * @param start      value before the first milestone
     * @param gamma      factor applied at each milestone (finite, > 0)
     * @param milestones strictly increasing steps ≥ 1
     */
    public record MultiStep(double start, double gamma, long[] milestones) implements Schedule {
        /** Validates and copies the milestones. */
        public MultiStep {
            finite(start, "start");
            if (!(gamma > 0) || !Double.isFinite(gamma)) {
                throw new IllegalArgumentException("gamma must be finite and > 0, got " + gamma);
            }
            milestones = milestones == null ? new long[0] : milestones.clone();
            for (int i = 0; i < milestones.length; i++) {
                if (milestones[i] < 1 || (i > 0 && milestones[i] <= milestones[i - 1])) {
                    throw new IllegalArgumentException("milestones must be strictly increasing and >= 1, got "
                            + Arrays.toString(milestones));
                }
            }
        }

        @Override
        public long[] milestones() {
            return milestones.clone();
        }

        @Override
        public double valueAt(long step) {
            checkStep(step);
            int k = 0;
            while (k < milestones.length && milestones[k] <= step) {
                k++;
            }
            return start * Math.pow(gamma, k);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof MultiStep m && Double.compare(m.start, start) == 0
                    && Double.compare(m.gamma, gamma) == 0 && Arrays.equals(m.milestones, milestones);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(milestones) * 31 + Double.hashCode(start) * 17 + Double.hashCode(gamma);
        }

        @Override
        public String toString() {
            return "MultiStep[start=" + start + ", gamma=" + gamma + ", milestones=" + Arrays.toString(milestones)
                    + "]";
        }
    }

    /**
     * A warm-up in front of another schedule, as TorchEBM's WarmupScheduler: for step &lt; W the value
     * ramps linearly from {@code initialFactor·inner(0)} towards {@code inner(0)}; from step W on it
     * is {@code inner(step − W)}, so the inner schedule starts when the warm-up ends.
     *
     * @param inner         the schedule after warm-up
     * @param warmupSteps   W ≥ 0 (0 disables the warm-up)
     * @param initialFactor fraction of inner(0) at step 0, in [0, 1]
     */
    public record Warmup(Schedule inner, long warmupSteps, double initialFactor) implements Schedule {
        /** Validates. */
        public Warmup {
            if (inner == null) {
                throw new IllegalArgumentException("inner schedule is null");
            }
            if (warmupSteps < 0) {
                throw new IllegalArgumentException("warmupSteps must be >= 0, got " + warmupSteps);
            }
            if (!(initialFactor >= 0 && initialFactor <= 1)) {
                throw new IllegalArgumentException("initialFactor must be in [0, 1], got " + initialFactor);
            }
        }

        @Override
        public double valueAt(long step) {
            checkStep(step);
            if (step >= warmupSteps) {
                return inner.valueAt(step - warmupSteps);
            }
            double f = initialFactor + (1 - initialFactor) * ((double) step / warmupSteps);
            return inner.valueAt(0) * f;
        }
    }
}
