package io.streamebm.pipeline.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * Ctrl-C and SIGTERM as a clean stop: the JVM's shutdown hook asks the running job to stop, then
 * waits until the job has finished its own shutdown (last checkpoint, offsets committed) before
 * the JVM may exit.
 */
final class CleanStop {

    private CleanStop() {
    }

    /** Runs {@code body}; a shutdown signal meanwhile calls {@code stop} and waits for {@code body} to end. */
    static <T> T run(Runnable stop, Callable<T> body) throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
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
