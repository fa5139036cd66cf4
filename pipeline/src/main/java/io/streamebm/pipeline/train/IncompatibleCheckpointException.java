package io.streamebm.pipeline.train;

import io.streamebm.pipeline.checkpoint.Checkpoint;
import io.streamebm.pipeline.config.UsageError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A checkpoint exists but was made by a different model; training refuses to load it. */
public final class IncompatibleCheckpointException extends RuntimeException implements UsageError {

    /** @param message which settings differ, and how to proceed */
    public IncompatibleCheckpointException(String message) {
        super(message);
    }

    /**
     * Refuses {@code checkpoint} unless its metadata holds every entry of {@code architecture}
     * with the same value.
     *
     * @param architecture the learner's {@link Learner#architecture()}
     * @throws IncompatibleCheckpointException naming every setting that differs
     */
    static void requireSameModel(Checkpoint checkpoint, Map<String, String> architecture) {
        List<String> mismatches = new ArrayList<>();
        for (Map.Entry<String, String> e : architecture.entrySet()) {
            String found = checkpoint.metadata().get(e.getKey());
            if (!e.getValue().equals(found)) {
                mismatches.add(e.getKey() + ": checkpoint has " + found + ", configuration has " + e.getValue());
            }
        }
        if (!mismatches.isEmpty()) {
            throw new IncompatibleCheckpointException("the checkpoint at step " + checkpoint.step() + " in "
                    + "the checkpoint directory was made by a different model (" + String.join("; ", mismatches)
                    + "). Use another checkpoint directory, or start afresh with --fresh-start");
        }
    }
}
