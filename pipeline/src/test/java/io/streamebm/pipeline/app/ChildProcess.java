package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.streamebm.pipeline.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@code streamebm} command run as a child JVM, its output collected by a thread of its own so
 * that waiting for a line can give up (a hung child must fail the test, not hang it).
 */
final class ChildProcess implements AutoCloseable {

    /** How long to wait for an expected line: a generous bound, not a measured timing. */
    private static final Duration PATIENCE = Duration.ofMinutes(2);

    final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuffer seen = new StringBuffer();

    private ChildProcess(Process process) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    seen.append(line).append('\n');
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the child ended
            }
        });
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code StreamEbmCli} with {@code args} on this test's class path. */
    static ChildProcess start(List<String> jvmOptions, List<String> args) throws IOException {
        ProcessBuilder pb = ChildJvm.command(jvmOptions, "io.streamebm.pipeline.StreamEbmCli", args);
        pb.environment().remove("STREAMEBM_SNAPSHOT_KEY");
        return new ChildProcess(pb.start());
    }

    /** The next line containing {@code marker}; fails with the output if none comes in time. */
    String awaitLine(String marker) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < deadline) {
            String line = lines.poll(200, TimeUnit.MILLISECONDS);
            if (line != null && line.contains(marker)) {
                return line;
            }
        }
        fail("no line with '" + marker + "' from the child. Output:\n" + seen);
        return null;
    }

    /** Sends SIGTERM ({@link Process#destroy()} would also close the output still to be read). */
    void sigterm() throws IOException, InterruptedException {
        signal("TERM");
    }

    /** Sends the signal {@code name} ({@code STOP} freezes the child, {@code CONT} wakes it). */
    void signal(String name) throws IOException, InterruptedException {
        assertEquals(0, new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor());
    }

    /** Whether the child ended in time. */
    boolean ended() throws InterruptedException {
        return process.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }

    /** Everything the child printed so far. */
    String output() {
        return seen.toString();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
