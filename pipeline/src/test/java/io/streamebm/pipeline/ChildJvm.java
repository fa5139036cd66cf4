package io.streamebm.pipeline;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Child JVMs on the test classpath, for faults that need a process of their own: a SIGKILLed
 * trainer or broker. Output goes through one pipe (stderr merged) that is read, and once the
 * awaited line has come, drained on a daemon thread so the child never blocks on a full pipe.
 */
public final class ChildJvm {

    private ChildJvm() {
    }

    /**
     * Starts {@code mainClass} with {@code args} in a JVM of 512 MB heap, one OpenMP thread.
     *
     * @param systemProperties {@code -D} settings, such as {@code streamebm.fault=step@3}
     */
    public static Process start(List<String> systemProperties, String mainClass, List<String> args) throws IOException {
        List<String> options = new ArrayList<>(List.of("-Xmx512m"));
        for (String p : systemProperties) {
            options.add("-D" + p);
        }
        return command(options, mainClass, args).start();
    }

    /**
     * The process of {@code mainClass} with {@code jvmOptions} and {@code args} on this test's class
     * path, output and errors in one pipe, one OpenMP thread.
     */
    public static ProcessBuilder command(List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        return pb;
    }

    /** Reads the child's output until a line contains {@code marker}; fails with the output if it exits first. */
    public static String awaitLine(Process p, String marker, String what) throws IOException {
        return awaitLine(p, line -> line.contains(marker), what + " ('" + marker + "')");
    }

    /** Reads the child's output until a line matches; fails with the output if it exits first. */
    public static String awaitLine(Process p, Predicate<String> match, String what) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            seen.append(line).append('\n');
            if (match.test(line)) {
                Thread drain = new Thread(() -> {
                    try {
                        while (in.readLine() != null) {
                            // discard
                        }
                    } catch (IOException ignored) {
                        // the child is being killed
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return line;
            }
        }
        fail(what + ": the child exited first. Output:\n" + seen);
        return null;
    }
}
