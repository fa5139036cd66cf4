package io.streamebm.pipeline.checkpoint;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Durable storage of trainer checkpoints.
 *
 * <p>Contract: when {@link #save} returns, the checkpoint survives a crash of the process or the
 * machine; a crash during {@code save} leaves either the previous set of checkpoints or the new
 * one, never a half-written checkpoint that {@link #loadLatest} would trust. {@link #loadLatest}
 * returns the newest checkpoint that passes its integrity check, reporting every newer one it had
 * to skip to the {@link Listener}.
 */
public interface CheckpointStore {

    /** Writes {@code checkpoint} durably and prunes old ones beyond the retention count. */
    void save(Checkpoint checkpoint) throws IOException;

    /** The newest valid checkpoint, if any. */
    Optional<Checkpoint> loadLatest() throws IOException;

    /** Identifiers of the stored checkpoints, newest first. */
    List<String> list() throws IOException;

    /** Told about checkpoints that could not be trusted and were skipped. */
    @FunctionalInterface
    interface Listener {
        /** {@code id} was skipped because of {@code reason}. */
        void skipped(String id, String reason);
    }
}
