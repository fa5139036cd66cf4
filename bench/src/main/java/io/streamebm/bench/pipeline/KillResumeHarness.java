package io.streamebm.bench.pipeline;

import io.streamebm.connectors.KafkaSender;
import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.codec.Float32SampleCodec;
import io.streamebm.datasets.Datasets;
import io.streamebm.pipeline.app.KafkaParts;
import io.streamebm.pipeline.app.SyntheticProducer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Time from start to the first update, and from SIGKILL to resumed training: runs
 * {@code streamebm train} as a child process (PCD-10, 2→128→128→1 MLP), kills it with SIGKILL
 * after a few seconds of training, restarts it, and times both starts. The trainer runs at its
 * defaults: the static group membership that lets a restart resume at once is derived from the host
 * and the checkpoint directory, with nothing set here.
 *
 * <pre>
 *   OMP_NUM_THREADS=1 java -cp bench/target/benchmarks.jar io.streamebm.bench.pipeline.KillResumeHarness
 * </pre>
 */
public final class KillResumeHarness {

    private KillResumeHarness() {
    }

    /** Runs the measurement and prints the two times. */
    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("streamebm-kill");
        try (LocalKafkaBroker broker = LocalKafkaBroker.start(0, work.resolve("broker"), Map.of())) {
            broker.createTopic("ebm.samples", 3);
            try (KafkaSender sender = KafkaParts.sender(broker.bootstrapServers(), "kill-bench-producer")) {
                new SyntheticProducer(sender, "ebm.samples", Float32SampleCodec.INSTANCE,
                        Datasets.stream("eight-gaussians", 5)::next).run(300_000, 0);
            }
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                    "-cp", System.getProperty("java.class.path"), "io.streamebm.pipeline.StreamEbmCli", "train",
                    "--bootstrap-server", broker.bootstrapServers(), "--topic", "ebm.samples", "--group", "kill-bench",
                    "--checkpoint-dir", work.resolve("checkpoints").toString(), "--metrics-port", "0",
                    "--set", "checkpoint.every-steps=20");
            long s0 = System.nanoTime();
            Process first = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            BufferedReader in1 = reader(first);
            await(in1, "first update");
            System.out.printf("start to first update (fresh JVM, process spawn included): %d ms%n",
                    (System.nanoTime() - s0) / 1_000_000);
            Thread.sleep(5000);
            first.destroyForcibly();
            first.waitFor();
            long k0 = System.nanoTime();
            Process second = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            BufferedReader in2 = reader(second);
            String resumed = await(in2, "resumed from checkpoint");
            await(in2, "first update");
            System.out.printf("SIGKILL to resumed training (restart, checkpoint load, group join, first update): %d ms%n",
                    (System.nanoTime() - k0) / 1_000_000);
            System.out.println("  " + resumed);
            second.destroy();
            second.waitFor();
        }
    }

    private static BufferedReader reader(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    private static String await(BufferedReader in, String marker) throws Exception {
        String line;
        while ((line = in.readLine()) != null) {
            if (line.contains(marker)) {
                return line;
            }
        }
        throw new IllegalStateException("the trainer exited before printing '" + marker + "'");
    }
}
