package io.streamebm.bench.pipeline;

import io.streamebm.connectors.KafkaSender;
import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.codec.Float32SampleCodec;
import io.streamebm.datasets.DatasetStream;
import io.streamebm.datasets.Datasets;
import io.streamebm.pipeline.app.KafkaParts;
import io.streamebm.pipeline.app.SyntheticProducer;
import io.streamebm.pipeline.app.TrainingJob;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.train.EbmLearner;
import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * End-to-end training throughput: PCD-10 on the 2→128→128→1 SiLU MLP with micro-batches of 256,
 * through the whole pipeline (local broker, receiver, decoding, trainer, checkpoints, metrics)
 * beside the standalone learner on the same batch size in the same JVM. Also reports resident
 * memory at the start and the end of the pipeline run, and the time to the first update.
 *
 * <pre>
 *   mvn -q -B -DskipTests install &amp;&amp; OMP_NUM_THREADS=1 java -Xmx1g -cp bench/target/benchmarks.jar \
 *       io.streamebm.bench.pipeline.PipelineThroughputHarness [records, default 1000000]
 * </pre>
 */
public final class PipelineThroughputHarness {

    private PipelineThroughputHarness() {
    }

    /** Runs the comparison and prints one line per measurement. */
    public static void main(String[] args) throws Exception {
        long records = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000L;
        Path work = Files.createTempDirectory("streamebm-bench");
        Map<String, String> settings = new HashMap<>(Map.of(
                "model.hidden", "128,128",
                "loss.type", "pcd",
                "loss.chains", "1000",
                "loss.k", "10",
                "batch.max-size", "256",
                "checkpoint.dir", work.resolve("checkpoints").toString(),
                "checkpoint.every-steps", "200",
                "metrics.port", "0",
                "snapshot.topic", ""));

        // Standalone: the same learner on in-memory batches.
        PipelineConfig standaloneConfig = PipelineConfig.parse(Map.of(), settings);
        EbmLearner standalone = new EbmLearner(standaloneConfig);
        DatasetStream data = Datasets.stream("eight-gaussians", 3);
        for (int i = 0; i < 50; i++) {
            standalone.update(data.nextBatch(256));
        }
        int steps = 600;
        INDArray[] batches = new INDArray[steps];
        for (int i = 0; i < steps; i++) {
            batches[i] = data.nextBatch(256);
        }
        long t0 = System.nanoTime();
        for (INDArray b : batches) {
            standalone.update(b);
        }
        double standaloneRate = steps * 256 / ((System.nanoTime() - t0) / 1e9);
        System.out.printf("standalone trainer: %.0f records/s (%.2f ms per step of 256)%n", standaloneRate,
                (System.nanoTime() - t0) / 1e6 / steps);

        try (LocalKafkaBroker broker = LocalKafkaBroker.start(0, work.resolve("broker"), Map.of())) {
            String topic = "ebm.samples";
            broker.createTopic(topic, 3);
            long p0 = System.nanoTime();
            try (KafkaSender sender = KafkaParts.sender(broker.bootstrapServers(), "bench-producer")) {
                new SyntheticProducer(sender, topic, Float32SampleCodec.INSTANCE, Datasets.stream("eight-gaussians", 4)::next)
                        .run(records, 0);
            }
            System.out.printf("produced %d records in %.1f s%n", records, (System.nanoTime() - p0) / 1e9);

            settings.put("kafka.bootstrap-servers", broker.bootstrapServers());
            PipelineConfig config = PipelineConfig.parse(Map.of(), settings);
            long rssStart = rssKb();
            long start = System.nanoTime();
            Thread sampler = new Thread(() -> {
                try {
                    while (true) {
                        Thread.sleep(5000);
                        System.out.printf("  t=%3.0f s  RSS %d MB  heap used %d MB%n", (System.nanoTime() - start) / 1e9,
                                rssKb() / 1024, (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
                    }
                } catch (InterruptedException | IOException e) {
                    // stop sampling
                }
            }, "rss-sampler");
            sampler.setDaemon(true);
            sampler.start();
            TrainingJob.Summary summary;
            try (TrainingJob job = new TrainingJob(config, new PrintStream(OutputStream.nullOutputStream()))) {
                summary = job.run(records);
            }
            long end = System.nanoTime();
            sampler.interrupt();
            long rssEnd = rssKb();
            // From the first update on: start-up (ND4J, group join) is reported separately.
            double pipelineRate = summary.recordsSeen() / (summary.training().toNanos() / 1e9);
            System.out.printf("pipeline: %d records, %d steps in %.1f s; %.0f records/s (%.0f%% of standalone);"
                    + " first update %d ms after the consumer started%n",
                    summary.recordsSeen(), summary.steps(), (end - start) / 1e9, pipelineRate,
                    100 * pipelineRate / standaloneRate, summary.untilFirstUpdate().toMillis());
            double meanStepMs = summary.history().stream().mapToLong(r -> r.stepDuration().toNanos()).average().orElse(0) / 1e6;
            System.out.printf("trainer thread: mean update %.2f ms (standalone %.2f ms), busy ≈ %.0f%% of the training time%n",
                    meanStepMs, 256 * 1000.0 / standaloneRate,
                    100 * meanStepMs * summary.steps() / summary.training().toMillis());
            System.out.printf("resident memory: %d MB at the start of the pipeline run, %d MB at the end%n",
                    rssStart / 1024, rssEnd / 1024);
        }
    }

    private static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
