package io.streamebm.pipeline.train;

/** An update that was not applied (a non-finite loss or gradient); the learner's state is unchanged. */
public final class RejectedUpdateException extends RuntimeException {

    /** @param message what was wrong, with the diagnostics at hand */
    public RejectedUpdateException(String message, Throwable cause) {
        super(message, cause);
    }
}
