package io.streamebm.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.autograd.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Optimizers against independent scalar re-implementations of PyTorch's update rules, exact state
 * export/import, schedules and the atomic non-finite refusal.
 */
class OptimizerTest {

    /** The loss ½Σ a_j θ_j² + Σ b_j θ_j, whose gradient a∘θ + b is set by hand. */
    static final double[] A = {1.0, 2.0, 0.5, 3.0, 0.1, 1.5};
    static final double[] B = {0.3, -0.2, 1.0, 0.0, -1.0, 0.25};
    static final double[] START = {0.5, -1.0, 2.0, 0.1, -0.3, 1.2};

    static List<Tensor> params(DataType type) {
        // Two parameters of different shapes, to exercise the per-parameter bookkeeping.
        Tensor p0 = Tensor.parameter(Nd4j.createFromArray(START[0], START[1], START[2], START[3]).reshape(2, 2)
                .castTo(type));
        Tensor p1 = Tensor.parameter(Nd4j.createFromArray(START[4], START[5]).castTo(type));
        return List.of(p0, p1);
    }

    static double[] flat(List<Tensor> ps) {
        List<Double> out = new ArrayList<>();
        for (Tensor p : ps) {
            for (double v : p.value().dup('c').castTo(DataType.DOUBLE).data().asDouble()) {
                out.add(v);
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Fills the gradients of the quadratic at the current parameters, like backward() would. */
    static void setGrads(List<Tensor> ps) {
        double[] th = flat(ps);
        int k = 0;
        for (Tensor p : ps) {
            double[] g = new double[(int) p.value().length()];
            for (int j = 0; j < g.length; j++, k++) {
                g[j] = A[k] * th[k] + B[k];
            }
            p.zeroGrad();
            INDArray gv = Nd4j.createFromArray(g).reshape(p.shape()).castTo(p.dataType());
            // accumulate through a tiny graph so the grad lands exactly as in training
            p.mul(Tensor.constant(gv)).sum().backward();
        }
    }

    static void run(Optimizer opt, int steps) {
        for (int s = 0; s < steps; s++) {
            opt.zeroGrad();
            setGrads(opt.parameters());
            opt.step();
        }
    }

    /** Scalar PyTorch reference: SGD with momentum/dampening/Nesterov/weight decay. */
    static double[] sgdReference(double lr, double mu, boolean nesterov, double wd, int steps) {
        double[] th = START.clone();
        double[] buf = new double[th.length];
        for (int t = 1; t <= steps; t++) {
            for (int j = 0; j < th.length; j++) {
                double g = A[j] * th[j] + B[j] + wd * th[j];
                if (mu != 0) {
                    buf[j] = t == 1 ? g : mu * buf[j] + g;
                    g = nesterov ? g + mu * buf[j] : buf[j];
                }
                th[j] -= lr * g;
            }
        }
        return th;
    }

    /** Scalar PyTorch reference: Adam / AdamW. */
    static double[] adamReference(double lr, double b1, double b2, double eps, double wd, boolean decoupled,
            int steps) {
        double[] th = START.clone();
        double[] m = new double[th.length];
        double[] v = new double[th.length];
        for (int t = 1; t <= steps; t++) {
            for (int j = 0; j < th.length; j++) {
                double g = A[j] * th[j] + B[j];
                if (decoupled) {
                    th[j] *= 1 - lr * wd;
                } else {
                    g += wd * th[j];
                }
                m[j] = b1 * m[j] + (1 - b1) * g;
                v[j] = b2 * v[j] + (1 - b2) * g * g;
                double mh = m[j] / (1 - Math.pow(b1, t));
                double vh = v[j] / (1 - Math.pow(b2, t));
                th[j] -= lr * mh / (Math.sqrt(vh) + eps);
            }
        }
        return th;
    }

    @Test
    void sgdVariantsMatchPyTorchRule() {
        Object[][] cases = {{0.0, false, 0.0}, {0.9, false, 0.0}, {0.9, true, 0.0}, {0.5, false, 0.01},
            {0.8, true, 0.05}};
        for (Object[] c : cases) {
            double mu = (Double) c[0];
            boolean nest = (Boolean) c[1];
            double wd = (Double) c[2];
            SGD opt = new SGD(params(DataType.DOUBLE), 0.05, mu, nest, wd);
            run(opt, 25);
            assertArrayEquals(sgdReference(0.05, mu, nest, wd, 25), flat(opt.parameters()), 1e-12,
                    "SGD mu=" + mu + " nesterov=" + nest + " wd=" + wd);
        }
    }

    @Test
    void adamAndAdamWMatchPyTorchRule() {
        Adam adam = new Adam(params(DataType.DOUBLE), 0.01, 0.9, 0.999, 1e-8, 0.02);
        run(adam, 40);
        assertArrayEquals(adamReference(0.01, 0.9, 0.999, 1e-8, 0.02, false, 40), flat(adam.parameters()), 1e-12);
        AdamW adamw = new AdamW(params(DataType.DOUBLE), 0.01, 0.0, 0.99, 1e-6, 0.1);
        run(adamw, 40);
        assertArrayEquals(adamReference(0.01, 0.0, 0.99, 1e-6, 0.1, true, 40), flat(adamw.parameters()), 1e-12);
        // AdamW differs from Adam with the same λ: decay is decoupled.
        Adam coupled = new Adam(params(DataType.DOUBLE), 0.01, 0.0, 0.99, 1e-6, 0.1);
        run(coupled, 40);
        assertTrue(Math.abs(flat(coupled.parameters())[2] - flat(adamw.parameters())[2]) > 1e-6);
    }

    @Test
    void float32ParametersTrackTheFloat64Rule() {
        Adam adam = new Adam(params(DataType.FLOAT), 0.01);
        run(adam, 30);
        assertEquals(DataType.FLOAT, adam.parameters().get(0).dataType());
        assertArrayEquals(adamReference(0.01, 0.9, 0.999, 1e-8, 0, false, 30), flat(adam.parameters()), 1e-5);
    }

    @Test
    void optimizersConvergeOnTheQuadratic() {
        double[] opt = new double[A.length];
        for (int j = 0; j < A.length; j++) {
            opt[j] = -B[j] / A[j];
        }
        SGD sgd = new SGD(params(DataType.DOUBLE), 0.1, 0.9, true, 0);
        run(sgd, 600);
        assertArrayEquals(opt, flat(sgd.parameters()), 1e-6);
        Adam adam = new Adam(params(DataType.DOUBLE), 0.05);
        adam.setSchedule(step -> 0.1 / (1 + step / 300.0));
        run(adam, 3000);
        assertArrayEquals(opt, flat(adam.parameters()), 2e-2);
    }

    static List<Function<List<Tensor>, Optimizer>> factories() {
        return List.of(ps -> new SGD(ps, 0.05, 0.9, true, 0.01),
                ps -> new Adam(ps, 0.01, 0.9, 0.999, 1e-8, 0.01),
                ps -> new AdamW(ps, 0.01));
    }

    @ParameterizedTest
    @EnumSource(value = DataTypeCase.class)
    void exportImportContinuesBitForBit(DataTypeCase tc) {
        for (Function<List<Tensor>, Optimizer> f : factories()) {
            Optimizer straight = f.apply(params(tc.type));
            run(straight, 20);

            Optimizer first = f.apply(params(tc.type));
            run(first, 7);
            Map<String, INDArray> state = first.exportState();
            double[] mid = flat(first.parameters());
            assertEquals(7L, state.get(AbstractOptimizer.KEY_STEP).getLong(0));
            for (Map.Entry<String, INDArray> e : state.entrySet()) {
                if (e.getKey().contains(".")) {
                    assertEquals(tc.type, e.getValue().dataType(), e.getKey());
                }
            }
            // A fresh optimizer over parameters restored to the same values continues identically.
            List<Tensor> ps = params(tc.type);
            int k = 0;
            for (Tensor p : ps) {
                for (long j = 0; j < p.value().length(); j++, k++) {
                    p.value().putScalar(j, mid[k]);
                }
            }
            Optimizer second = f.apply(ps);
            second.importState(state);
            assertEquals(7, second.stepCount());
            run(second, 13);
            assertArrayEquals(flat(straight.parameters()), flat(second.parameters()), 0.0,
                    straight.getClass().getSimpleName() + " " + tc);
            assertEquals(straight.parameterNorm(), second.parameterNorm(), 0.0);
        }
    }

    enum DataTypeCase {
        FLOAT32(DataType.FLOAT), FLOAT64(DataType.DOUBLE);
        final DataType type;

        DataTypeCase(DataType t) {
            type = t;
        }
    }

    @Test
    void scalarParametersRoundTrip() {
        // A rank-0 parameter, like NCE's log-normaliser.
        Tensor c = Tensor.parameter(Nd4j.scalar(DataType.FLOAT, 0.5));
        Adam adam = new Adam(List.of(c), 0.1);
        c.mul(Tensor.scalar(2.0, DataType.FLOAT)).backward();
        adam.step();
        Map<String, INDArray> state = adam.exportState();
        assertEquals(0, state.get("exp_avg.0").rank());
        Tensor c2 = Tensor.parameter(c.value().dup());
        Adam adam2 = new Adam(List.of(c2), 0.1);
        adam2.importState(state);
        c.zeroGrad();
        c.mul(Tensor.scalar(2.0, DataType.FLOAT)).backward();
        adam.step();
        c2.mul(Tensor.scalar(2.0, DataType.FLOAT)).backward();
        adam2.step();
        assertEquals(c.value().getFloat(0), c2.value().getFloat(0), 0f);
        assertEquals(0.5f - 0.2f, c.value().getFloat(0), 1e-6f);
    }

    @Test
    void badStateIsRefusedAndLeavesTheOptimizerIntact() {
        Adam adam = new Adam(params(DataType.DOUBLE), 0.01);
        run(adam, 3);
        Map<String, INDArray> good = adam.exportState();
        Map<String, INDArray> missing = new java.util.HashMap<>(good);
        missing.remove("exp_avg_sq.1");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> adam.importState(missing));
        assertTrue(e.getMessage().contains("exp_avg_sq.1"), e.getMessage());
        Map<String, INDArray> wrongShape = new java.util.HashMap<>(good);
        wrongShape.put("exp_avg.0", Nd4j.zeros(DataType.DOUBLE, 3, 3));
        assertThrows(IllegalArgumentException.class, () -> adam.importState(wrongShape));
        assertEquals(3, adam.stepCount());
        Map<String, INDArray> after = adam.exportState();
        for (String key : good.keySet()) {
            assertEquals(good.get(key), after.get(key), key);
        }
    }

    @Test
    void nonFiniteGradientIsRefusedAtomically() {
        List<Tensor> ps = params(DataType.FLOAT);
        Adam adam = new Adam(ps, 0.01);
        run(adam, 2);
        double[] before = flat(ps);
        Map<String, INDArray> stateBefore = adam.exportState();
        setGrads(ps);
        ps.get(1).grad().value().putScalar(1, Double.NaN);
        NonFiniteUpdateException e = assertThrows(NonFiniteUpdateException.class, adam::step);
        assertEquals(NonFiniteUpdateException.Cause.GRADIENT, e.stage());
        assertArrayEquals(before, flat(ps), 0.0);
        assertEquals(2, adam.stepCount());
        Map<String, INDArray> stateAfter = adam.exportState();
        for (String key : stateBefore.keySet()) {
            assertEquals(stateBefore.get(key), stateAfter.get(key), key);
        }
        // An overflowing update (finite gradient, huge learning rate in float32) is refused too.
        adam.setLearningRate(1e39);
        setGrads(ps);
        NonFiniteUpdateException u = assertThrows(NonFiniteUpdateException.class, adam::step);
        assertEquals(NonFiniteUpdateException.Cause.UPDATE, u.stage());
        assertArrayEquals(before, flat(ps), 0.0);
    }

    @Test
    void scheduleDrivesTheLearningRate() {
        SGD sgd = new SGD(params(DataType.DOUBLE), 1.0);
        sgd.setSchedule(step -> 0.1 * Math.pow(0.5, step));
        assertEquals(0.1, sgd.learningRate(), 0);
        run(sgd, 3);
        assertEquals(0.0125, sgd.learningRate(), 1e-15);
        assertArrayEquals(sgdScheduled(), flat(sgd.parameters()), 1e-12);
        sgd.setLearningRate(0.2);
        assertEquals(0.2, sgd.learningRate(), 0);
        assertThrows(IllegalArgumentException.class, () -> sgd.setLearningRate(Double.NaN));
    }

    static double[] sgdScheduled() {
        double[] th = START.clone();
        for (int t = 0; t < 3; t++) {
            double lr = 0.1 * Math.pow(0.5, t);
            for (int j = 0; j < th.length; j++) {
                th[j] -= lr * (A[j] * th[j] + B[j]);
            }
        }
        return th;
    }

    @Test
    void parametersWithoutGradientAreSkippedAndConfigurationIsValidated() {
        List<Tensor> ps = params(DataType.DOUBLE);
        SGD sgd = new SGD(ps, 0.1);
        double[] before = flat(ps);
        ps.get(0).zeroGrad();
        ps.get(1).mul(Tensor.constant(Nd4j.ones(DataType.DOUBLE, 2))).sum().backward();
        sgd.step();
        double[] after = flat(ps);
        for (int j = 0; j < 4; j++) {
            assertEquals(before[j], after[j], 0.0);
        }
        assertEquals(before[4] - 0.1, after[4], 1e-15);
        assertThrows(IllegalArgumentException.class, () -> new SGD(ps, 0.1, 0.0, true, 0));
        assertThrows(IllegalArgumentException.class, () -> new Adam(ps, 0.1, 1.0, 0.9, 1e-8, 0));
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(ps.get(0), ps.get(0)), 0.1));
    }
}
