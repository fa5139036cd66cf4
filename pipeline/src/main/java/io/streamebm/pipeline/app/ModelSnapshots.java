package io.streamebm.pipeline.app;

import io.streamebm.energy.EnergyFunction;
import io.streamebm.pipeline.calibration.EnergyPercentiles;
import io.streamebm.pipeline.checkpoint.Checkpoint;
import io.streamebm.pipeline.checkpoint.CheckpointFormat;
import io.streamebm.pipeline.train.Models;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Model snapshots on the snapshot topic: key = model name, value = a {@link CheckpointFormat}
 * record whose step is the snapshot version, whose metadata holds the model shape, and whose
 * arrays are the parameters. Versions increase with training steps. With a signing key configured,
 * the record also carries the header {@value SnapshotSigner#HEADER} ({@link SnapshotSigner}).
 *
 * <p>A snapshot may carry its calibration, the rank function of the recent training energies
 * ({@link EnergyPercentiles}), in the format's optional section {@value #CALIBRATION_SECTION}.
 * Scorers that predate it never read that far; snapshots written before it have none, and their
 * scores carry no percentile. The section is inside the record value, so the signature covers it.
 */
public final class ModelSnapshots {

    /** Content type header of snapshot records. */
    public static final String CONTENT_TYPE = "application/x-streamebm-model";

    /** Name of the optional checkpoint-format section holding the calibration. */
    public static final String CALIBRATION_SECTION = "calibration";

    private ModelSnapshots() {
    }

    /**
     * A decoded snapshot: its version, a ready model, and the calibration it carries (empty for
     * snapshots written without one).
     */
    public record Snapshot(long version, long recordsSeen, EnergyFunction model,
            Optional<EnergyPercentiles> calibration) {
    }

    /**
     * The record value of a snapshot.
     *
     * @param metadata    the model shape, name and version, as {@link SnapshotValidator} checks them
     * @param parameters  the model's parameters
     * @param calibration the rank function of recent training energies, if there is one yet
     */
    public static byte[] encode(long version, long recordsSeen, Map<String, String> metadata,
            Map<String, INDArray> parameters, Optional<EnergyPercentiles> calibration) throws IOException {
        Map<String, byte[]> sections = calibration.map(c -> Map.of(CALIBRATION_SECTION, c.encode())).orElse(Map.of());
        return CheckpointFormat.encode(new Checkpoint(version, recordsSeen, Map.of(), metadata, parameters, sections));
    }

    /**
     * Decodes and verifies a snapshot value and builds the model its metadata describes. The
     * shape is taken on trust: use {@link SnapshotValidator} for values from the topic.
     */
    public static Snapshot decode(byte[] value) throws IOException {
        Checkpoint c = CheckpointFormat.decode(value);
        EnergyFunction model = Models.build(Models.shapeOf(c.metadata()), 0);
        Models.load(model, c.arrays());
        return new Snapshot(c.step(), c.recordsSeen(), model, calibration(c));
    }

    /**
     * The calibration section of a decoded snapshot, checked entry by entry.
     *
     * @throws IOException naming what is wrong with a section that is present
     */
    static Optional<EnergyPercentiles> calibration(Checkpoint c) throws IOException {
        byte[] section = c.sections().get(CALIBRATION_SECTION);
        return section == null ? Optional.empty() : Optional.of(EnergyPercentiles.decode(section));
    }
}
