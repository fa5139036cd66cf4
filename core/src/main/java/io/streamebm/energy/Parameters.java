package io.streamebm.energy;

import io.streamebm.internal.Inputs;

import io.streamebm.autograd.Tensor;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Parameters of any energy as one flat vector, in the order of {@link EnergyFunction#parameters()}
 * and C order within each array. Replicas that average their models over a compacted topic and
 * checkpoints both need this single, stable layout.
 */
public final class Parameters {

    private Parameters() {
    }

    /** Total number of scalars in {@code params}. */
    public static long count(List<Tensor> params) {
        long n = 0;
        for (Tensor p : params) {
            n += p.value().length();
        }
        return n;
    }

    /** A new flat vector {@code [count]} holding a copy of every parameter, in the dtype of the first (FLOAT if none). */
    public static INDArray flatten(List<Tensor> params) {
        DataType type = params.isEmpty() ? DataType.FLOAT : params.get(0).dataType();
        INDArray flat = Nd4j.create(type, count(params));
        long offset = 0;
        for (Tensor p : params) {
            INDArray v = p.value();
            long len = v.length();
            if (len > 0) {
                flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(offset, offset + len))
                        .assign(Nd4j.toFlattened('c', v));
            }
            offset += len;
        }
        return flat;
    }

    /** {@link #flatten(List)} of a model's parameters. */
    public static INDArray flatten(EnergyFunction model) {
        return flatten(model.parameters());
    }

    /**
     * Copies {@code flat} into the parameters in place (the tensors keep their arrays, so
     * optimizers holding them see the new values).
     *
     * @throws IllegalArgumentException if the length differs or a value is not finite
     */
    public static void assign(List<Tensor> params, INDArray flat) {
        if (flat == null) {
            throw new IllegalArgumentException("flat parameter vector is null");
        }
        long n = count(params);
        if (flat.length() != n) {
            throw new IllegalArgumentException("flat parameter vector has " + flat.length()
                    + " elements but the model has " + n + " (shape given " + Arrays.toString(flat.shape()) + ")");
        }
        if (n > 0) {
            Inputs.requireFinite(flat, "flat parameter vector");
        }
        INDArray source = Nd4j.toFlattened('c', flat);
        long offset = 0;
        for (Tensor p : params) {
            INDArray v = p.value();
            long len = v.length();
            if (len > 0) {
                INDArray part = source.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(offset, offset + len));
                v.assign(part.dup('c').reshape(v.shape()).castTo(v.dataType()));
            }
            offset += len;
        }
    }

    /** {@link #assign(List, INDArray)} on a model's parameters. */
    public static void assign(EnergyFunction model, INDArray flat) {
        assign(model.parameters(), flat);
    }
}
