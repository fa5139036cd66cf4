package io.streamebm.pipeline.train;

import io.streamebm.pipeline.config.UsageError;

/** A checkpoint exists but was made by a differently shaped model; training refuses to load it. */
public final class IncompatibleCheckpointException extends RuntimeException implements UsageError {

    /** @param message which settings differ, and how to proceed */
    public IncompatibleCheckpointException(String message) {
        super(message);
    }
}
