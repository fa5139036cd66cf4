package io.streamebm.energy.mlp;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The hidden layers' buffers of a forward pass on n rows ({@link MlpForward#firstOrder}): z, the
 * activation a and its slope act′ per layer, each {@code [n, width_k]} in the model's type. Kernels
 * keep one set per batch size, because ND4J took 17–110 µs to allocate a [64, 128] array.
 */
final class MlpLayerBuffers {

    final INDArray[] z;
    final INDArray[] a;
    final INDArray[] slope;

    MlpLayerBuffers(MlpEnergy model, long n) {
        int hidden = model.hiddenLayers();
        z = new INDArray[hidden];
        a = new INDArray[hidden];
        slope = new INDArray[hidden];
        for (int k = 0; k < hidden; k++) {
            z[k] = Nd4j.create(model.dataType(), n, model.width(k));
            a[k] = Nd4j.create(model.dataType(), n, model.width(k));
            slope[k] = Nd4j.create(model.dataType(), n, model.width(k));
        }
    }
}
