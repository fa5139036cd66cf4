package io.streamebm.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An {@link OutOfMemoryError} on a worker thread, while a non-daemon thread (like Kafka's) keeps
 * the JVM alive, ends the process with one line and exit code 5 instead of a hang.
 */
class FatalErrorsTest {

    /** The child: the handler the CLI installs, a thread that would keep the JVM alive, a fatal error. */
    public static void main(String[] args) throws Exception {
        FatalErrors.install(System.err);
        Thread keepAlive = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException ignored) {
                    // like a client thread that outlives the failure
                }
            }
        }, "keep-alive");
        keepAlive.start();
        Thread worker = new Thread(() -> {
            throw new OutOfMemoryError("Java heap space");
        }, "probe-worker");
        worker.start();
        worker.join();
    }

    @Test
    void aFatalErrorOnAnyThreadExitsWithOneLineAndCodeFive() throws Exception {
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), FatalErrorsTest.class.getName()))
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "the child hung after a fatal error");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(FatalErrors.EXIT_CODE, p.exitValue(), out);
        assertEquals("streamebm: fatal OutOfMemoryError on thread probe-worker: Java heap space; exiting with code 5\n", out);
    }
}
