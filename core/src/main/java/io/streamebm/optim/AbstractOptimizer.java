package io.streamebm.optim;

import io.streamebm.autograd.Tensor;
import io.streamebm.internal.HostArrays;
import io.streamebm.internal.Nd4jRuntime;
import io.streamebm.schedules.Schedule;
import io.streamebm.telemetry.LossDiagnostics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The machinery shared by {@link SGD}, {@link Adam} and {@link AdamW}: learning rate and schedule,
 * the update count, per-parameter state buffers, the atomic two-phase update and state export.
 *
 * <p>A subclass names its per-parameter buffers ({@link #slotNames()}) and writes one update rule
 * ({@link #update}) over plain Java arrays. The update runs in double precision; for FLOAT
 * parameters the buffers are rounded to float after every step, so the state is exactly what a
 * FLOAT array holds and exports without loss.
 *
 * <p>State keys: {@code "step"} (LONG scalar), {@code "learningRate"} (DOUBLE scalar, the
 * constant rate; ignored on import while a schedule is set) and {@code "<slot>.<i>"} for slot
 * {@code slot} of parameter {@code i}, shaped and typed like the parameter.
 */
public abstract class AbstractOptimizer implements Optimizer {

    static {
        Nd4jRuntime.ensureConfigured();
    }

    /** State key of the update count. */
    public static final String KEY_STEP = "step";
    /** State key of the constant learning rate. */
    public static final String KEY_LEARNING_RATE = "learningRate";

    private final List<Tensor> params;
    private final String[] slots;
    private final double[][][] state;      // [slot][param][element]
    private final double[][][] nextState;  // written by update(), swapped in on commit
    private final double[][] values;       // scratch: new parameter values
    private final double[][] grads;        // scratch: gradients
    private final boolean[] updated;
    private double learningRate;
    private Schedule schedule;
    private long stepCount;
    private double parameterNorm;

    /**
     * @param parameters   the leaves to update; each appears once
     * @param learningRate the constant learning rate, positive
     */
    protected AbstractOptimizer(List<Tensor> parameters, double learningRate) {
        Objects.requireNonNull(parameters, "parameters");
        IdentityHashMap<Tensor, Boolean> seen = new IdentityHashMap<>();
        for (Tensor p : parameters) {
            Objects.requireNonNull(p, "parameter");
            if (!p.isLeaf() || !p.requiresGrad()) {
                throw new IllegalArgumentException("optimizers update trainable leaves (Tensor.parameter), got " + p);
            }
            if (seen.put(p, Boolean.TRUE) != null) {
                throw new IllegalArgumentException("parameter " + p + " is listed twice");
            }
        }
        this.params = Collections.unmodifiableList(new ArrayList<>(parameters));
        this.slots = slotNames().clone();
        int n = params.size();
        this.state = new double[slots.length][n][];
        this.nextState = new double[slots.length][n][];
        this.values = new double[n][];
        this.grads = new double[n][];
        this.updated = new boolean[n];
        double sq = 0;
        for (int i = 0; i < n; i++) {
            int len = Math.toIntExact(params.get(i).value().length());
            values[i] = new double[len];
            grads[i] = new double[len];
            for (int s = 0; s < slots.length; s++) {
                state[s][i] = new double[len];
                nextState[s][i] = new double[len];
            }
            HostArrays.read(params.get(i).value(), values[i]);
            for (double v : values[i]) {
                sq += v * v;
            }
        }
        this.parameterNorm = Math.sqrt(sq);
        setLearningRate(learningRate);
    }

    /** Names of the per-parameter buffers, such as {@code exp_avg}; fixed for the class. */
    protected abstract String[] slotNames();

    /**
     * One update of one parameter, in place on {@code value}.
     *
     * @param value   the current parameter (C order); overwrite it with the new value
     * @param grad    its gradient (may be overwritten)
     * @param state   the buffers before this step, one per slot (read only)
     * @param next    where to write the buffers after this step, one per slot
     * @param lr      the learning rate of this step
     * @param t       the 1-based number of this update
     */
    protected abstract void update(double[] value, double[] grad, double[][] state, double[][] next,
            double lr, long t);

    @Override
    public final List<Tensor> parameters() {
        return params;
    }

    @Override
    public final void zeroGrad() {
        for (Tensor p : params) {
            p.zeroGrad();
        }
    }

    @Override
    public final double learningRate() {
        return schedule != null ? schedule.valueAt(stepCount) : learningRate;
    }

    @Override
    public final void setLearningRate(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
        }
        this.learningRate = lr;
        this.schedule = null;
    }

    @Override
    public final void setSchedule(Schedule schedule) {
        this.schedule = Objects.requireNonNull(schedule, "schedule");
    }

    @Override
    public final long stepCount() {
        return stepCount;
    }

    @Override
    public final double parameterNorm() {
        return parameterNorm;
    }

    @Override
    public final void step() {
        double lr = learningRate();
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalStateException("the learning-rate schedule gave " + lr + " at step " + stepCount);
        }
        long t = stepCount + 1;
        int n = params.size();
        double[][] cur = new double[slots.length][];
        double[][] next = new double[slots.length][];
        double sq = 0;
        // Phase 1: compute everything into scratch; nothing visible changes yet.
        for (int i = 0; i < n; i++) {
            Tensor p = params.get(i);
            Tensor g = p.grad();
            updated[i] = g != null;
            if (g == null) {
                HostArrays.read(p.value(), values[i]);
                sq += sumSquares(values[i]);
                continue;
            }
            if (g.value().length() != values[i].length) {
                throw new IllegalStateException("gradient of parameter " + i + " has shape "
                        + Arrays.toString(g.shape()) + " but the parameter has " + Arrays.toString(p.shape()));
            }
            HostArrays.read(p.value(), values[i]);
            HostArrays.read(g.value(), grads[i]);
            int bad = firstNonFinite(grads[i]);
            if (bad >= 0) {
                throw new NonFiniteUpdateException("gradient of parameter " + i + " " + Arrays.toString(p.shape())
                        + " is " + grads[i][bad] + " at element " + bad + "; no parameter was changed",
                        NonFiniteUpdateException.Cause.GRADIENT, LossDiagnostics.NONE, Double.NaN, Double.NaN);
            }
            for (int s = 0; s < slots.length; s++) {
                cur[s] = state[s][i];
                next[s] = nextState[s][i];
            }
            update(values[i], grads[i], cur, next, lr, t);
            boolean f32 = p.dataType() == DataType.FLOAT;
            for (int s = 0; s < slots.length; s++) {
                bad = roundAndFindNonFinite(next[s], f32);
                if (bad >= 0) {
                    throw new NonFiniteUpdateException("optimizer state '" + slots[s] + "' of parameter " + i
                            + " would become " + next[s][bad] + "; no parameter was changed",
                            NonFiniteUpdateException.Cause.UPDATE, LossDiagnostics.NONE, Double.NaN, Double.NaN);
                }
            }
            bad = roundAndFindNonFinite(values[i], f32);
            if (bad >= 0) {
                throw new NonFiniteUpdateException("parameter " + i + " " + Arrays.toString(p.shape())
                        + " would become " + values[i][bad] + " at element " + bad + "; no parameter was changed",
                        NonFiniteUpdateException.Cause.UPDATE, LossDiagnostics.NONE, Double.NaN, Double.NaN);
            }
            sq += sumSquares(values[i]);
        }
        // Phase 2: commit.
        for (int i = 0; i < n; i++) {
            if (!updated[i]) {
                continue;
            }
            HostArrays.write(params.get(i).value(), values[i]);
            for (int s = 0; s < slots.length; s++) {
                double[] tmp = state[s][i];
                state[s][i] = nextState[s][i];
                nextState[s][i] = tmp;
            }
        }
        stepCount = t;
        parameterNorm = Math.sqrt(sq);
    }

    private static double sumSquares(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v * v;
        }
        return s;
    }

    private static int firstNonFinite(double[] a) {
        for (int i = 0; i < a.length; i++) {
            if (!Double.isFinite(a[i])) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public Map<String, INDArray> exportState() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(KEY_STEP, Nd4j.scalar(DataType.LONG, stepCount));
        out.put(KEY_LEARNING_RATE, Nd4j.scalar(DataType.DOUBLE, learningRate));
        for (int s = 0; s < slots.length; s++) {
            for (int i = 0; i < params.size(); i++) {
                INDArray p = params.get(i).value();
                out.put(slots[s] + "." + i, HostArrays.create(state[s][i], p.dataType(), p.shape()));
            }
        }
        return out;
    }

    @Override
    public void importState(Map<String, INDArray> in) {
        Objects.requireNonNull(in, "state");
        // Validate everything before touching anything, so a bad state leaves this optimizer intact.
        INDArray step = require(in, KEY_STEP, new long[0]);
        INDArray lr = require(in, KEY_LEARNING_RATE, new long[0]);
        long newStep = step.getLong(0);
        double newLr = lr.getDouble(0);
        if (newStep < 0) {
            throw new IllegalArgumentException("state '" + KEY_STEP + "' is negative: " + newStep);
        }
        if (!(newLr >= 0) || Double.isInfinite(newLr)) {
            throw new IllegalArgumentException("state '" + KEY_LEARNING_RATE + "' is invalid: " + newLr);
        }
        double[][][] loaded = new double[slots.length][params.size()][];
        for (int s = 0; s < slots.length; s++) {
            for (int i = 0; i < params.size(); i++) {
                String key = slots[s] + "." + i;
                INDArray a = require(in, key, params.get(i).shape());
                loaded[s][i] = HostArrays.toDoubles(a);
                if (firstNonFinite(loaded[s][i]) >= 0) {
                    throw new IllegalArgumentException("state '" + key + "' holds a non-finite value");
                }
            }
        }
        for (int s = 0; s < slots.length; s++) {
            for (int i = 0; i < params.size(); i++) {
                System.arraycopy(loaded[s][i], 0, state[s][i], 0, loaded[s][i].length);
            }
        }
        stepCount = newStep;
        learningRate = newLr;
        double sq = 0;
        for (int i = 0; i < params.size(); i++) {
            HostArrays.read(params.get(i).value(), values[i]);
            sq += sumSquares(values[i]);
        }
        parameterNorm = Math.sqrt(sq);
    }

    private static INDArray require(Map<String, INDArray> in, String key, long[] shape) {
        INDArray a = in.get(key);
        if (a == null) {
            throw new IllegalArgumentException("optimizer state lacks '" + key + "' (has " + in.keySet() + ")");
        }
        if (a.length() != lengthOf(shape) || (shape.length > 0 && !Arrays.equals(a.shape(), shape))) {
            throw new IllegalArgumentException("optimizer state '" + key + "' has shape " + Arrays.toString(a.shape())
                    + " but " + Arrays.toString(shape) + " was expected");
        }
        return a;
    }

    private static long lengthOf(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    /**
     * Rounds every value to the nearest float when {@code toFloat} (so that Java-side state equals
     * what a FLOAT array holds) and returns the index of the first non-finite value, or −1: one
     * pass instead of two.
     */
    private static int roundAndFindNonFinite(double[] values, boolean toFloat) {
        int bad = -1;
        for (int i = 0; i < values.length; i++) {
            double v = toFloat ? (float) values[i] : values[i];
            values[i] = v;
            if (bad < 0 && !Double.isFinite(v)) {
                bad = i;
            }
        }
        return bad;
    }
}
