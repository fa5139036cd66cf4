package io.streamebm.pipeline.train;

import io.streamebm.autograd.Tensor;
import io.streamebm.core.Activation;
import io.streamebm.core.EnergyFunction;
import io.streamebm.core.GaussianEnergy;
import io.streamebm.core.MlpEnergy;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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

    /** The shape entries of a configuration-like map (extra keys are ignored). */
    public static Map<String, String> shapeOf(Map<String, String> settings) {
        Map<String, String> shape = new LinkedHashMap<>();
        String type = settings.get(TYPE).toLowerCase(Locale.ROOT);
        shape.put(TYPE, type);
        shape.put(DIM, settings.get(DIM));
        if (type.equals("mlp")) {
            shape.put(HIDDEN, settings.get(HIDDEN).replace(" ", ""));
            shape.put(ACTIVATION, settings.get(ACTIVATION).toLowerCase(Locale.ROOT));
        }
        return shape;
    }

    /** A new model of {@code shape}, initialised from {@code seed} (MLP) or at N(0, I) (Gaussian). */
    public static EnergyFunction build(Map<String, String> shape, long seed) {
        int dim = Integer.parseInt(shape.get(DIM));
        String type = shape.get(TYPE);
        switch (type) {
            case "mlp":
                int[] hidden = Arrays.stream(shape.get(HIDDEN).split(",")).map(String::trim)
                        .mapToInt(Integer::parseInt).toArray();
                return MlpEnergy.builder()
                        .inputDim(dim)
                        .hidden(hidden)
                        .activation(Activation.valueOf(shape.get(ACTIVATION).toUpperCase(Locale.ROOT)))
                        .seed(seed)
                        .dataType(DataType.FLOAT)
                        .build();
            case "gaussian":
                return new GaussianEnergy(Nd4j.zeros(DataType.FLOAT, dim), Nd4j.eye(dim).castTo(DataType.FLOAT));
            default:
                throw new IllegalArgumentException("unknown model type '" + type + "'; expected mlp or gaussian");
        }
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
