package io.streamebm.pipeline;

import java.io.PrintStream;

/**
 * The process-wide answer to a fatal {@link Error} (an {@link OutOfMemoryError}, a
 * {@link StackOverflowError}, a linkage failure): print one line and halt with
 * {@link #EXIT_CODE}.
 *
 * <p>Why halt: after such an error the JVM's state cannot be trusted, and the non-daemon Kafka and
 * scheduler threads would keep a half-dead process alive for ever (the hang issue 11 reports).
 * Shutdown hooks are skipped on purpose: a clean stop that needs memory or a lock the failed
 * thread held would hang too. Nothing is lost that a crash would not lose: the model state is
 * exactly-once through checkpoints, and uncommitted input is read again.
 */
public final class FatalErrors {

    /**
     * Exit code after a fatal error. (The JVM's own {@code -XX:+ExitOnOutOfMemoryError}, the net
     * for errors that some code catches before they reach this handler, exits with 3.)
     */
    public static final int EXIT_CODE = 5;

    private FatalErrors() {
    }

    /**
     * Makes every thread's uncaught {@link Error} fatal. Uncaught exceptions that are not errors
     * keep the JVM's default treatment (a stack trace; the thread ends).
     */
    public static void install(PrintStream err) {
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            Error fatal = fatalIn(e);
            if (fatal != null) {
                halt(err, thread, fatal);
            } else if (previous != null) {
                previous.uncaughtException(thread, e);
            } else {
                thread.getThreadGroup().uncaughtException(thread, e);
            }
        });
    }

    /** The fatal error in {@code t}'s cause chain (Reactor wraps errors it carries), or null. */
    public static Error fatalIn(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof VirtualMachineError || c instanceof LinkageError) {
                return (Error) c;
            }
        }
        return t instanceof Error e ? e : null;
    }

    /** Prints one line naming the error and the thread, then halts the JVM with {@link #EXIT_CODE}. */
    public static void halt(PrintStream err, Thread thread, Error e) {
        err.println("streamebm: fatal " + e.getClass().getSimpleName() + " on thread " + thread.getName() + ": "
                + e.getMessage() + "; exiting with code " + EXIT_CODE);
        err.flush();
        Runtime.getRuntime().halt(EXIT_CODE);
    }
}
