package io.streamebm.losses;

import io.streamebm.autograd.Tensor;
import io.streamebm.core.EnergyFunction;
import io.streamebm.core.KernelThreads;
import io.streamebm.core.MlpEnergy;
import java.util.ArrayList;
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
 *   <li>{@link #energyLoss}: a loss that is a function of the energies (CD, PCD, NCE).</li>
 *   <li>{@link #inputGradientLoss}: a loss that is a function of ∇ₓE, through the double backward
 *       that DSM needs (reverse mode through the input-gradient pass, which brings in the
 *       activation's second derivative).</li>
 * </ul>
 * Both take the loss as a sum of per-row terms ({@link RowTerms}), which is what lets the rows
 * split into blocks that run forward, terms and backward without waiting for each other. A loss
 * turns the {@link Result} into its loss tensor with {@link Tensor#scalarWithGradients}; the
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
     * A loss that is a sum of one term per row, each a function of one per-row quantity of the
     * network: the row's energy ({@link #energyLoss}) or its input gradient ∇ₓE
     * ({@link #inputGradientLoss}).
     */
    @FunctionalInterface
    interface RowTerms {
        /**
         * The terms of a block of consecutive rows that starts at row {@code first} of the batch.
         * Reads the block's quantities ({@code values}: one energy per row, or ∇ₓE row-major),
         * writes d(loss)/d(value) into {@code slopes} (same layout) and returns the sum of the
         * block's terms. Blocks may run concurrently: write nothing but {@code slopes}.
         */
        double apply(int first, double[] values, double[] slopes);
    }

    /**
     * A loss value, its parameter gradients (one fresh array per parameter, in the order of
     * {@link #parameters()}) and the energies of all rows.
     */
    record Result(double value, List<INDArray> gradients, double[] energies) {
    }

    /**
     * The rows of one block, produced on the thread that runs the block: lets a loss build its
     * input (NCE draws its noise) in parallel too.
     */
    @FunctionalInterface
    interface BlockRows {
        /** Rows {@code [from, to)} of the batch, {@code [to − from, d]} in the model's type. */
        INDArray rows(int block, int from, int to);
    }

    /**
     * The blocks a batch of {@code rows} rows is split into, as boundaries: {@code {0, rows}} or
     * {@code {0, rows / 2, rows}}. Depends on the row count alone.
     */
    static int[] blockBounds(int rows) {
        return KernelThreads.blockBounds(rows, MIN_ROWS_TO_SPLIT);
    }

    /**
     * Σᵢ ℓᵢ(E(xᵢ)) over the rows of {@code x} ({@code [n, d]} in the model's type, C order) and its
     * parameter gradients: per block one forward pass, the terms, one backward pass.
     */
    Result energyLoss(INDArray x, RowTerms terms) {
        return energyLoss((int) x.rows(), rowsOf(x), terms);
    }

    /** {@link #energyLoss(INDArray, RowTerms)} on a batch of {@code n} rows built block by block. */
    Result energyLoss(int n, BlockRows input, RowTerms terms) {
        return run(n, input, (pass, rows, first, fresh) -> {
            double[] e = pass.forward(rows, false);
            double[] slopes = new double[e.length];
            double value = terms.apply(first, e, slopes);
            return new Result(value, pass.backwardEnergies(rows, slopes, fresh), e);
        });
    }

    /**
     * Σᵢ ℓᵢ(∇ₓE(xᵢ)) over the rows of {@code x} and its parameter gradients, through the double
     * backward: per block a forward pass keeping second derivatives, the input gradients, the
     * terms, and reverse mode through the input-gradient pass.
     */
    Result inputGradientLoss(INDArray x, RowTerms terms) {
        return run((int) x.rows(), rowsOf(x), (pass, rows, first, fresh) -> {
            double[] e = pass.forward(rows, true);
            double[] g = pass.inputGradient();
            double[] slopes = new double[g.length];
            double value = terms.apply(first, g, slopes);
            return new Result(value, pass.backwardInputGradient(rows, slopes), e);
        });
    }

    /** Row ranges of x as views (the passes' GEMMs read them in place). */
    private static BlockRows rowsOf(INDArray x) {
        return (block, from, to) -> from == 0 && to == x.rows() ? x
                : x.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }

    /**
     * The work of one block of rows. {@code fresh}: whether the gradients must be new arrays (they
     * reach the caller) or may be the pass's own buffers (they are only added to the first block's).
     */
    @FunctionalInterface
    private interface BlockWork {
        Result run(MlpPass pass, INDArray rows, int first, boolean fresh);
    }

    private Result run(int n, BlockRows input, BlockWork work) {
        int[] bounds = blockBounds(n);
        if (bounds.length == 2) {
            Result r = work.run(whole, input.rows(0, 0, n), 0, true);
            return new Result(r.value(), r.gradients(), r.energies().clone());
        }
        int split = bounds[1];
        Result[] parts = new Result[2];
        KernelThreads.runAll(List.of(
                () -> parts[0] = work.run(first, input.rows(0, 0, split), 0, true),
                () -> parts[1] = work.run(second, input.rows(1, split, n), split, false)));
        double[] energies = new double[n];
        System.arraycopy(parts[0].energies(), 0, energies, 0, split);
        System.arraycopy(parts[1].energies(), 0, energies, split, n - split);
        // A fixed order of addition: the same numbers whatever thread finished first.
        return new Result(parts[0].value() + parts[1].value(), sum(parts[0].gradients(), parts[1].gradients()),
                energies);
    }

    /** first + second, into the first's fresh arrays. */
    private static List<INDArray> sum(List<INDArray> first, List<INDArray> second) {
        for (int k = 0; k < first.size(); k++) {
            first.get(k).addi(second.get(k));
        }
        return first;
    }
}
