package io.streamebm.energy.fused;

import io.streamebm.internal.KernelThreads;

import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * How fused loss kernels split a batch into blocks of rows that run side by side on
 * {@link KernelThreads}, and how the blocks' results are put back together. Every kernel of
 * {@link FusedEnergyTerms} and {@link FusedInputGradientTerms} runs through {@link #run}, so the
 * split is the same for all of them, and a loss can rely on it (NCE draws one noise seed per block).
 *
 * <p>A batch of at least {@value #MIN_ROWS_TO_SPLIT} rows is split into two halves. The split
 * depends on the row count alone and the halves' gradients are added in a fixed order, so the
 * numbers depend neither on the thread count nor on which half finished first.
 */
public final class RowBlocks {

    /**
     * Smallest batch that is split in two. Why 256: a half of 128 rows of the 2→128→128→1 MLP still
     * takes about 0.5 ms, far above the 10–20 µs of handing it to another thread.
     */
    public static final int MIN_ROWS_TO_SPLIT = 256;

    private RowBlocks() {
    }

    /**
     * The blocks of a batch of {@code rows} rows, as boundaries: {@code {0, rows}} or
     * {@code {0, rows / 2, rows}}; block b is rows {@code [bounds[b], bounds[b + 1])}.
     */
    public static int[] bounds(int rows) {
        return KernelThreads.blockBounds(rows, MIN_ROWS_TO_SPLIT);
    }

    /**
     * The rows of one block, produced on the thread that runs the block: lets a loss build its
     * input (NCE draws its noise) in parallel too.
     */
    @FunctionalInterface
    public interface Rows {

        /** Rows {@code [from, to)} of the batch, {@code [to − from, d]} in the model's type, C order. */
        INDArray rows(int block, int from, int to);

        /** The row ranges of {@code x} as views (the kernels' GEMMs read them in place). */
        static Rows of(INDArray x) {
            return (block, from, to) -> from == 0 && to == x.rows() ? x
                    : x.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
        }
    }

    /** A kernel's work on one block. */
    @FunctionalInterface
    public interface Work {

        /**
         * Evaluates the block {@code rows}, whose first row is row {@code first} of the batch.
         *
         * @param slot which set of buffers to use: 0 for a batch that is not split, 1 and 2 for the
         *             first and second half of one that is. Why: the halves run at the same time,
         *             and a batch size that alternates between split and whole then reallocates
         *             nothing. The gradients of slots 0 and 1 reach the caller and must be fresh
         *             arrays; those of slot 2 are only added to slot 1's, so they may be buffers the
         *             kernel reuses. The energies may always be the kernel's own (they are copied).
         */
        FusedResult run(int slot, INDArray rows, int first);
    }

    /**
     * Runs {@code work} on the blocks of a batch of {@code n} rows and returns the whole batch's
     * result: values added, energies in row order, gradients added by name into the first half's.
     */
    public static FusedResult run(int n, Rows input, Work work) {
        return run(n, n, input, work);
    }

    /**
     * As {@link #run(int, Rows, Work)} for a batch whose rows from {@code weighed} on weigh nothing
     * in the loss (probe rows, measured only): the batch is split as a batch of {@code weighed}
     * rows would be, and the other rows join the last block. Why: they cost that block a forward
     * pass only, while splitting over all rows would move weighed rows, forward and backward, into
     * the first block, and the halves would then wait for it; the weighed rows' gradients are also
     * summed exactly as without the others.
     */
    public static FusedResult run(int n, int weighed, Rows input, Work work) {
        if (weighed < 0 || weighed > n) {
            throw new IllegalArgumentException("weighed rows must be in [0, " + n + "], got " + weighed);
        }
        int[] bounds = bounds(weighed);
        if (bounds.length == 2) {
            FusedResult r = work.run(0, input.rows(0, 0, n), 0);
            return new FusedResult(r.value(), r.energies().clone(), r.gradients());
        }
        int split = bounds[1];
        FusedResult[] parts = new FusedResult[2];
        KernelThreads.runAll(List.of(
                () -> parts[0] = work.run(1, input.rows(0, 0, split), 0),
                () -> parts[1] = work.run(2, input.rows(1, split, n), split)));
        double[] energies = new double[n];
        System.arraycopy(parts[0].energies(), 0, energies, 0, split);
        System.arraycopy(parts[1].energies(), 0, energies, split, n - split);
        // A fixed order of addition: the same numbers whatever thread finished first.
        Map<String, FusedResult.ParameterGradient> first = parts[0].gradients();
        for (Map.Entry<String, FusedResult.ParameterGradient> e : first.entrySet()) {
            e.getValue().gradient().addi(parts[1].gradient(e.getKey()));
        }
        return new FusedResult(parts[0].value() + parts[1].value(), energies, first);
    }
}
