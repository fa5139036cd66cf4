package io.streamebm.optim;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Bulk copies between small parameter arrays and Java {@code double[]}.
 *
 * <p>Why: an ND4J op costs 4–20 µs whatever its size, and an Adam update written with ND4J ops
 * takes about eight of them per parameter. Parameters of the models here have a few thousand
 * elements, which a Java loop updates in microseconds. So optimizers and clipping read each array
 * once into Java, compute there, and write back once.
 */
final class ArrayIO {

    private ArrayIO() {
    }

    /** Whether the elements of {@code a} sit contiguously in C order at the start of its buffer. */
    private static boolean isDense(INDArray a) {
        return !a.isView() && a.offset() == 0 && a.data().length() == a.length()
                && (a.rank() < 2 || a.ordering() == 'c');
    }

    /** Reads {@code a} in C order into {@code out} (which must have {@code a.length()} elements). */
    static void read(INDArray a, double[] out) {
        INDArray src = isDense(a) ? a : a.dup('c');
        int n = out.length;
        if (src.dataType() == DataType.FLOAT) {
            FloatBuffer fb = src.data().asNioFloat();
            for (int i = 0; i < n; i++) {
                out[i] = fb.get(i);
            }
        } else if (src.dataType() == DataType.DOUBLE) {
            DoubleBuffer db = src.data().asNioDouble();
            db.get(0, out, 0, n);
        } else {
            throw new IllegalArgumentException("expected a FLOAT or DOUBLE array, got " + src.dataType());
        }
    }

    /** A new {@code double[]} holding {@code a} in C order. */
    static double[] read(INDArray a) {
        double[] out = new double[Math.toIntExact(a.length())];
        read(a, out);
        return out;
    }

    /** Writes {@code values} (C order) into {@code a} in place, rounding to float for FLOAT arrays. */
    static void write(INDArray a, double[] values) {
        int n = values.length;
        if (isDense(a)) {
            if (a.dataType() == DataType.FLOAT) {
                FloatBuffer fb = a.data().asNioFloat();
                for (int i = 0; i < n; i++) {
                    fb.put(i, (float) values[i]);
                }
                return;
            }
            if (a.dataType() == DataType.DOUBLE) {
                a.data().asNioDouble().put(0, values, 0, n);
                return;
            }
        }
        a.assign(Nd4j.createFromArray(values).reshape('c', a.shape()).castTo(a.dataType()));
    }

    /** A new array of {@code type} and {@code shape} holding {@code values} (C order). */
    static INDArray create(double[] values, DataType type, long[] shape) {
        return Nd4j.createFromArray(values).reshape('c', shape).castTo(type).dup('c');
    }

    /** Rounds every value to the nearest float, so that Java-side state equals what a FLOAT array holds. */
    static void roundToFloat(double[] values) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) values[i];
        }
    }
}
