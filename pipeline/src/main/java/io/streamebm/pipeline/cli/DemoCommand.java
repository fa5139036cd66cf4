package io.streamebm.pipeline.cli;

import io.streamebm.connectors.KafkaSender;
import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.codec.JsonSampleCodec;
import io.streamebm.datasets.DatasetStream;
import io.streamebm.datasets.Datasets;
import io.streamebm.pipeline.app.KafkaParts;
import io.streamebm.pipeline.app.SyntheticProducer;
import io.streamebm.pipeline.app.TrainingJob;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.quality.KnownDensity;
import io.streamebm.pipeline.quality.QualityProbe;
import io.streamebm.pipeline.report.Plots;
import io.streamebm.telemetry.StepRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamebm demo}: the main job on an embedded default. Starts a local broker, streams a
 * synthetic 2-D dataset into it, trains PCD on an MLP energy with live metrics and a quality probe
 * (MMD, and grid TV for the known datasets), and at the end writes PNG plots of the learned
 * log-density, of the training curves and of the quality over time.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the demo: a local broker, a data stream, training and metrics.",
            "Starts a local Kafka broker (unless --bootstrap-server is given), streams a 2-D dataset into it, "
                + "trains PCD on an MLP energy online, serves metrics at http://127.0.0.1:9404/metrics, and writes "
                + "PNG plots to --out at the end (after --records records, or on Ctrl-C)."})
