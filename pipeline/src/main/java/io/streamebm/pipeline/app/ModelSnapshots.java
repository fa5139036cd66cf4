package io.streamebm.pipeline.app;

import io.streamebm.core.EnergyFunction;
import io.streamebm.pipeline.checkpoint.Checkpoint;
import io.streamebm.pipeline.checkpoint.CheckpointFormat;
import io.streamebm.pipeline.train.Models;
import java.io.IOException;

/**
 * Model snapshots on the snapshot topic: key = model name, value = a {@link CheckpointFormat}
 * record whose step is the snapshot version, whose metadata holds the model shape, and whose
 * arrays are the parameters. Versions increase with training steps. With a signing key configured,
 * the record also carries the header {@value SnapshotSigner#HEADER} ({@link SnapshotSigner}).
 */
public final class ModelSnapshots {

    /** Content type header of snapshot records. */
    public static final String CONTENT_TYPE = "application/x-streamebm-model";

    private ModelSnapshots() {
    }

    /** A decoded snapshot: its version and a ready model. */
    public record Snapshot(long version, long recordsSeen, EnergyFunction model) {
    }

    /**
     * Decodes and verifies a snapshot value and builds the model its metadata describes. The
     * shape is taken on trust: use {@link SnapshotValidator} for values from the topic.
     */
    public static Snapshot decode(byte[] value) throws IOException {
        Checkpoint c = CheckpointFormat.decode(value);
        EnergyFunction model = Models.build(Models.shapeOf(c.metadata()), 0);
        Models.load(model, c.arrays());
        return new Snapshot(c.step(), c.recordsSeen(), model);
    }
}
