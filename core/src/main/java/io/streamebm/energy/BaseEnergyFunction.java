package io.streamebm.energy;

import io.streamebm.internal.Inputs;
import io.streamebm.internal.Nd4jRuntime;

import io.streamebm.autograd.Autograd;
import io.streamebm.autograd.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The class users extend with their own energy, as in TorchEBM: implement {@link #energy(Tensor)}
 * with tensor operations, register trainable arrays with {@link #parameter(INDArray)}, and the
 * input gradient for samplers comes from autograd. Override {@link #gradient(INDArray)} with a
 * fused kernel when speed matters; tests should then check it against {@link #autogradGradient}.
 */
public abstract class BaseEnergyFunction implements EnergyFunction {

    static {
        Nd4jRuntime.ensureConfigured();
    }

    private final int dimension;
    private final List<Tensor> parameters = new ArrayList<>();
    private final List<Tensor> parametersView = Collections.unmodifiableList(parameters);

    /**
     * @param dimension the input dimension d, or −1 to accept any
     */
    protected BaseEnergyFunction(int dimension) {
        if (dimension == 0 || dimension < -1) {
            throw new IllegalArgumentException("dimension must be positive, or -1 for any, got " + dimension);
        }
        this.dimension = dimension;
    }

    /** Registers {@code value} as a trainable parameter and returns its tensor. Call from constructors. */
    protected final Tensor parameter(INDArray value) {
        Tensor p = Tensor.parameter(value);
        parameters.add(p);
        return p;
    }

    @Override
    public final List<Tensor> parameters() {
        return parametersView;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    /** ∇ₓE by autograd; fused kernels override this. */
    @Override
    public INDArray gradient(INDArray x) {
        return autogradGradient(x);
    }

    /** ∇ₓE by autograd, whatever {@link #gradient} does; the reference that fused kernels must match. */
    public final INDArray autogradGradient(INDArray x) {
        Tensor xt = Tensor.variable(x);
        return Autograd.grad(energy(xt), xt, false).value();
    }

    /** Checks that {@code x} is a finite batch {@code [n, d]} this energy accepts. */
    protected final void checkInput(INDArray x) {
        Inputs.requireBatch(x, dimension, getClass().getSimpleName() + " input");
    }
}
