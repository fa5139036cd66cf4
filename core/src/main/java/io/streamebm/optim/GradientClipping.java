package io.streamebm.optim;

import io.streamebm.autograd.Tensor;
import io.streamebm.internal.HostArrays;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradient clipping, applied in place to the {@link Tensor#grad()} arrays between
 * {@code backward()} and {@code optimizer.step()}, like {@code torch.nn.utils.clip_grad_norm_} and
 * {@code clip_grad_value_}.
 *
 * <p>{@link #clip(List)} always returns the global L2 norm of the gradients <em>before</em>
 * clipping, which is what trainers publish as {@code ebm_grad_norm}. If that norm is not finite
 * nothing is modified: the caller (see {@link TrainingStep}) refuses the update instead of
 * clipping a NaN into a plausible-looking gradient.
 *
 * <p>Two parameters may end up sharing one gradient array (autograd may hand the same array to
 * both operands of an addition). Both count in the norm, but the array is clipped once: clipping
 * it twice in place would scale it twice.
 */
public final class GradientClipping {

    private enum Kind { NONE, NORM, VALUE }

    private static final GradientClipping NONE = new GradientClipping(Kind.NONE, Double.POSITIVE_INFINITY);

    private final Kind kind;
    private final double limit;

    private GradientClipping(Kind kind, double limit) {
        this.kind = kind;
        this.limit = limit;
    }

    /** No clipping; {@link #clip} only measures the norm. */
    public static GradientClipping none() {
        return NONE;
    }

    /** Rescales all gradients together so that their global L2 norm is at most {@code maxNorm}. */
    public static GradientClipping byGlobalNorm(double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("maxNorm must be > 0, got " + maxNorm);
        }
        return new GradientClipping(Kind.NORM, maxNorm);
    }

    /** Clamps every gradient element to [−clipValue, clipValue]. */
    public static GradientClipping byValue(double clipValue) {
        if (!(clipValue > 0)) {
            throw new IllegalArgumentException("clipValue must be > 0, got " + clipValue);
        }
        return new GradientClipping(Kind.VALUE, clipValue);
    }

    /**
     * Clips the gradients of {@code parameters} in place (those without a gradient are skipped).
     *
     * @return the global L2 norm before clipping; NaN or infinite when some element is, in which
     *         case nothing was modified
     */
    public double clip(List<Tensor> parameters) {
        if (kind == Kind.NONE) {
            // Only the norm: no copies kept, no sharing to track.
            double sq = 0;
            for (Tensor p : parameters) {
                if (p.grad() != null) {
                    sq += HostArrays.sumOfSquares(p.grad().value());
                }
            }
            return Math.sqrt(sq);
        }
        // Each parameter counts in the norm, but an array shared by two parameters is clipped once.
        List<INDArray> arrays = new ArrayList<>(parameters.size());
        List<double[]> data = new ArrayList<>(parameters.size());
        Map<String, Integer> index = new HashMap<>();
        double sq = 0;
        for (Tensor p : parameters) {
            Tensor g = p.grad();
            if (g == null) {
                continue;
            }
            INDArray a = g.value();
            String key = a.data().address() + ":" + a.offset() + ":" + a.length();
            Integer k = index.get(key);
            double[] d;
            if (k == null) {
                d = HostArrays.toDoubles(a);
                index.put(key, arrays.size());
                arrays.add(a);
                data.add(d);
            } else {
                d = data.get(k);
            }
            for (double v : d) {
                sq += v * v;
            }
        }
        double norm = Math.sqrt(sq);
        if (!Double.isFinite(norm)) {
            return norm;
        }
        if (kind == Kind.NORM) {
            // Same rule and epsilon as torch.nn.utils.clip_grad_norm_.
            double coef = limit / (norm + 1e-6);
            if (coef < 1) {
                for (int k = 0; k < arrays.size(); k++) {
                    double[] d = data.get(k);
                    for (int j = 0; j < d.length; j++) {
                        d[j] *= coef;
                    }
                    HostArrays.write(arrays.get(k), d);
                }
            }
        } else {
            for (int k = 0; k < arrays.size(); k++) {
                double[] d = data.get(k);
                boolean changed = false;
                for (int j = 0; j < d.length; j++) {
                    if (d[j] > limit) {
                        d[j] = limit;
                        changed = true;
                    } else if (d[j] < -limit) {
                        d[j] = -limit;
                        changed = true;
                    }
                }
                if (changed) {
                    HostArrays.write(arrays.get(k), d);
                }
            }
        }
        return norm;
    }

    /** The global L2 norm of the gradients of {@code parameters}, without modifying them. */
    public static double globalNorm(List<Tensor> parameters) {
        return NONE.clip(parameters);
    }

    @Override
    public String toString() {
        switch (kind) {
            case NORM: return "GradientClipping.byGlobalNorm(" + limit + ")";
            case VALUE: return "GradientClipping.byValue(" + limit + ")";
            default: return "GradientClipping.none()";
        }
    }
}
