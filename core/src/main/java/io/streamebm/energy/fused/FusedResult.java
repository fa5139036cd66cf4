package io.streamebm.energy.fused;

import io.streamebm.autograd.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a fused loss kernel returns ({@link FusedEnergyTerms}, {@link FusedInputGradientTerms},
 * {@link FusedScoreMatchingTerms}): the loss value, the energies of the rows it evaluated, and the
 * gradient of the loss with respect to each parameter, addressed by the parameter's name.
 *
 * <p>Why names: a loss that adds a parameter of its own (NCE's log-normaliser) or reads one
 * gradient must not depend on where an energy happens to list it. The map keeps the order in which
 * the kernel put the gradients in, which is the order {@link #toLoss()} hands them to autograd.
 *
 * @param value     the loss
 * @param energies  E of the rows, one per row of the batch (the caller's to keep)
 * @param gradients ∂loss/∂parameter by name; each array fresh, in its parameter's shape and type
 */
public record FusedResult(double value, double[] energies, Map<String, ParameterGradient> gradients) {

    /**
     * One parameter and the gradient of the loss with respect to it.
     *
     * @param parameter the trainable tensor
     * @param gradient  ∂loss/∂parameter, same shape and type
     */
    public record ParameterGradient(Tensor parameter, INDArray gradient) {

        /** Refuses nulls. */
        public ParameterGradient {
            Objects.requireNonNull(parameter, "parameter");
            Objects.requireNonNull(gradient, "gradient");
        }
    }

    /** Copies the map, keeping its order. */
    public FusedResult {
        Objects.requireNonNull(energies, "energies");
        gradients = Collections.unmodifiableMap(new LinkedHashMap<>(gradients));
    }

    /** ∂loss/∂(the parameter named {@code name}). */
    public INDArray gradient(String name) {
        ParameterGradient g = gradients.get(name);
        if (g == null) {
            throw new IllegalArgumentException("no gradient named '" + name + "'; there are " + gradients.keySet());
        }
        return g.gradient();
    }

    /** A copy with one more parameter, for a loss that adds a parameter of its own. */
    public FusedResult withGradient(String name, Tensor parameter, INDArray gradient) {
        if (gradients.containsKey(name)) {
            throw new IllegalArgumentException("a gradient named '" + name + "' is already there");
        }
        Map<String, ParameterGradient> more = new LinkedHashMap<>(gradients);
        more.put(name, new ParameterGradient(parameter, gradient));
        return new FusedResult(value, energies, more);
    }

    /**
     * The loss as a scalar tensor whose {@code backward()} hands these gradients to the parameters
     * (see {@link Tensor#scalarWithGradients}).
     */
    public Tensor toLoss() {
        List<Tensor> parameters = new ArrayList<>(gradients.size());
        List<INDArray> arrays = new ArrayList<>(gradients.size());
        for (ParameterGradient g : gradients.values()) {
            parameters.add(g.parameter());
            arrays.add(g.gradient());
        }
        return Tensor.scalarWithGradients(value, parameters, arrays);
    }
}
