package io.streamebm.pipeline.packaged;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the application as {@code bin/streamebm} does: from the packaged jar and the runtime
 * classpath copied to {@code target/lib}, in a JVM of its own. Unit tests run on Maven's test
 * classpath, which can hold jars that {@code target/lib} lacks; these checks cannot be fooled
 * that way. They run in {@code verify}, after {@code package}.
 */
class PackagedApplicationIT {

    private static final Path TARGET = Path.of("target");
    private static final Path APP_JAR = TARGET.resolve("streamebm-pipeline.jar");
    private static final Path LIB = TARGET.resolve("lib");

    @Test
    @Timeout(180)
    void brokerStartsFromThePackagedRuntimeClasspath(@TempDir Path data) throws Exception {
        Process broker = start(classpath(runtimeJars()), "broker", "--port", "0", "--data-dir", data.toString());
        try (BufferedReader out = new BufferedReader(new InputStreamReader(broker.getInputStream(), StandardCharsets.UTF_8))) {
            List<String> seen = new ArrayList<>();
            String line;
            boolean ready = false;
            while ((line = out.readLine()) != null) {
                seen.add(line);
                if (line.startsWith("broker ready at 127.0.0.1:")) {
                    ready = true;
                    break;
                }
            }
            assertTrue(ready, "the packaged broker never became ready; it printed:\n" + String.join("\n", seen));
        } finally {
            broker.destroy();
            if (!broker.waitFor(60, TimeUnit.SECONDS)) {
                broker.destroyForcibly();
            }
        }
    }

    @Test
    @Timeout(180)
    void aPlatformWithoutNd4jNativesGetsOneLineAndExitCodeOne(@TempDir Path checkpoints) throws Exception {
        List<Path> withoutNatives = runtimeJars().stream()
                .filter(p -> !p.getFileName().toString().matches("nd4j-native-\\d.*-(linux|macosx|windows)-.*\\.jar"))
                .toList();
        assertEquals(runtimeJars().size() - 1, withoutNatives.size(), "expected exactly one ND4J native jar in target/lib");

        Process train = start(classpath(withoutNatives), "train", "--bootstrap-server", "127.0.0.1:1",
                "--metrics-port", "0", "--checkpoint-dir", checkpoints.toString());
        assertTrue(train.waitFor(120, TimeUnit.SECONDS), "train did not exit");
        String output = new String(train.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();

        assertEquals(1, train.exitValue(), output);
        assertEquals(1, lines.size(), "expected one line, got:\n" + output);
        assertTrue(lines.get(0).startsWith("streamebm"), output);
        assertTrue(lines.get(0).contains("ND4J's native library cannot be loaded on "), output);
        assertTrue(lines.get(0).contains("linux-arm64"), "the line names the supported platforms: " + output);
        assertFalse(output.contains("\tat "), "no stack trace: " + output);
    }

    private static List<Path> runtimeJars() throws IOException {
        assertTrue(Files.isRegularFile(APP_JAR), APP_JAR + " is missing: run after package");
        try (Stream<Path> jars = Files.list(LIB)) {
            return jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        }
    }

    private static String classpath(List<Path> lib) {
        return Stream.concat(Stream.of(APP_JAR), lib.stream()).map(Path::toString)
                .collect(Collectors.joining(File.pathSeparator));
    }

    private static Process start(String classpath, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", classpath, "io.streamebm.pipeline.StreamEbmCli"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        return pb.start();
    }
}