public final class DemoCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions options;

    @Mixin
    TopicOptions topics;

    @Mixin
    TrainingOptions training;

    @Option(names = "--records", paramLabel = "N", description = "records to stream and train on (default ${DEFAULT-VALUE})")
    long records = 400_000;

    @Option(names = "--rate", paramLabel = "N", description = "records per second produced (default ${DEFAULT-VALUE})")
    double rate = 40_000;

    @Option(names = "--dataset", paramLabel = "NAME", description = "one of: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})",
            completionCandidates = ProduceCommand.DatasetNames.class)
    String dataset = "eight-gaussians";

    @Option(names = "--out", paramLabel = "DIR", description = "output directory for plots and checkpoints (default ${DEFAULT-VALUE})")
    Path out = Path.of("demo-out");

    @Override
    public Integer call() throws Exception {
        String dataset = ProduceCommand.datasetName(this.dataset);
        Path checkpoints = out.resolve("checkpoints");
        Map<String, Object> flags = new LinkedHashMap<>(topics.flags());
        flags.putAll(training.flags());
        // Validated before the broker starts, so that a wrong value fails at once. Without
        // --bootstrap-server the embedded broker is the cluster, whatever a configuration file says.
        boolean embedded = options.bootstrapServer == null;
        // A placeholder until the embedded broker runs and tells its address.
        flags.put("kafka.bootstrap-servers", embedded ? "127.0.0.1:9092" : null);
        PipelineConfig config = options.resolve(Map.of(
                "kafka.group", "streamebm-demo",
                "checkpoint.dir", checkpoints.toString(),
                "model.name", "demo",
                // A denser quality curve than train's default: the demo run is short.
                "quality.every-steps", "100",
                // Grid TV to the true density when the demo streams one it knows.
                "quality.reference", KnownDensity.of(dataset).map(KnownDensity::name).orElse("none")), flags, System.err);
        Files.createDirectories(out);
        deleteRecursively(checkpoints);
        Path brokerDir = Files.createTempDirectory("streamebm-demo-broker");
        try (LocalKafkaBroker broker = embedded ? LocalKafkaBroker.start(0, brokerDir, Map.of()) : null) {
            String topic = config.string("kafka.topic");
            if (embedded) {
                config = config.with(Map.of("kafka.bootstrap-servers", broker.bootstrapServers()));
                broker.createTopic(topic, 3);
                System.out.println("local Kafka broker at " + broker.bootstrapServers() + ", topic " + topic
                        + " (3 partitions)");
            }
            return run(config, dataset, topic);
        } finally {
            deleteRecursively(brokerDir);
        }
    }

    private int run(PipelineConfig config, String dataset, String topic) throws Exception {
        try (KafkaSender sender = KafkaParts.sender(config, "streamebm-demo-producer");
                TrainingJob job = new TrainingJob(config, System.out)) {
            long dataSeed = config.longValue("seed") + 100;
            // The known datasets stream exactly the density their TV is measured against
            // (eight Gaussians with std 0.1).
            DatasetStream data = KnownDensity.of(dataset).map(k -> k.stream().apply(dataSeed))
                    .orElseGet(() -> Datasets.stream(dataset, dataSeed));
            SyntheticProducer producer = new SyntheticProducer(sender, topic, JsonSampleCodec.INSTANCE, data::next);
            Thread producing = new Thread(() -> producer.run(records, rate), "streamebm-demo-producer");
            producing.setDaemon(true);
            producing.start();
            System.out.println("streaming " + records + " records of " + dataset + " at " + (long) rate
                    + "/s; training " + config.string("loss.type") + " on " + config.string("model.type"));
            TrainingJob.Summary summary = CleanStop.run(() -> {
                producer.stop();
                job.stop();
            }, () -> {
                TrainingJob.Summary s = job.run(records);
                producer.stop();
                finalQuality = finalQuality(job, s, config);
                writePlots(job, s);
                return s;
            });
            System.out.println("demo done: " + summary.steps() + " steps, " + summary.recordsSeen()
                    + " records; " + finalQuality + "; plots in " + out.toAbsolutePath());
        }
        return 0;
    }

    private String finalQuality = "no quality measured";

    /** Measures the final model once more, so the last figure printed is of the model plotted. */
    private String finalQuality(TrainingJob job, TrainingJob.Summary summary, PipelineConfig config) {
        Optional<KnownDensity> known = KnownDensity.of(config.string("quality.reference"));
        double tv = known.isEmpty() ? Double.NaN
                : job.trainer().onThread(() -> known.get().totalVariation(job.learner().model()));
        // A run shorter than quality.every-steps has no MMD yet: say so rather than print NaN.
        String s = job.latestQuality()
                .map(q -> String.format(Locale.ROOT, "final quality: MMD(recent data, model samples) %.4f (step %d)",
                        q.mmd(), q.step()))
                .orElse(config.integer("quality.every-steps") == 0 ? "final quality: no MMD (quality.every-steps = 0)"
                        : "final quality: no MMD yet (the probe measures every " + config.integer("quality.every-steps")
                                + " updates, and this run made " + summary.steps() + ")");
        if (!Double.isNaN(tv)) {
            s += String.format(Locale.ROOT, ", grid TV to the true density %.3f", tv);
        }
        return s;
    }

    private void writePlots(TrainingJob job, TrainingJob.Summary summary) throws IOException {
        int res = 120;
        double lo = -4;
        double hi = 4;
        float[] grid = new float[res * res * 2];
        for (int i = 0; i < res; i++) {
            for (int j = 0; j < res; j++) {
                int k = (i * res + j) * 2;
                grid[k] = (float) (lo + (i + 0.5) * (hi - lo) / res);
                grid[k + 1] = (float) (lo + (j + 0.5) * (hi - lo) / res);
            }
        }
        INDArray points = Nd4j.create(grid, new long[] {res * res, 2}, DataType.FLOAT);
        double[][] results = job.trainer().onThread(() -> {
            double[] energies = job.learner().model().energyValues(points).toDoubleVector();
            INDArray samples = job.learner().sampler().sample(1000, 2, 300);
            return new double[][] {energies, samples.castTo(DataType.DOUBLE).data().asDouble()};
        });
        double[] energies = results[0];
        float[][] samples = new float[results[1].length / 2][];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = new float[] {(float) results[1][2 * i], (float) results[1][2 * i + 1]};
        }
        double cell = (hi - lo) / res;
        Plots.energyLandscape(out.resolve("energy-landscape.png"),
                "Learned log-density -E with Langevin samples, after " + summary.steps() + " steps",
                (x, y) -> {
                    int i = Math.min(res - 1, Math.max(0, (int) ((x - lo) / cell)));
                    int j = Math.min(res - 1, Math.max(0, (int) ((y - lo) / cell)));
                    return energies[i * res + j];
                }, lo, hi, res, samples);
        List<StepRecord> h = summary.history();
        double[] steps = h.stream().mapToDouble(StepRecord::step).toArray();
        Plots.curves(out.resolve("loss.png"), "Training loss", "loss",
                List.of(new Plots.Curve("loss", steps, h.stream().mapToDouble(StepRecord::loss).toArray())));
        List<QualityProbe.Measurement> q = job.qualityHistory();
        double[] qSteps = q.stream().mapToDouble(QualityProbe.Measurement::step).toArray();
        List<Plots.Curve> qualityCurves = new ArrayList<>();
        qualityCurves.add(new Plots.Curve("MMD(recent data, model samples)", qSteps,
                q.stream().mapToDouble(QualityProbe.Measurement::mmd).toArray()));
        if (q.stream().anyMatch(m -> !Double.isNaN(m.tv()))) {
            qualityCurves.add(new Plots.Curve("grid TV to the true density", qSteps,
                    q.stream().mapToDouble(QualityProbe.Measurement::tv).toArray()));
        }
        Plots.curves(out.resolve("quality.png"), "Model quality (lower is better)", "distance", qualityCurves);
        Plots.curves(out.resolve("energy-gap.png"), "Energies of data (E+) and samples (E-)", "energy",
                new ArrayList<>(List.of(
                        new Plots.Curve("E+ (data)", steps, h.stream().mapToDouble(r -> r.diagnostics().energyPositive()).toArray()),
                        new Plots.Curve("E- (samples)", steps, h.stream().mapToDouble(r -> r.diagnostics().energyNegative()).toArray()),
                        new Plots.Curve("gap E+ - E-", steps, h.stream().mapToDouble(r -> r.diagnostics().energyGap()).toArray()))));
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
