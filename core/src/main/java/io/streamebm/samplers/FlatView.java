package io.streamebm.samplers;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Element access to a C-order, non-view FLOAT or DOUBLE array through its NIO buffer: samplers
 * with per-chain Metropolis decisions run their bookkeeping as Java loops, which beats a chain of
 * masked ND4J ops at the batch sizes samplers use.
 */
abstract class FlatView {

    abstract double get(int i);

    abstract void set(int i, double v);

    static FlatView of(INDArray a) {
        if (a.dataType() == DataType.FLOAT) {
            FloatBuffer b = a.data().asNioFloat();
            return new FlatView() {
                @Override
                double get(int i) {
                    return b.get(i);
                }

                @Override
                void set(int i, double v) {
                    b.put(i, (float) v);
                }
            };
        }
        DoubleBuffer b = a.data().asNioDouble();
        return new FlatView() {
            @Override
            double get(int i) {
                return b.get(i);
            }

            @Override
            void set(int i, double v) {
                b.put(i, v);
            }
        };
    }
}
