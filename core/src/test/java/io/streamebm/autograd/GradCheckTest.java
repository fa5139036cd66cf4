package io.streamebm.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * First and second derivatives of every operation against central finite differences, in float64
 * on random shapes and values. The second-order check compares a Hessian-vector product built with
 * {@code createGraph = true} against finite differences of the first gradient.
 */
class GradCheckTest {

    private static final double EPS = 1e-5;
    private static final double TOL = 1e-6;

    /** A scalar function of several inputs, plus how to draw its inputs. */
    record Case(String name, Function<List<Tensor>, Tensor> f, Function<Random, List<INDArray>> inputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    static INDArray rand(Random r, double lo, double hi, long... shape) {
        INDArray a = Nd4j.create(DataType.DOUBLE, shape);
        for (long i = 0; i < a.length(); i++) {
            a.putScalar(i, lo + (hi - lo) * r.nextDouble());
        }
        return a;
    }

    static int dim(Random r) {
        return 2 + r.nextInt(3);
    }

    /** Unary op on a random [n, d] input, weighted by fixed random coefficients so the check is not symmetric. */
    static Case unary(String name, Function<Tensor, Tensor> op, double lo, double hi) {
        return new Case(name, in -> op.apply(in.get(0)).mul(in.get(1)).sum(),
                r -> {
                    int n = dim(r);
                    int d = dim(r);
                    return List.of(rand(r, lo, hi, n, d), rand(r, -1, 1, n, d));
                });
    }

    static Case binary(String name, java.util.function.BiFunction<Tensor, Tensor, Tensor> op,
            boolean positiveB, int bShapeKind) {
        return new Case(name, in -> op.apply(in.get(0), in.get(1)).mul(in.get(2)).sum(),
                r -> {
                    int n = dim(r);
                    int d = dim(r);
                    long[] bShape = switch (bShapeKind) {
                        case 0 -> new long[] {n, d};
                        case 1 -> new long[] {d};     // row broadcast
                        case 2 -> new long[] {n, 1};  // column broadcast
                        case 3 -> new long[] {1, d};  // row broadcast, rank 2
                        default -> new long[] {};     // scalar
                    };
                    double lo = positiveB ? 0.5 : -1.5;
                    return List.of(rand(r, -1.5, 1.5, n, d), rand(r, lo, 1.5, bShape), rand(r, -1, 1, n, d));
                });
    }

    static Stream<Arguments> cases() {
        List<Case> cases = new ArrayList<>();
        for (int kind = 0; kind < 5; kind++) {
            String s = "[b" + kind + "]";
            cases.add(binary("add" + s, Tensor::add, false, kind));
            cases.add(binary("sub" + s, Tensor::sub, false, kind));
            cases.add(binary("mul" + s, (a, b) -> a.mul(b).mul(a), false, kind));
            cases.add(binary("div" + s, (a, b) -> a.mul(a).div(b), true, kind));
        }
        cases.add(binary("broadcastLeft", (a, b) -> b.sub(a.mul(a)), false, 1));
        cases.add(unary("neg", x -> x.neg().mul(x), -2, 2));
        cases.add(unary("scalarOps", x -> x.mul(3.0).add(1.0).mul(x).div(2.0).rsub(0.5), -2, 2));
        cases.add(unary("square", x -> x.square().mul(x), -2, 2));
        cases.add(unary("pow2.5", x -> x.pow(2.5), 0.2, 2));
        cases.add(unary("pow3", x -> x.pow(3), -2, 2));
        cases.add(unary("sqrt", Tensor::sqrt, 0.2, 3));
        cases.add(unary("exp", Tensor::exp, -2, 2));
        cases.add(unary("log", Tensor::log, 0.2, 3));
        cases.add(unary("abs", x -> x.abs().mul(x), -2, 2));
        cases.add(unary("sin", Tensor::sin, -3, 3));
        cases.add(unary("cos", Tensor::cos, -3, 3));
        cases.add(unary("tanh", Tensor::tanh, -2, 2));
        cases.add(unary("sigmoid", Tensor::sigmoid, -3, 3));
        cases.add(unary("softplus", Tensor::softplus, -4, 4));
        cases.add(unary("relu", x -> x.relu().mul(x), -2, 2));
        cases.add(unary("silu", Tensor::silu, -3, 3));
        cases.add(unary("elu", Tensor::elu, -2, 2));
        cases.add(unary("logSigmoid", Tensor::logSigmoid, -4, 4));
        cases.add(unary("transpose", x -> x.transpose().mul(x.transpose()).transpose(), -2, 2));
        cases.add(unary("reshape", x -> x.reshape(x.value().length()).square().reshape(x.shape()), -2, 2));
        cases.add(unary("slice", x -> Tensor.concat(1, x.slice(1, 1, x.size(1)), x.column(0)).square(), -2, 2));
        cases.add(unary("concatRows", x -> Tensor.concat(0, x.square(), x.row(0).exp()).sum(0, true).expand(x.shape()), -1, 1));
        cases.add(unary("sumAxis0", x -> x.square().sum(0).reshape(1, x.size(1)).expand(x.shape()), -2, 2));
        cases.add(unary("sumAxis1Keep", x -> x.square().sum(1, true).expand(x.shape()), -2, 2));
        cases.add(unary("mean", x -> x.square().mean().expand(x.shape()), -2, 2));
        cases.add(unary("meanAxis", x -> x.exp().mean(1, true).mul(x), -2, 2));
        cases.add(unary("logsumexpAxis", x -> x.mul(x).logsumexp(1, true).mul(x), -2, 2));
        cases.add(unary("logsumexpAll", x -> x.mul(x).logsumexp().mul(x), -2, 2));
        cases.add(new Case("matmul", in -> in.get(0).matmul(in.get(1)).tanh().sum(),
                r -> {
                    int n = dim(r), k = dim(r), m = dim(r);
                    return List.of(rand(r, -1, 1, n, k), rand(r, -1, 1, k, m));
                }));
        cases.add(new Case("matmulTransposed", in -> Tensor.matmul(in.get(0), in.get(1), true, true).sin().sum(),
                r -> {
                    int n = dim(r), k = dim(r), m = dim(r);
                    return List.of(rand(r, -1, 1, k, n), rand(r, -1, 1, m, k));
                }));
        cases.add(new Case("mlp", in -> in.get(0).matmul(in.get(1)).add(in.get(2)).silu().matmul(in.get(3)).sum(),
                r -> {
                    int n = dim(r), d = dim(r), h = dim(r);
                    return List.of(rand(r, -1, 1, n, d), rand(r, -1, 1, d, h), rand(r, -1, 1, h), rand(r, -1, 1, h, 1));
                }));
        List<Arguments> args = new ArrayList<>();
        long seed = 1;
        for (Case c : cases) {
            args.add(Arguments.of(c, seed++));
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void firstAndSecondDerivativesMatchFiniteDifferences(Case c, long seed) {
        Random r = new Random(seed);
        List<INDArray> values = c.inputs().apply(r);
        for (int which = 0; which < values.size(); which++) {
            checkInput(c, values, which, r);
        }
    }

    private static void checkInput(Case c, List<INDArray> values, int which, Random r) {
        INDArray x0 = values.get(which);
        // analytic gradient, with the graph kept so it can be differentiated again
        List<Tensor> in = leaves(values, which);
        Tensor out = c.f().apply(in);
        Tensor g = Autograd.grad(out, in.get(which), true);
        INDArray analytic = g.value().dup();

        INDArray numeric = Nd4j.create(DataType.DOUBLE, x0.shape());
        for (long i = 0; i < x0.length(); i++) {
            double orig = x0.getDouble(i);
            x0.putScalar(i, orig + EPS);
            double fp = c.f().apply(leaves(values, -1)).item();
            x0.putScalar(i, orig - EPS);
            double fm = c.f().apply(leaves(values, -1)).item();
            x0.putScalar(i, orig);
            numeric.putScalar(i, (fp - fm) / (2 * EPS));
        }
        assertClose(c + " d/dx" + which, numeric, analytic);

        // Hessian-vector product: d/dx <∇f, v> against (∇f(x + εv) − ∇f(x − εv)) / 2ε
        INDArray v = rand(r, -1, 1, x0.shape());
        Tensor gv = g.mul(Tensor.constant(v)).sum();
        INDArray hvp;
        if (gv.requiresGrad()) {
            hvp = Autograd.grad(gv, in.get(which), false).value();
        } else {
            hvp = Nd4j.zeros(DataType.DOUBLE, x0.shape());
        }
        INDArray saved = x0.dup();
        x0.addi(v.mul(EPS));
        INDArray gp = gradientAt(c, values, which);
        x0.assign(saved).subi(v.mul(EPS));
        INDArray gm = gradientAt(c, values, which);
        x0.assign(saved);
        INDArray hvpNumeric = gp.sub(gm).divi(2 * EPS);
        assertClose(c + " Hv wrt x" + which, hvpNumeric, hvp);
    }

    private static INDArray gradientAt(Case c, List<INDArray> values, int which) {
        List<Tensor> in = leaves(values, which);
        return Autograd.grad(c.f().apply(in), in.get(which), false).value().dup();
    }

    private static List<Tensor> leaves(List<INDArray> values, int variable) {
        List<Tensor> in = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            in.add(i == variable ? Tensor.variable(values.get(i)) : Tensor.constant(values.get(i)));
        }
        return in;
    }

    private static void assertClose(String what, INDArray expected, INDArray actual) {
        assertEquals(DataType.DOUBLE, actual.dataType(), what);
        double diff = expected.sub(actual.reshape(expected.shape())).norm2Number().doubleValue();
        double scale = Math.max(1e-3, Math.max(expected.norm2Number().doubleValue(), actual.norm2Number().doubleValue()));
        assertTrue(diff / scale <= TOL, what + ": relative error " + diff / scale + "\nexpected " + expected + "\nactual " + actual);
    }
}
