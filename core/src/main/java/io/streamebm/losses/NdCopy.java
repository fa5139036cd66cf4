package io.streamebm.losses;

import java.nio.DoubleBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Bulk copies between ND4J arrays and Java {@code double[]} for the fused kernels, whose
 * element-wise work runs in Java. Why bulk: a bulk get or put is a memcpy, element access to
 * off-heap memory is not.
 */
final class NdCopy {

    private NdCopy() {
    }

    /** Per-thread float scratch for bulk copies: a bulk get/put is a memcpy, element access is not. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    private static float[] scratch(int len) {
        float[][] holder = SCRATCH.get();
        if (holder[0].length < len) {
            holder[0] = new float[len];
        }
        return holder[0];
    }

    /** Copies a C-order array (not a view) into {@code out}. */
    static void read(INDArray src, double[] out) {
        INDArray s = !src.isView() && src.ordering() == 'c' ? src : src.dup('c');
        int len = out.length;
        if (s.dataType() == DataType.FLOAT) {
            float[] tmp = scratch(len);
            s.data().asNioFloat().get(0, tmp, 0, len);
            for (int i = 0; i < len; i++) {
                out[i] = tmp[i];
            }
        } else {
            DoubleBuffer db = s.data().asNioDouble();
            db.get(0, out, 0, len);
        }
    }

    /** Copies {@code v} into a C-order, non-view array of the same length. */
    static void write(double[] v, INDArray dst) {
        int len = v.length;
        if (dst.dataType() == DataType.FLOAT) {
            float[] tmp = scratch(len);
            for (int i = 0; i < len; i++) {
                tmp[i] = (float) v[i];
            }
            dst.data().asNioFloat().put(0, tmp, 0, len);
        } else {
            dst.data().asNioDouble().put(0, v, 0, len);
        }
    }

    /** A new C-order array of {@code type} and {@code shape} holding {@code v}: one allocation. */
    static INDArray array(double[] v, DataType type, long... shape) {
        INDArray a = Nd4j.create(type, shape);
        write(v, a);
        return a;
    }

    /** The elements of {@code p} in C order. */
    static double[] values(INDArray p) {
        double[] out = new double[(int) p.length()];
        read(p, out);
        return out;
    }
}
