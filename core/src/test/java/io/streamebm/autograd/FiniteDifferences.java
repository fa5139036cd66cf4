package io.streamebm.autograd;

import java.util.List;
import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Parameter gradients against central finite differences, for the gradient-check tests. */
public final class FiniteDifferences {

    /**
     * The worst element found.
     *
     * @param error |fd − analytic| / max(1e-3, |fd| + |analytic|)
     * @param where which element, and both values
     */
    public record Worst(double error, String where) {
    }

    private FiniteDifferences() {
    }

    /**
     * Compares {@code analytic.get(k)} with (f(θ + ε) − f(θ − ε)) / 2ε of {@code value}, element by
     * element of every parameter, perturbing each in place and restoring it.
     *
     * @param names what to call parameter k in the report
     */
    public static Worst worst(List<Tensor> params, List<INDArray> analytic, List<String> names, DoubleSupplier value,
            double eps) {
        double worst = 0;
        String where = "";
        for (int k = 0; k < params.size(); k++) {
            INDArray v = params.get(k).value();
            INDArray g = analytic.get(k);
            for (long i = 0; i < v.length(); i++) {
                double orig = v.getDouble(i);
                v.putScalar(i, orig + eps);
                double up = value.getAsDouble();
                v.putScalar(i, orig - eps);
                double down = value.getAsDouble();
                v.putScalar(i, orig);
                double fd = (up - down) / (2 * eps);
                double an = g.getDouble(i);
                double err = Math.abs(fd - an) / Math.max(1e-3, Math.abs(fd) + Math.abs(an));
                if (err > worst) {
                    worst = err;
                    where = names.get(k) + "[" + i + "] analytic " + an + " vs finite difference " + fd;
                }
            }
        }
        return new Worst(worst, where);
    }
}
