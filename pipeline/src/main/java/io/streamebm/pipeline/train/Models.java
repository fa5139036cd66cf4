package io.streamebm.pipeline.train;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.energy.GaussianEnergy;
import io.streamebm.energy.mlp.Activation;
import io.streamebm.energy.mlp.MlpEnergy;
import io.streamebm.pipeline.config.Choices;
import io.streamebm.pipeline.config.ModelType;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Builds energy models from their shape (the settings that fix the parameter layout) and moves
 * their parameters in and out as named arrays. Training, checkpoints, snapshots and scoring all go
 * through here, so a model written by one is always readable by the others.
 */
public final class Models {

    /** Shape key: {@code mlp} or {@code gaussian}. */
    public static final String TYPE = "model.type";
    /** Shape key: the sample dimension. */
    public static final String DIM = "model.dim";
    /** Shape key: MLP hidden widths, comma-separated. */
    public static final String HIDDEN = "model.hidden";
    /** Shape key: MLP activation. */
    public static final String ACTIVATION = "model.activation";

    private static final String PARAM_PREFIX = "model.param.";

    private Models() {
    }

    /**
     * The shape entries of a configuration-like map (extra keys are ignored), in canonical
     * spelling: enumerated values as {@link Choices#nameOf} writes them, which is the lower case
     * that checkpoints and snapshots have always stored. Any accepted spelling reads the same.
     *
     * @throws IllegalArgumentException if the model type or activation is missing or unknown
     */
    public static Map<String, String> shapeOf(Map<String, String> settings) {
        Map<String, String> shape = new LinkedHashMap<>();
        ModelType type = parse(settings, TYPE, ModelType.class);
        shape.put(TYPE, Choices.nameOf(type));
        shape.put(DIM, settings.get(DIM));
        if (type == ModelType.MLP) {
            shape.put(HIDDEN, settings.get(HIDDEN).replace(" ", ""));
            shape.put(ACTIVATION, Choices.nameOf(parse(settings, ACTIVATION, Activation.class)));
        }
        return shape;
    }

    private static <E extends Enum<E>> E parse(Map<String, String> settings, String key, Class<E> type) {
        String value = settings.get(key);
        return Choices.find(type, value).orElseThrow(() -> new IllegalArgumentException(
                key + " = '" + value + "' is unknown; expected one of " + Choices.names(type)));
    }

    /** A new model of {@code shape}, initialised from {@code seed} (MLP) or at N(0, I) (Gaussian). */
    public static EnergyFunction build(Map<String, String> shape, long seed) {
        int dim = Integer.parseInt(shape.get(DIM));
        return switch (parse(shape, TYPE, ModelType.class)) {
            case MLP -> MlpEnergy.builder()
                    .inputDim(dim)
                    .hidden(Arrays.stream(shape.get(HIDDEN).split(",")).map(String::trim)
                            .mapToInt(Integer::parseInt).toArray())
                    .activation(parse(shape, ACTIVATION, Activation.class))
                    .seed(seed)
                    .dataType(DataType.FLOAT)
                    .build();
            case GAUSSIAN -> new GaussianEnergy(Nd4j.zeros(DataType.FLOAT, dim), Nd4j.eye(dim).castTo(DataType.FLOAT));
        };
    }

    /** Copies of the model's parameters, named {@code model.param.<index>}. */
    public static Map<String, INDArray> parameters(EnergyFunction model) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        List<Tensor> params = model.parameters();
        for (int i = 0; i < params.size(); i++) {
            out.put(PARAM_PREFIX + i, params.get(i).value().dup());
        }
        return out;
    }

    /** Loads parameters written by {@link #parameters} into {@code model}, in place. */
    public static void load(EnergyFunction model, Map<String, INDArray> arrays) {
        List<Tensor> params = model.parameters();
        for (int i = 0; i < params.size(); i++) {
            INDArray src = arrays.get(PARAM_PREFIX + i);
            INDArray dst = params.get(i).value();
            if (src == null) {
                throw new IllegalArgumentException("state has no " + PARAM_PREFIX + i + " for this model");
            }
            if (!Arrays.equals(src.shape(), dst.shape())) {
                throw new IllegalArgumentException(PARAM_PREFIX + i + " has shape " + Arrays.toString(src.shape())
                        + " but the model expects " + Arrays.toString(dst.shape()));
            }
            dst.assign(src.castTo(dst.dataType()));
        }
    }
}
