package io.streamebm.pipeline.train;

import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Decoded samples, one {@code float[]} each, as the FLOAT matrix {@code [n, d]} that models take:
 * the one place the pipeline turns rows into a batch.
 *
 * <p>It trusts its rows: the decoder has checked every sample's dimension and finiteness, and
 * checking again on every micro-batch would only cost time.
 */
public final class SampleRows {

    private SampleRows() {
    }

    /**
     * One row per sample, in order, copied into one off-heap array (a single copy, not one ND4J
     * op per row).
     *
     * @param rows samples of length {@code d} each
     * @param d    the sample dimension
     */
    public static INDArray matrix(List<float[]> rows, int d) {
        float[] flat = new float[rows.size() * d];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, flat, i * d, d);
        }
        return Nd4j.create(flat, new long[] {rows.size(), d}, DataType.FLOAT);
    }
}
