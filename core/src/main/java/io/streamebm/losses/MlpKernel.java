package io.streamebm.losses;

import io.streamebm.autograd.Tensor;
import io.streamebm.core.EnergyFunction;
import io.streamebm.core.KernelThreads;
import io.streamebm.core.MlpEnergy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Fused parameter gradients of losses on an {@link MlpEnergy}, so that a training step costs a
 * handful of GEMMs instead of a recorded graph of a hundred small ND4J ops.
 *
 * <p>Why: a recorded forward and backward pass of the 2→128→128→1 MLP runs about 40 ND4J ops and
 * allocates each result; at 4–20 µs per op plus allocation, that alone exceeds the time budget
 * of a DSM step, and the double backward of DSM triples it. Here the matrix products stay in ND4J
 * and every element-wise step is one Java pass over a layer (see {@link MlpPass}).
 *
 * <p>Two computations, both for any number of hidden layers and every activation:
 * <ul>
 *   <li>{@link #backwardEnergies}: ∂/∂θ of Σᵢ cᵢE(xᵢ) for given per-row weights cᵢ — every loss that
 *       is a function of energies (CD, PCD, NCE).</li>
 *   <li>{@link #backwardInputGradient}: ∂/∂θ of Σᵢ rᵢ·∇ₓE(xᵢ) for given rows rᵢ — the double
 *       backward that DSM needs (reverse mode through the input-gradient pass, which brings in the
 *       activation's second derivative).</li>
 * </ul>
 * A loss turns the gradients into its loss tensor with {@link Tensor#scalarWithGradients}; the
 * finite-difference tests check the whole path.
 *
 * <p>A batch of at least {@value #MIN_ROWS_TO_SPLIT} rows is split into two halves that run side by
 * side on {@link KernelThreads}; their parameter gradients are added in a fixed order. The split
 * depends on the row count alone, so the numbers do not depend on the thread count. Not
 * thread-safe; one kernel per loss.
 */
final class MlpKernel {

    /**
     * Smallest batch that is split in two. Why 256: a half of 128 rows still takes about 0.5 ms,
     * far above the 10–20 µs of handing it to another thread.
     */
    static final int MIN_ROWS_TO_SPLIT = 256;

    private final MlpEnergy model;
    private final MlpPass whole;
    private final MlpPass first;
    private final MlpPass second;
    private final List<Tensor> parameters;
    private int rows;
    private int split;
    private INDArray firstRows;
    private INDArray secondRows;
    private double[] energies = new double[0];
    private double[] inputGradient = new double[0];

    MlpKernel(MlpEnergy model) {
        this.model = model;
        this.whole = new MlpPass(model);
        this.first = new MlpPass(model);
        this.second = new MlpPass(model);
        List<Tensor> p = new ArrayList<>();
        for (int k = 0; k < model.config().hidden().length + 1; k++) {
            p.add(model.weight(k));
            p.add(model.bias(k));
        }
        this.parameters = List.copyOf(p);
    }

    /** Whether {@code model} is one this kernel can differentiate. */
    static boolean supports(EnergyFunction model) {
        return model instanceof MlpEnergy;
    }

    MlpEnergy model() {
        return model;
    }

    /** The model's weights and biases in the order the gradient lists use: W₀, b₀, W₁, b₁, … */
    List<Tensor> parameters() {
        return parameters;
    }

    /**
     * The forward pass on {@code x} ({@code [n, d]} in the model's type, C order), keeping what the
     * backward passes need; returns the energies (owned by the kernel, valid until the next call).
     *
     * @param secondOrder whether {@link #inputGradient} and {@link #backwardInputGradient} follow
     */
    double[] forward(INDArray x, boolean secondOrder) {
        rows = (int) x.rows();
        if (rows < MIN_ROWS_TO_SPLIT) {
            split = 0;
            return whole.forward(x, secondOrder);
        }
        split = rows / 2;
        firstRows = x.get(NDArrayIndex.interval(0, split), NDArrayIndex.all()).dup('c');
        secondRows = x.get(NDArrayIndex.interval(split, rows), NDArrayIndex.all()).dup('c');
        double[][] parts = new double[2][];
        KernelThreads.runAll(List.of(
                () -> parts[0] = first.forward(firstRows, secondOrder),
                () -> parts[1] = second.forward(secondRows, secondOrder)));
        energies = concat(parts, energies);
        return energies;
    }

    /**
     * Parameter gradients of Σᵢ cᵢE(xᵢ) after {@code forward(x, false)} on the same x: one new array
     * per parameter, in the order of {@link #parameters()}.
     */
    List<INDArray> backwardEnergies(INDArray x, double[] c) {
        if (split == 0) {
            return whole.backwardEnergies(x, c);
        }
        double[] c1 = Arrays.copyOfRange(c, 0, split);
        double[] c2 = Arrays.copyOfRange(c, split, rows);
        List<List<INDArray>> parts = new ArrayList<>(List.of(List.of(), List.of()));
        KernelThreads.runAll(List.of(
                () -> parts.set(0, first.backwardEnergies(firstRows, c1)),
                () -> parts.set(1, second.backwardEnergies(secondRows, c2))));
        return sum(parts);
    }

    /**
     * ∇ₓE of the rows of the last {@code forward(x, true)}; returns {@code [n·d]} row-major, owned
     * by the kernel.
     */
    double[] inputGradient() {
        if (split == 0) {
            return whole.inputGradient();
        }
        double[][] parts = new double[2][];
        KernelThreads.runAll(List.of(
                () -> parts[0] = first.inputGradient(),
                () -> parts[1] = second.inputGradient()));
        inputGradient = concat(parts, inputGradient);
        return inputGradient;
    }

    /**
     * Parameter gradients of Σᵢ rᵢ·∇ₓE(xᵢ), after {@link #inputGradient()}; {@code r} is
     * {@code [n·d]} row-major. One new array per parameter, in the order of {@link #parameters()}.
     */
    List<INDArray> backwardInputGradient(INDArray x, double[] r) {
        if (split == 0) {
            return whole.backwardInputGradient(x, r);
        }
        int d = (int) x.columns();
        double[] r1 = Arrays.copyOfRange(r, 0, split * d);
        double[] r2 = Arrays.copyOfRange(r, split * d, rows * d);
        List<List<INDArray>> parts = new ArrayList<>(List.of(List.of(), List.of()));
        KernelThreads.runAll(List.of(
                () -> parts.set(0, first.backwardInputGradient(firstRows, r1)),
                () -> parts.set(1, second.backwardInputGradient(secondRows, r2))));
        return sum(parts);
    }

    /** The halves' gradients added, first + second, into the first's fresh arrays. */
    private static List<INDArray> sum(List<List<INDArray>> parts) {
        List<INDArray> total = parts.get(0);
        List<INDArray> other = parts.get(1);
        for (int k = 0; k < total.size(); k++) {
            total.get(k).addi(other.get(k));
        }
        return total;
    }

    private static double[] concat(double[][] parts, double[] reuse) {
        int len = parts[0].length + parts[1].length;
        double[] out = reuse.length == len ? reuse : new double[len];
        System.arraycopy(parts[0], 0, out, 0, parts[0].length);
        System.arraycopy(parts[1], 0, out, parts[0].length, parts[1].length);
        return out;
    }
}
