package io.streamebm.datasets;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An endless, seeded source of samples, one point at a time: what a producer or a streaming test
 * draws from. Equal seeds give equal sequences; {@link #nextBatch(int)} continues the same
 * sequence as {@link #next()}. Not thread-safe.
 */
public interface DatasetStream {

    /** The dimension of each sample. */
    int dimension();

    /** The next sample as a new array of {@link #dimension()} floats. */
    float[] next();

    /** The next {@code n} samples as a new FLOAT array {@code [n, d]}. */
    default INDArray nextBatch(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + n);
        }
        int d = dimension();
        float[] flat = new float[n * d];
        for (int i = 0; i < n; i++) {
            System.arraycopy(next(), 0, flat, i * d, d);
        }
        return Nd4j.create(flat, new long[] {n, d}, DataType.FLOAT);
    }
}
