package io.streamebm.pipeline.config;

/**
 * An error the user fixes by changing how the command is called (a wrong value, a checkpoint of
 * another model): the command line reports its message alone, without a stack trace, and exits
 * with code 2.
 */
public interface UsageError {

    /** The complete, human-readable explanation. */
    String getMessage();
}
