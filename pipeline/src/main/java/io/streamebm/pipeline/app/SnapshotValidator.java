package io.streamebm.pipeline.app;

import io.streamebm.energy.EnergyFunction;
import io.streamebm.pipeline.calibration.EnergyPercentiles;
import io.streamebm.pipeline.checkpoint.Checkpoint;
import io.streamebm.pipeline.checkpoint.CheckpointFormat;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.train.Models;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Decides whether a record of the snapshot topic may replace the model {@code score} serves.
 *
 * <p>The snapshot topic is input like any other: anyone who can write to it can send a value
 * that lies. A snapshot is accepted only if, in this order (cheapest and least trusting first):
 * <ol>
 *   <li>it carries a valid HMAC-SHA256 signature, when a {@link SnapshotSigner} is configured;</li>
 *   <li>it decodes, with every declared size bounded by the bytes present, and every array named,
 *       typed and shaped exactly as a parameter of the model this scorer serves (checked before
 *       the array is allocated);</li>
 *   <li>its metadata names this model and the configured shape ({@code model.type},
 *       {@code model.dim}, {@code model.hidden}, {@code model.activation});</li>
 *   <li>every weight is finite;</li>
 *   <li>its calibration section, when it has one, is a valid rank function (read with every size
 *       bounded by the bytes present, entries finite, ordered and adding up; see
 *       {@link EnergyPercentiles#decode});</li>
 *   <li>its version is at most {@code score.max-version-jump} ahead of the current one, so that a
 *       forged version such as {@code Long.MAX_VALUE} cannot pin the scorer for ever.</li>
 * </ol>
 * Otherwise {@link #check} throws {@link Rejected} naming the {@link Reason}.
 */
public final class SnapshotValidator {

    /** Why a snapshot was refused; {@link #label()} is what logs and counters show. */
    public enum Reason {
        /** A key is configured and the record carries no signature. */
        UNSIGNED("unsigned"),
        /** A key is configured and the signature does not match. */
        BAD_SIGNATURE("bad_signature"),
        /** Not a readable snapshot: bad digest, early end, impossible sizes. */
        MALFORMED("malformed"),
        /** The metadata names another model. */
        WRONG_MODEL("wrong_model"),
        /** Another model shape or dimension than the one served. */
        WRONG_SHAPE("wrong_shape"),
        /** A weight is NaN or infinite. */
        NON_FINITE("non_finite"),
        /** The calibration section is not a valid rank function. */
        BAD_CALIBRATION("bad_calibration"),
        /** The version is too far ahead of the current one. */
        VERSION_JUMP("version_jump");

        private final String label;

        Reason(String label) {
            this.label = label;
        }

        /** The reason as logs and counters name it. */
        public String label() {
            return label;
        }
    }

    /** A refused snapshot: why, and a detail for the log line. */
    public static final class Rejected extends Exception {
        private final Reason reason;

        Rejected(Reason reason, String detail) {
            super(reason.label() + ": " + detail);
            this.reason = reason;
        }

        /** Why the snapshot was refused. */
        public Reason reason() {
            return reason;
        }
    }

    private final String modelName;
    private final Map<String, String> shape;
    private final Map<String, long[]> parameterShapes;
    private final long maxVersionJump;
    private final Optional<SnapshotSigner> signer;

    /**
     * @param modelName      the model served; snapshots of other models are refused
     * @param shape          the model shape served, as {@link Models#shapeOf} gives it
     * @param maxVersionJump largest accepted step from the current version to a new one, positive
     * @param signer         when present, only snapshots it signed are accepted
     */
    public SnapshotValidator(String modelName, Map<String, String> shape, long maxVersionJump,
            Optional<SnapshotSigner> signer) {
        if (maxVersionJump < 1) {
            throw new IllegalArgumentException("maxVersionJump must be >= 1, got " + maxVersionJump);
        }
        this.modelName = Objects.requireNonNull(modelName, "modelName");
        this.shape = Map.copyOf(shape);
        this.maxVersionJump = maxVersionJump;
        this.signer = Objects.requireNonNull(signer, "signer");
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Models.parameters(Models.build(this.shape, 0)).forEach((name, a) -> shapes.put(name, a.shape()));
        this.parameterShapes = shapes;
    }

    /** The validator a scorer's configuration implies (its model, shape, jump limit and signing key). */
    public static SnapshotValidator fromConfig(PipelineConfig config, Optional<SnapshotSigner> signer) {
        return new SnapshotValidator(config.string("model.name"), Models.shapeOf(config.asMap()),
                config.longValue("score.max-version-jump"), signer);
    }

    /**
     * Validates one snapshot record and builds its model.
     *
     * @param value          the record value
     * @param signature      the {@value SnapshotSigner#HEADER} header's value, or null
     * @param currentVersion the version served now, or a negative number before the first
     * @throws Rejected naming why the snapshot must not be used
     */
    public ModelSnapshots.Snapshot check(byte[] value, byte[] signature, long currentVersion) throws Rejected {
        if (signer.isPresent()) {
            if (signature == null) {
                throw new Rejected(Reason.UNSIGNED, "a signing key is configured and the snapshot has no "
                        + SnapshotSigner.HEADER + " header");
            }
            if (!signer.get().verifies(value, signature)) {
                throw new Rejected(Reason.BAD_SIGNATURE, "the " + SnapshotSigner.HEADER + " header does not match");
            }
        }
        Checkpoint c;
        try {
            c = CheckpointFormat.decode(value, this::checkArray);
        } catch (ShapeMismatch e) {
            throw new Rejected(Reason.WRONG_SHAPE, e.getMessage());
        } catch (IOException | RuntimeException e) {
            throw new Rejected(Reason.MALFORMED, String.valueOf(e.getMessage()));
        }
        String name = c.metadata().get("model.name");
        if (!modelName.equals(name)) {
            throw new Rejected(Reason.WRONG_MODEL, "snapshot of model '" + name + "', this scorer serves '" + modelName + "'");
        }
        Map<String, String> declared = new LinkedHashMap<>();
        for (String k : shape.keySet()) {
            declared.put(k, c.metadata().get(k));
        }
        if (!declared.equals(shape)) {
            throw new Rejected(Reason.WRONG_SHAPE, "snapshot shape " + declared + ", this scorer serves " + shape);
        }
        if (!c.arrays().keySet().equals(parameterShapes.keySet())) {
            throw new Rejected(Reason.WRONG_SHAPE, "snapshot arrays " + c.arrays().keySet() + ", the model has "
                    + parameterShapes.keySet());
        }
        for (Map.Entry<String, INDArray> e : c.arrays().entrySet()) {
            for (float v : e.getValue().data().asFloat()) {
                if (!Float.isFinite(v)) {
                    throw new Rejected(Reason.NON_FINITE, e.getKey() + " holds " + v);
                }
            }
        }
        Optional<EnergyPercentiles> calibration;
        try {
            calibration = ModelSnapshots.calibration(c);
        } catch (IOException e) {
            throw new Rejected(Reason.BAD_CALIBRATION, "section '" + ModelSnapshots.CALIBRATION_SECTION + "': "
                    + e.getMessage());
        }
        if (currentVersion >= 0 && c.step() > currentVersion && c.step() - currentVersion > maxVersionJump) {
            throw new Rejected(Reason.VERSION_JUMP, "version " + c.step() + " is more than score.max-version-jump = "
                    + maxVersionJump + " ahead of the current " + currentVersion);
        }
        EnergyFunction model = Models.build(shape, 0);
        Models.load(model, c.arrays());
        return new ModelSnapshots.Snapshot(c.step(), c.recordsSeen(), model, calibration);
    }

    private void checkArray(String name, DataType type, long[] declaredShape) throws IOException {
        long[] expected = parameterShapes.get(name);
        if (expected == null) {
            throw new ShapeMismatch("unexpected array '" + name + "'");
        }
        if ((type != DataType.FLOAT && type != DataType.DOUBLE) || !Arrays.equals(expected, declaredShape)) {
            throw new ShapeMismatch("array '" + name + "' is " + type + " " + Arrays.toString(declaredShape)
                    + ", the model has " + Arrays.toString(expected));
        }
    }

    /** An array that the served model does not have: a shape problem, not a corrupt record. */
    private static final class ShapeMismatch extends IOException {
        ShapeMismatch(String message) {
            super(message);
        }
    }
}
