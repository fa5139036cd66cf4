package io.streamebm.autograd;

import io.streamebm.internal.Nd4jRuntime;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * An {@link INDArray} that records the operations applied to it, so that gradients can flow back.
 *
 * <p>Leaves are made with {@link #constant}, {@link #variable} (an input to differentiate with
 * respect to) or {@link #parameter} (a trainable leaf, updated in place by optimizers). Every
 * operation returns a new tensor; none modifies its operands. Binary element-wise operations
 * broadcast as NumPy does (shapes aligned on the right, size-1 dimensions stretched), so a row
 * {@code [d]} or {@code [1, d]} broadcasts over {@code [n, d]} and a column {@code [n, 1]} too. A
 * shape that cannot broadcast throws an {@link IllegalArgumentException} naming both shapes.
 *
 * <p>Float32 and float64 are supported; both operands of an operation must share a type.
 * Scalars have rank 0. Tensors are not thread-safe; a graph belongs to the thread that built it.
 *
 * <p>Why one file of about 800 lines: every differentiable operation is a method here, with its
 * backward rule next to its forward, as in PyTorch's {@code Tensor}; users find the operations by
 * completion on one type. Each method is short and independent, so the length costs no understanding.
 */
public final class Tensor {

    static {
        Nd4jRuntime.ensureConfigured();
    }

    /**
     * Backward rule of one recorded operation. Given the node, the gradient flowing into it and
     * which parents need a gradient, it returns one gradient per parent (null where not needed).
     * Rules are written with tensor operations so that they can be recorded for higher orders.
     */
    @FunctionalInterface
    interface BackwardFn {
        Tensor[] apply(Tensor self, Tensor grad, boolean[] need);
    }

    private final INDArray value;
    private final boolean requiresGrad;
    private final Tensor[] parents;
    private final BackwardFn backwardFn;
    private final String op;
    private Tensor grad;

    private Tensor(INDArray value, boolean requiresGrad, Tensor[] parents, BackwardFn backwardFn, String op) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.parents = parents;
        this.backwardFn = backwardFn;
        this.op = op;
    }

    // ------------------------------------------------------------------ construction

    /** A leaf that never receives a gradient. */
    public static Tensor constant(INDArray value) {
        return new Tensor(checkType(value), false, null, null, "constant");
    }

    /** A leaf to differentiate with respect to, such as the input x of an energy. */
    public static Tensor variable(INDArray value) {
        return new Tensor(checkType(value), true, null, null, "variable");
    }

    /**
     * A trainable leaf. Its array is owned by the model and updated in place by optimizers, so
     * {@link #value()} always shows the current parameter.
     */
    public static Tensor parameter(INDArray value) {
        return new Tensor(checkType(value), true, null, null, "parameter");
    }

    /** A rank-0 constant of the given type. */
    public static Tensor scalar(double v, DataType type) {
        return constant(Nd4j.scalar(type, v));
    }

    private static INDArray checkType(INDArray value) {
        Objects.requireNonNull(value, "value");
        DataType t = value.dataType();
        if (t != DataType.FLOAT && t != DataType.DOUBLE) {
            throw new IllegalArgumentException("tensors hold FLOAT or DOUBLE arrays, got " + t);
        }
        return value;
    }

    private static Tensor record(INDArray value, String op, BackwardFn fn, Tensor... parents) {
        boolean track = false;
        if (Autograd.isGradEnabled()) {
            for (Tensor p : parents) {
                track |= p.requiresGrad;
            }
        }
        return track ? new Tensor(value, true, parents, fn, op) : new Tensor(value, false, null, null, op);
    }

    /**
     * A scalar whose value is {@code value} and whose gradient with respect to each tensor of
     * {@code inputs} is the matching array of {@code gradients}, computed elsewhere: the analogue
     * of a {@code torch.autograd.Function} with a hand-written backward. Fused loss kernels use it
     * to hand their exact parameter gradients to {@link #backward()} and the optimizers.
     *
     * <p>The gradients are constants of the graph, so differentiating this node a second time
     * gives zero. Backward passes hand out the arrays themselves when the upstream gradient is 1
     * (the usual {@code loss.backward()}), so each array must be fresh and not used elsewhere.
     *
     * @throws IllegalArgumentException if the lists differ in length, a gradient's shape or type
     *                                  differs from its input's, or {@code value} is not a number
     *                                  of the first input's type
     */
    public static Tensor scalarWithGradients(double value, List<Tensor> inputs, List<INDArray> gradients) {
        if (inputs.isEmpty() || inputs.size() != gradients.size()) {
            throw new IllegalArgumentException("scalarWithGradients needs one gradient per input, got "
                    + inputs.size() + " inputs and " + gradients.size() + " gradients");
        }
        Tensor[] parents = inputs.toArray(new Tensor[0]);
        INDArray[] grads = new INDArray[parents.length];
        for (int k = 0; k < parents.length; k++) {
            INDArray g = Objects.requireNonNull(gradients.get(k), "gradient " + k);
            requireSameShape("gradient " + k, parents[k].value, g);
            if (g.dataType() != parents[k].dataType()) {
                throw new IllegalArgumentException("gradient " + k + " is " + g.dataType() + " but its input is "
                        + parents[k].dataType());
            }
            grads[k] = g;
        }
        INDArray out = Nd4j.scalar(parents[0].dataType(), value);
        return record(out, "scalarWithGradients", (self, g, need) -> {
            Tensor[] result = new Tensor[grads.length];
            boolean unit = !g.requiresGrad && g.value.getDouble(0) == 1.0;
            for (int k = 0; k < grads.length; k++) {
                if (need[k]) {
                    Tensor gk = constant(grads[k]);
                    result[k] = unit ? gk : gk.mul(g.castTo(gk.dataType()));
                }
            }
            return result;
        }, parents);
    }

    // ------------------------------------------------------------------ accessors

    /** The array this tensor holds. Do not modify it unless this is a parameter being updated. */
    public INDArray value() {
        return value;
    }

    /** The shape of the value. */
    public long[] shape() {
        return value.shape();
    }

    /** The size of dimension {@code dim} (negative counts from the end). */
    public long size(int dim) {
        return value.size(dim < 0 ? value.rank() + dim : dim);
    }

    /** The rank of the value (0 for a scalar). */
    public int rank() {
        return value.rank();
    }

    /** The element type, FLOAT or DOUBLE. */
    public DataType dataType() {
        return value.dataType();
    }

    /** Whether gradients flow to this tensor. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Whether this tensor was created directly rather than by an operation. */
    public boolean isLeaf() {
        return parents == null;
    }

    Tensor[] parents() {
        return parents;
    }

    BackwardFn backwardFn() {
        return backwardFn;
    }

    /** The single value of a one-element tensor. */
    public double item() {
        if (value.length() != 1) {
            throw new IllegalStateException("item() needs a one-element tensor, got shape "
                    + Arrays.toString(value.shape()));
        }
        return value.getDouble(0);
    }

    /** The gradient accumulated by {@link #backward()}, or {@code null} if none yet. */
    public Tensor grad() {
        return grad;
    }

    /** Clears the accumulated gradient. */
    public void zeroGrad() {
        grad = null;
    }

    void accumulateGrad(Tensor g) {
        INDArray gv = g.value;
        if (grad == null) {
            grad = constant(gv.isView() ? gv.dup() : gv);
        } else {
            grad = constant(grad.value.add(gv));
        }
    }

    /** The same value cut off from the graph. */
    public Tensor detach() {
        return constant(value);
    }

    /**
     * Accumulates d(this)/d(leaf) into {@code grad()} of every leaf that requires one. Needs a
     * one-element tensor, like PyTorch.
     */
    public void backward() {
        if (value.length() != 1) {
            throw new IllegalStateException("backward() needs a scalar; got shape " + Arrays.toString(shape())
                    + ". Reduce it first (sum or mean), or use backward(gradOutput)");
        }
        if (!requiresGrad) {
            throw new IllegalStateException("backward() on a tensor that does not depend on any parameter or variable");
        }
        Autograd.backward(this, null);
    }

    /** Accumulates the vector-Jacobian product with {@code gradOutput} into the leaves. */
    public void backward(Tensor gradOutput) {
        Autograd.backward(this, gradOutput);
    }

    String describe() {
        return op + Arrays.toString(shape()) + " " + dataType();
    }

    @Override
    public String toString() {
        return "Tensor(" + op + ", shape=" + Arrays.toString(shape()) + ", " + dataType()
                + (requiresGrad ? ", requiresGrad" : "") + ")";
    }

    // ------------------------------------------------------------------ shape helpers

    static void requireSameShape(String what, INDArray a, INDArray b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException(what + ": shapes " + Arrays.toString(a.shape()) + " and "
                    + Arrays.toString(b.shape()) + " differ");
        }
    }

    private static void requireSameType(String op, Tensor a, Tensor b) {
        if (a.dataType() != b.dataType()) {
            throw new IllegalArgumentException(op + ": data types " + a.dataType() + " and " + b.dataType()
                    + " differ (shapes " + Arrays.toString(a.shape()) + " and " + Arrays.toString(b.shape())
                    + "); cast one of them first");
        }
    }

    /** NumPy broadcasting of two shapes, or an exception naming both. */
    static long[] broadcastShape(String op, long[] a, long[] b) {
        if (Arrays.equals(a, b)) {
            return a;
        }
        int rank = Math.max(a.length, b.length);
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            long da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            long db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a) + " and "
                        + Arrays.toString(b) + " cannot be broadcast together");
            }
            out[i] = Math.max(da, db);
        }
        return out;
    }

    private static INDArray broadcastArray(INDArray x, long[] shape) {
        if (Arrays.equals(x.shape(), shape)) {
            return x;
        }
        if (x.length() == 1) {
            return Nd4j.valueArrayOf(shape, x.getDouble(0), x.dataType());
        }
        INDArray src = x;
        if (x.rank() < shape.length) {
            long[] padded = new long[shape.length];
            Arrays.fill(padded, 1);
            System.arraycopy(x.shape(), 0, padded, shape.length - x.rank(), x.rank());
            src = x.reshape(padded);
        }
        return src.broadcast(shape);
    }

    /** Sums {@code x} down to {@code shape}, the inverse of broadcasting it. */
    private static INDArray reduceToShape(INDArray x, long[] shape) {
        if (Arrays.equals(x.shape(), shape)) {
            return x;
        }
        int lead = x.rank() - shape.length;
        int[] axes = new int[x.rank()];
        int n = 0;
        for (int i = 0; i < x.rank(); i++) {
            if (i < lead || (shape[i - lead] == 1 && x.size(i) != 1)) {
                axes[n++] = i;
            }
        }
        INDArray r = n == 0 ? x : x.sum(true, Arrays.copyOf(axes, n));
        return r.reshape(shape);
    }

    private enum Arith { ADD, SUB, MUL, DIV }

    private static INDArray arith(Arith kind, INDArray a, INDArray b, long[] out) {
        if (!Arrays.equals(a.shape(), out)) {
            a = broadcastArray(a, out);
        }
        if (!Arrays.equals(b.shape(), out)) {
            if (b.length() == 1) {
                double s = b.getDouble(0);
                switch (kind) {
                    case ADD: return a.add(s);
                    case SUB: return a.sub(s);
                    case MUL: return a.mul(s);
                    default: return a.div(s);
                }
            }
            if (out.length == 2 && b.length() == out[1] && (b.rank() == 1 || b.size(0) == 1)) {
                INDArray row = b.rank() == 1 ? b.reshape(1, out[1]) : b;
                switch (kind) {
                    case ADD: return a.addRowVector(row);
                    case SUB: return a.subRowVector(row);
                    case MUL: return a.mulRowVector(row);
                    default: return a.divRowVector(row);
                }
            }
            if (out.length == 2 && b.rank() == 2 && b.size(1) == 1 && b.size(0) == out[0]) {
                switch (kind) {
                    case ADD: return a.addColumnVector(b);
                    case SUB: return a.subColumnVector(b);
                    case MUL: return a.mulColumnVector(b);
                    default: return a.divColumnVector(b);
                }
            }
            b = broadcastArray(b, out);
        }
        switch (kind) {
            case ADD: return a.add(b);
            case SUB: return a.sub(b);
            case MUL: return a.mul(b);
            default: return a.div(b);
        }
    }

    // ------------------------------------------------------------------ arithmetic

    /** Element-wise sum, with broadcasting. */
    public Tensor add(Tensor other) {
        requireSameType("add", this, other);
        long[] out = broadcastShape("add", shape(), other.shape());
        return record(arith(Arith.ADD, value, other.value, out), "add",
                (self, g, need) -> new Tensor[] {
                    need[0] ? g.sumToShape(self.parents[0].shape()) : null,
                    need[1] ? g.sumToShape(self.parents[1].shape()) : null},
                this, other);
    }

    /** Element-wise difference, with broadcasting. */
    public Tensor sub(Tensor other) {
        requireSameType("sub", this, other);
        long[] out = broadcastShape("sub", shape(), other.shape());
        return record(arith(Arith.SUB, value, other.value, out), "sub",
                (self, g, need) -> new Tensor[] {
                    need[0] ? g.sumToShape(self.parents[0].shape()) : null,
                    need[1] ? g.neg().sumToShape(self.parents[1].shape()) : null},
                this, other);
    }

    /** Element-wise product, with broadcasting. */
    public Tensor mul(Tensor other) {
        requireSameType("mul", this, other);
        long[] out = broadcastShape("mul", shape(), other.shape());
        return record(arith(Arith.MUL, value, other.value, out), "mul",
                (self, g, need) -> {
                    Tensor a = self.parents[0];
                    Tensor b = self.parents[1];
                    return new Tensor[] {
                        need[0] ? g.mul(b).sumToShape(a.shape()) : null,
                        need[1] ? g.mul(a).sumToShape(b.shape()) : null};
                },
                this, other);
    }

    /** Element-wise quotient, with broadcasting. */
    public Tensor div(Tensor other) {
        requireSameType("div", this, other);
        long[] out = broadcastShape("div", shape(), other.shape());
        return record(arith(Arith.DIV, value, other.value, out), "div",
                (self, g, need) -> {
                    Tensor a = self.parents[0];
                    Tensor b = self.parents[1];
                    return new Tensor[] {
                        need[0] ? g.div(b).sumToShape(a.shape()) : null,
                        need[1] ? g.mul(self).div(b).neg().sumToShape(b.shape()) : null};
                },
                this, other);
    }

    /** Adds a constant. */
    public Tensor add(double c) {
        return record(value.add(c), "addScalar", (self, g, need) -> new Tensor[] {g}, this);
    }

    /** Subtracts a constant. */
    public Tensor sub(double c) {
        return add(-c);
    }

    /** Multiplies by a constant. */
    public Tensor mul(double c) {
        return record(value.mul(c), "mulScalar", (self, g, need) -> new Tensor[] {g.mul(c)}, this);
    }

    /** Divides by a constant. */
    public Tensor div(double c) {
        return mul(1.0 / c);
    }

    /** Computes {@code c − this}. */
    public Tensor rsub(double c) {
        return neg().add(c);
    }

    /** Negation. */
    public Tensor neg() {
        return record(value.neg(), "neg", (self, g, need) -> new Tensor[] {g.neg()}, this);
    }

    // ------------------------------------------------------------------ linear algebra and shape

    /** Matrix product of two rank-2 tensors. */
    public Tensor matmul(Tensor other) {
        return matmul(this, other, false, false);
    }

    /** {@code op(a) @ op(b)} where op transposes when asked; avoids materialising transposes. */
    public static Tensor matmul(Tensor a, Tensor b, boolean transposeA, boolean transposeB) {
        requireSameType("matmul", a, b);
        if (a.rank() != 2 || b.rank() != 2) {
            throw new IllegalArgumentException("matmul needs rank-2 tensors, got shapes "
                    + Arrays.toString(a.shape()) + " and " + Arrays.toString(b.shape()));
        }
        long n = transposeA ? a.size(1) : a.size(0);
        long ka = transposeA ? a.size(0) : a.size(1);
        long kb = transposeB ? b.size(1) : b.size(0);
        long m = transposeB ? b.size(0) : b.size(1);
        if (ka != kb) {
            throw new IllegalArgumentException("matmul: shapes " + Arrays.toString(a.shape())
                    + (transposeA ? "ᵀ" : "") + " and " + Arrays.toString(b.shape()) + (transposeB ? "ᵀ" : "")
                    + " do not align (" + ka + " != " + kb + ")");
        }
        INDArray out = Nd4j.createUninitialized(a.dataType(), n, m);
        Nd4j.gemm(a.value, b.value, out, transposeA, transposeB, 1.0, 0.0);
        return record(out, "matmul", (self, g, need) -> {
            Tensor x = self.parents[0];
            Tensor y = self.parents[1];
            Tensor gx = null;
            Tensor gy = null;
            if (need[0]) {
                gx = transposeA ? matmul(y, g, transposeB, true) : matmul(g, y, false, !transposeB);
            }
            if (need[1]) {
                gy = transposeB ? matmul(g, x, true, transposeA) : matmul(x, g, !transposeA, false);
            }
            return new Tensor[] {gx, gy};
        }, a, b);
    }

    /** Transpose of a rank-2 tensor. */
    public Tensor transpose() {
        if (rank() != 2) {
            throw new IllegalArgumentException("transpose needs a rank-2 tensor, got shape " + Arrays.toString(shape()));
        }
        return record(value.transpose().dup(), "transpose", (self, g, need) -> new Tensor[] {g.transpose()}, this);
    }

    /** The same elements in another shape (C order). */
    public Tensor reshape(long... newShape) {
        long len = 1;
        for (long s : newShape) {
            len *= s;
        }
        if (len != value.length()) {
            throw new IllegalArgumentException("reshape: shape " + Arrays.toString(shape()) + " has " + value.length()
                    + " elements, shape " + Arrays.toString(newShape) + " has " + len);
        }
        long[] orig = shape();
        INDArray src = value.isView() ? value.dup() : value;
        return record(src.reshape('c', newShape), "reshape",
                (self, g, need) -> new Tensor[] {g.reshape(orig)}, this);
    }

    /** Broadcasts to a larger shape (NumPy rules); the gradient sums back. */
    public Tensor expand(long... newShape) {
        long[] target = broadcastShape("expand", shape(), newShape);
        if (!Arrays.equals(target, newShape)) {
            throw new IllegalArgumentException("expand: shape " + Arrays.toString(shape()) + " cannot expand to "
                    + Arrays.toString(newShape));
        }
        if (Arrays.equals(shape(), newShape)) {
            return this;
        }
        long[] orig = shape();
        return record(broadcastArray(value, newShape).dup(), "expand",
                (self, g, need) -> new Tensor[] {g.sumToShape(orig)}, this);
    }

    /** Sums broadcast dimensions away so that the result has {@code target} shape. */
    public Tensor sumToShape(long... target) {
        if (Arrays.equals(shape(), target)) {
            return this;
        }
        long[] orig = shape();
        broadcastShape("sumToShape", target, orig);
        return record(reduceToShape(value, target), "sumToShape",
                (self, g, need) -> new Tensor[] {g.expand(orig)}, this);
    }

    /** Elements {@code from} (inclusive) to {@code to} (exclusive) along {@code axis}. */
    public Tensor slice(int axis, long from, long to) {
        int ax = axis < 0 ? rank() + axis : axis;
        if (ax < 0 || ax >= rank() || from < 0 || to > value.size(ax) || from >= to) {
            throw new IllegalArgumentException("slice: range [" + from + ", " + to + ") on axis " + axis
                    + " is outside shape " + Arrays.toString(shape()));
        }
        long[] orig = shape();
        INDArray out = value.get(indices(rank(), ax, from, to)).dup();
        return record(out, "slice", (self, g, need) -> new Tensor[] {g.padInto(orig, ax, from)}, this);
    }

    /** Column {@code j} of a rank-2 tensor, as a {@code [n, 1]} column. */
    public Tensor column(long j) {
        return slice(1, j, j + 1);
    }

    /** Row {@code i} of a rank-2 tensor, as a {@code [1, d]} row. */
    public Tensor row(long i) {
        return slice(0, i, i + 1);
    }

    /** Places this tensor at offset {@code from} along {@code axis} of a zero tensor of {@code fullShape}. */
    private Tensor padInto(long[] fullShape, int axis, long from) {
        long to = from + size(axis);
        INDArray out = Nd4j.zeros(dataType(), fullShape);
        out.get(indices(fullShape.length, axis, from, to)).assign(value);
        return record(out, "pad", (self, g, need) -> new Tensor[] {g.slice(axis, from, to)}, this);
    }

    private static INDArrayIndex[] indices(int rank, int axis, long from, long to) {
        INDArrayIndex[] idx = new INDArrayIndex[rank];
        for (int i = 0; i < rank; i++) {
            idx[i] = i == axis ? NDArrayIndex.interval(from, to) : NDArrayIndex.all();
        }
        return idx;
    }

    /** Concatenates tensors along {@code axis}; all other dimensions must agree. */
    public static Tensor concat(int axis, Tensor... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("concat needs at least one tensor");
        }
        int rank = parts[0].rank();
        int ax = axis < 0 ? rank + axis : axis;
        INDArray[] arrays = new INDArray[parts.length];
        for (int i = 0; i < parts.length; i++) {
            requireSameType("concat", parts[0], parts[i]);
            long[] s0 = parts[0].shape();
            long[] si = parts[i].shape();
            boolean ok = s0.length == si.length;
            for (int d = 0; ok && d < s0.length; d++) {
                ok = d == ax || s0[d] == si[d];
            }
            if (!ok) {
                throw new IllegalArgumentException("concat on axis " + axis + ": shapes " + Arrays.toString(s0)
                        + " and " + Arrays.toString(si) + " differ outside that axis");
            }
            arrays[i] = parts[i].value;
        }
        INDArray out = Nd4j.concat(ax, arrays);
        long[] offsets = new long[parts.length + 1];
        for (int i = 0; i < parts.length; i++) {
            offsets[i + 1] = offsets[i] + parts[i].size(ax);
        }
        return record(out, "concat", (self, g, need) -> {
            Tensor[] grads = new Tensor[parts.length];
            for (int i = 0; i < parts.length; i++) {
                if (need[i]) {
                    grads[i] = g.slice(ax, offsets[i], offsets[i + 1]);
                }
            }
            return grads;
        }, parts);
    }

    /** Concatenates a list of tensors along {@code axis}. */
    public static Tensor concat(int axis, List<Tensor> parts) {
        return concat(axis, parts.toArray(new Tensor[0]));
    }

    // ------------------------------------------------------------------ reductions

    /** Sum of all elements, as a scalar. */
    public Tensor sum() {
        long[] orig = shape();
        return record(Nd4j.scalar(dataType(), value.sumNumber().doubleValue()), "sum",
                (self, g, need) -> new Tensor[] {g.expand(orig)}, this);
    }

    /** Sum along {@code axis}, dropping it unless {@code keepDims}. */
    public Tensor sum(int axis, boolean keepDims) {
        int ax = checkAxis(axis);
        long[] orig = shape();
        long[] kept = orig.clone();
        kept[ax] = 1;
        return record(value.sum(keepDims, ax), "sumAxis",
                (self, g, need) -> new Tensor[] {(keepDims ? g : g.reshape(kept)).expand(orig)}, this);
    }

    /** Sum along {@code axis}, dropping it. */
    public Tensor sum(int axis) {
        return sum(axis, false);
    }

    /** Mean of all elements, as a scalar. */
    public Tensor mean() {
        return sum().mul(1.0 / value.length());
    }

    /** Mean along {@code axis}, dropping it unless {@code keepDims}. */
    public Tensor mean(int axis, boolean keepDims) {
        return sum(axis, keepDims).mul(1.0 / value.size(checkAxis(axis)));
    }

    /** Mean along {@code axis}, dropping it. */
    public Tensor mean(int axis) {
        return mean(axis, false);
    }

    /** Stable log Σ exp over all elements, as a scalar. */
    public Tensor logsumexp() {
        double m = value.maxNumber().doubleValue();
        if (!Double.isFinite(m)) {
            m = 0;
        }
        return sub(m).exp().sum().log().add(m);
    }

    /** Stable log Σ exp along {@code axis}, dropping it unless {@code keepDims}. */
    public Tensor logsumexp(int axis, boolean keepDims) {
        int ax = checkAxis(axis);
        INDArray m = value.max(true, ax);
        Transforms.max(m, -Double.MAX_VALUE, false); // keep −∞ rows finite
        Tensor shift = constant(m);
        Tensor r = sub(shift).exp().sum(ax, true).log().add(shift);
        if (keepDims) {
            return r;
        }
        long[] s = shape();
        long[] dropped = new long[s.length - 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i != ax) {
                dropped[j++] = s[i];
            }
        }
        return r.reshape(dropped);
    }

    private int checkAxis(int axis) {
        int ax = axis < 0 ? rank() + axis : axis;
        if (ax < 0 || ax >= rank()) {
            throw new IllegalArgumentException("axis " + axis + " is out of range for shape " + Arrays.toString(shape()));
        }
        return ax;
    }

    // ------------------------------------------------------------------ element-wise functions

    /** Element-wise square. */
    public Tensor square() {
        return record(value.mul(value), "square", (self, g, need) -> {
            Tensor x = self.parents[0];
            return new Tensor[] {g.mul(x).mul(2.0)};
        }, this);
    }

    /** Element-wise power with a constant exponent. */
    public Tensor pow(double p) {
        if (p == 2.0) {
            return square();
        }
        if (p == 1.0) {
            return this;
        }
        return record(Transforms.pow(value, p, true), "pow", (self, g, need) -> {
            Tensor x = self.parents[0];
            return new Tensor[] {g.mul(x.pow(p - 1)).mul(p)};
        }, this);
    }

    /** Element-wise square root. */
    public Tensor sqrt() {
        return record(Transforms.sqrt(value, true), "sqrt",
                (self, g, need) -> new Tensor[] {g.div(self).mul(0.5)}, this);
    }

    /** Element-wise exponential. */
    public Tensor exp() {
        return record(Transforms.exp(value, true), "exp",
                (self, g, need) -> new Tensor[] {g.mul(self)}, this);
    }

    /** Element-wise natural logarithm. */
    public Tensor log() {
        return record(Transforms.log(value, true), "log",
                (self, g, need) -> new Tensor[] {g.div(self.parents[0])}, this);
    }

    /** Element-wise absolute value; its derivative at 0 is taken as 0. */
    public Tensor abs() {
        return record(Transforms.abs(value, true), "abs", (self, g, need) -> {
            Tensor sign = constant(Transforms.sign(self.parents[0].value, true));
            return new Tensor[] {g.mul(sign)};
        }, this);
    }

    /** Element-wise sine. */
    public Tensor sin() {
        return record(Transforms.sin(value, true), "sin",
                (self, g, need) -> new Tensor[] {g.mul(self.parents[0].cos())}, this);
    }

    /** Element-wise cosine. */
    public Tensor cos() {
        return record(Transforms.cos(value, true), "cos",
                (self, g, need) -> new Tensor[] {g.mul(self.parents[0].sin()).neg()}, this);
    }

    /** Element-wise hyperbolic tangent. */
    public Tensor tanh() {
        return record(Transforms.tanh(value, true), "tanh",
                (self, g, need) -> new Tensor[] {g.mul(self.square().rsub(1.0))}, this);
    }

    /** Element-wise logistic sigmoid. */
    public Tensor sigmoid() {
        return record(Transforms.sigmoid(value, true), "sigmoid",
                (self, g, need) -> new Tensor[] {g.mul(self).mul(self.rsub(1.0))}, this);
    }

    /** Element-wise log(1 + exp(x)), computed stably as max(x, 0) + log(1 + exp(−|x|)). */
    public Tensor softplus() {
        INDArray out = Transforms.relu(value, true)
                .addi(Transforms.log(Transforms.exp(Transforms.abs(value, true).negi(), false).addi(1.0), false));
        return record(out, "softplus",
                (self, g, need) -> new Tensor[] {g.mul(self.parents[0].sigmoid())}, this);
    }

    /** Element-wise log σ(x) = −softplus(−x). */
    public Tensor logSigmoid() {
        return neg().softplus().neg();
    }

    /** Element-wise max(x, 0); its derivative at 0 is taken as 0. */
    public Tensor relu() {
        return record(Transforms.relu(value, true), "relu", (self, g, need) -> {
            Tensor mask = constant(self.parents[0].value.gt(0.0).castTo(self.dataType()));
            return new Tensor[] {g.mul(mask)};
        }, this);
    }

    /** Element-wise x·σ(x) (SiLU, also called swish): smooth, so samplers get useful input gradients. */
    public Tensor silu() {
        return mul(sigmoid());
    }

    /** Element-wise ELU with α = 1: x for x > 0, exp(x) − 1 otherwise. */
    public Tensor elu() {
        return elu(1.0);
    }

    /** Element-wise ELU: x for x > 0, α(exp(x) − 1) otherwise. */
    public Tensor elu(double alpha) {
        INDArray positive = value.gt(0.0).castTo(dataType());
        Tensor pos = constant(positive);
        Tensor neg = constant(positive.rsub(1.0));
        // min(x, 0) keeps exp finite on the positive side, where that branch is masked out anyway.
        Tensor clipped = record(Transforms.min(value, 0.0, true), "minZero",
                (self, g, need) -> new Tensor[] {g.mul(neg)}, this);
        return mul(pos).add(clipped.exp().sub(1.0).mul(alpha).mul(neg));
    }

    /** Casts to another floating type; the gradient is cast back. */
    public Tensor castTo(DataType type) {
        if (type == dataType()) {
            return this;
        }
        DataType orig = dataType();
        return record(value.castTo(type), "cast", (self, g, need) -> new Tensor[] {g.castTo(orig)}, this);
    }
}
