package io.streamebm.internal;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Bulk copies between ND4J arrays (off-heap, FLOAT or DOUBLE) and Java {@code double[]}, in C
 * order.
 *
 * <p>Why: an ND4J op costs 4–20 µs whatever its size, and element access to off-heap memory
 * costs nanoseconds per element, while a bulk get or put is a memcpy. Optimizers, clipping and the
 * fused kernels therefore read an array into Java once, compute there, and write it back once.
 * Float arrays go through a per-thread float scratch buffer, so the copies allocate nothing.
 */
public final class HostArrays {

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    private HostArrays() {
    }

    private static float[] scratch(int len) {
        float[][] holder = SCRATCH.get();
        if (holder[0].length < len) {
            holder[0] = new float[len];
        }
        return holder[0];
    }

    /** Whether the elements of {@code a} sit contiguously in C order at the start of its buffer. */
    private static boolean isDense(INDArray a) {
        return !a.isView() && a.offset() == 0 && a.data().length() == a.length()
                && (a.rank() < 2 || a.ordering() == 'c');
    }

    /** Reads {@code a} in C order into {@code out}, which must have {@code a.length()} elements. */
    public static void read(INDArray a, double[] out) {
        if (out.length != a.length()) {
            throw new IllegalArgumentException("array has " + a.length() + " elements, the destination " + out.length);
        }
        readInto(a, out);
    }

    /**
     * Reads {@code a} in C order into the first {@code a.length()} elements of {@code buffer}, a
     * reusable buffer at least that long (kernels keep one per thread for layers of any width).
     */
    public static void readInto(INDArray a, double[] buffer) {
        int len = Math.toIntExact(a.length());
        if (buffer.length < len) {
            throw new IllegalArgumentException("array has " + len + " elements, the buffer only " + buffer.length);
        }
        INDArray src = isDense(a) ? a : a.dup('c');
        if (src.dataType() == DataType.FLOAT) {
            float[] tmp = scratch(len);
            src.data().asNioFloat().get(0, tmp, 0, len);
            for (int i = 0; i < len; i++) {
                buffer[i] = tmp[i];
            }
        } else if (src.dataType() == DataType.DOUBLE) {
            src.data().asNioDouble().get(0, buffer, 0, len);
        } else {
            throw new IllegalArgumentException("expected a FLOAT or DOUBLE array, got " + src.dataType());
        }
    }

    /** Σ aᵢ² in double precision, without allocating (NaN or infinite if some element is). */
    public static double sumOfSquares(INDArray a) {
        INDArray src = isDense(a) ? a : a.dup('c');
        int len = Math.toIntExact(src.length());
        double s = 0;
        if (src.dataType() == DataType.FLOAT) {
            float[] tmp = scratch(len);
            src.data().asNioFloat().get(0, tmp, 0, len);
            for (int i = 0; i < len; i++) {
                s += (double) tmp[i] * tmp[i];
            }
        } else {
            for (double v : toDoubles(src)) {
                s += v * v;
            }
        }
        return s;
    }

    /** A new {@code double[]} holding {@code a} in C order. */
    public static double[] toDoubles(INDArray a) {
        double[] out = new double[Math.toIntExact(a.length())];
        read(a, out);
        return out;
    }

    /** Writes {@code values} (C order) into {@code a} in place, rounding to float for FLOAT arrays. */
    public static void write(INDArray a, double[] values) {
        if (values.length != a.length()) {
            throw new IllegalArgumentException("array has " + a.length() + " elements, the source " + values.length);
        }
        writeFrom(a, values);
    }

    /** Writes the first {@code a.length()} elements of {@code buffer} into {@code a}, as {@link #write}. */
    public static void writeFrom(INDArray a, double[] buffer) {
        int len = Math.toIntExact(a.length());
        if (buffer.length < len) {
            throw new IllegalArgumentException("array has " + len + " elements, the buffer only " + buffer.length);
        }
        if (isDense(a) && a.dataType() == DataType.FLOAT) {
            float[] tmp = scratch(len);
            for (int i = 0; i < len; i++) {
                tmp[i] = (float) buffer[i];
            }
            a.data().asNioFloat().put(0, tmp, 0, len);
        } else if (isDense(a) && a.dataType() == DataType.DOUBLE) {
            a.data().asNioDouble().put(0, buffer, 0, len);
        } else {
            double[] values = buffer.length == len ? buffer : java.util.Arrays.copyOf(buffer, len);
            a.assign(Nd4j.createFromArray(values).reshape('c', a.shape()).castTo(a.dataType()));
        }
    }

    /** The sums of the columns of a row-major {@code [n, columns]} array: its sum over the rows. */
    public static double[] columnSums(double[] rowMajor, int columns) {
        double[] out = new double[columns];
        for (int off = 0; off < rowMajor.length; off += columns) {
            for (int j = 0; j < columns; j++) {
                out[j] += rowMajor[off + j];
            }
        }
        return out;
    }

    /** A new C-order array of {@code type} and {@code shape} holding {@code values}. */
    public static INDArray create(double[] values, DataType type, long... shape) {
        INDArray a = Nd4j.create(type, shape);
        write(a, values);
        return a;
    }
}
