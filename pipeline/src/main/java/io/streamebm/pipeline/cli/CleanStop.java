package io.streamebm.pipeline.cli;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C and SIGTERM as a clean stop: the JVM's shutdown hook asks the running job to stop, then
 * waits until the job has finished its own shutdown (last checkpoint, offsets committed) before
 * the JVM may exit.
 *
 * <p>A clean stop that hangs (a broker gone, a disk stalled) must not keep the process alive: an
 * orchestrator would wait and then SIGKILL anyway. So a watchdog halts the JVM with
 * {@link #TIMEOUT_EXIT_CODE} and one line once the stop has taken longer than its timeout.
 */
final class CleanStop {

    /** Exit code when the clean stop did not finish in time. */
    static final int TIMEOUT_EXIT_CODE = 4;

    /** The timeout of commands without a configuration. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private CleanStop() {
    }

    /** {@link #run(Runnable, Callable, Duration)} with the {@linkplain #DEFAULT_TIMEOUT default timeout}. */
    static <T> T run(Runnable stop, Callable<T> body) throws Exception {
        return run(stop, body, DEFAULT_TIMEOUT);
    }

    /**
     * Runs {@code body}; a shutdown signal meanwhile calls {@code stop} and waits for {@code body}
     * to end, at most {@code timeout}, then halts the JVM.
     */
    static <T> T run(Runnable stop, Callable<T> body, Duration timeout) throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            // Armed before stop.run(): stop itself may be what hangs.
            Thread watchdog = new Thread(() -> {
                try {
                    if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                        System.err.println("streamebm: the clean stop did not finish within " + timeout.toSeconds()
                                + " s; halting with code " + TIMEOUT_EXIT_CODE);
                        System.err.flush();
                        Runtime.getRuntime().halt(TIMEOUT_EXIT_CODE);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "streamebm-stop-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
            stop.run();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "streamebm-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return body.call();
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is already running the hook: nothing to remove.
            }
        }
    }
}
