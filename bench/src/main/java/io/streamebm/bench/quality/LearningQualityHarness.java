package io.streamebm.bench.quality;

import io.streamebm.bench.HarnessArgs;
import io.streamebm.datasets.DatasetStream;
import io.streamebm.eval.GridDensity;
import io.streamebm.pipeline.checkpoint.Checkpoint;
import io.streamebm.pipeline.checkpoint.CheckpointStore;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.quality.KnownDensity;
import io.streamebm.pipeline.quality.ProbedLearner;
import io.streamebm.pipeline.quality.QualityProbe;
import io.streamebm.pipeline.train.EbmLearner;
import io.streamebm.pipeline.train.InputBatch;
import io.streamebm.pipeline.train.OnlineTrainer;
import io.streamebm.pipeline.train.TrainerListener;
import io.streamebm.pipeline.train.TrainerOptions;
import io.streamebm.telemetry.StepRecord;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;

/**
 * How well the pipeline's defaults learn: trains through {@link OnlineTrainer} and
 * {@link EbmLearner} (the code {@code streamebm train} runs, rollback guard included) on in-memory
 * batches of 256 records of each known 2-D dataset, for each loss, and reports the grid total
 * variation to the true density ({@link KnownDensity}) after a number of records. The long-run
 * mode reports divergences, rollbacks per 1,000 steps and the mean data energy at start and end.
 *
 * <pre>
 *   OMP_NUM_THREADS=1 java -Xmx1g -cp bench/target/benchmarks.jar io.streamebm.bench.quality.LearningQualityHarness \
 *       [--records 400000] [--datasets eight-gaussians,checkerboard,two-moons,pinwheel] \
 *       [--losses cd,pcd,sm,ssm,dsm,nce] [--seed 42] [--set key=value]... [--long] [--export-truth DIR]
 * </pre>
 *
 * <p>{@code --long} trains pcd (or the first of {@code --losses}) on the first dataset and prints
 * its stability figures. {@code --export-truth DIR} writes each dataset's grid and true cell
 * masses as CSV for {@code bench/pytorch/pcd_baseline.py} and exits.
 */
public final class LearningQualityHarness {

    private static final int BATCH = 256;

    private LearningQualityHarness() {
    }

    /** Parses the arguments and runs the table, the long run, or the export. */
    public static void main(String[] args) throws Exception {
        long records = 400_000;
        List<String> datasets = KnownDensity.NAMES;
        List<String> losses = List.of("cd", "pcd", "sm", "ssm", "dsm", "nce");
        long seed = 42;
        boolean longRun = false;
        Path export = null;
        Map<String, String> overrides = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--records" -> records = Long.parseLong(args[++i]);
                case "--datasets" -> datasets = List.of(args[++i].split(","));
                case "--losses" -> losses = List.of(args[++i].split(","));
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--long" -> longRun = true;
                case "--export-truth" -> export = Path.of(args[++i]);
                case "--set" -> {
                    HarnessArgs.put(overrides, args[++i]);
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (export != null) {
            exportTruth(export, datasets);
            return;
        }
        System.out.printf("records %d, seed %d, overrides %s%n", records, seed, overrides);
        for (String dataset : datasets) {
            KnownDensity known = KnownDensity.of(dataset)
                    .orElseThrow(() -> new IllegalArgumentException("no known density for " + dataset));
            for (String loss : losses) {
                Result r = train(known, loss, records, seed, overrides);
                System.out.printf(Locale.ROOT, "%-16s %-4s TV %.3f | steps %d, rollbacks %d (%.2f per 1000 steps)"
                                + " | mean E+ first 100 steps %.2f, last 100 %.2f, max |E+| %.2f | %.1f s"
                                + " | probe: %d x MMD, last %.4f, %.2f ms each, %.1f%% of the run%n",
                        dataset, loss, r.tv, r.steps, r.rollbacks, 1000.0 * r.rollbacks / Math.max(1, r.steps),
                        r.energyStart, r.energyEnd, r.maxAbsEnergy, r.seconds, r.probes, r.lastMmd,
                        r.probeNanos / 1e6 / Math.max(1, r.probes), 100 * r.probeNanos / 1e9 / r.seconds);
                if (r.modeMass != null) {
                    System.out.printf(Locale.ROOT, "%-16s %-4s mass within 0.5 of each of the 8 centres (truth 12.5%% each):"
                            + " min %.1f%%, max %.1f%%, total %.1f%%%n", dataset, loss, 100 * r.modeMass[0],
                            100 * r.modeMass[1], 100 * r.modeMass[2]);
                }
                if (longRun) {
                    return;
                }
            }
        }
    }

    /** What one training run measured. */
    record Result(double tv, long steps, long rollbacks, double energyStart, double energyEnd, double maxAbsEnergy,
            double seconds, int probes, double lastMmd, long probeNanos, double[] modeMass) {
    }

    static Result train(KnownDensity known, String loss, long records, long seed, Map<String, String> overrides) {
        Map<String, String> settings = new LinkedHashMap<>(overrides);
        settings.put("loss.type", loss);
        settings.putIfAbsent("seed", Long.toString(seed));
        PipelineConfig config = PipelineConfig.parse(Map.of(), settings);
        EbmLearner learner = new EbmLearner(config);
        TrainerOptions options = TrainerOptions.builder()
                .maxBatchSize(BATCH)
                .maxWait(Duration.ofSeconds(10))
                .checkpointEverySteps(Integer.MAX_VALUE)
                .checkpointInterval(Duration.ofDays(1))
                .snapshotEverySteps(Integer.MAX_VALUE)
                .goodStateEverySteps(config.integer("divergence.good-state-every"))
                .energyBound(config.number("divergence.energy-bound"))
                .reaction(config.choice("divergence.reaction", TrainerOptions.Reaction.class))
                .learningRateFactor(config.number("divergence.lr-factor"))
                .learningRateRecoverySteps(config.integer("divergence.lr-recovery-steps"))
                .build();
        DatasetStream data = known.stream().apply(seed + 100);
        long batches = (records + BATCH - 1) / BATCH;
        AtomicLong position = new AtomicLong();
        Flux<InputBatch> input = Flux.<InputBatch>generate(sink -> {
            List<InputBatch.Sample> samples = new ArrayList<>(BATCH);
            for (int i = 0; i < BATCH; i++) {
                long p = position.getAndIncrement();
                samples.add(new InputBatch.Sample("data-0", p, data.next()));
            }
            sink.next(new InputBatch(samples, Map.of("data-0", position.get()), () -> { }));
        }).take(batches);
        // The quality probe as `train` attaches it (MMD only: a generic stream has no known density).
        List<QualityProbe.Measurement> probes = new ArrayList<>();
        int every = Math.max(1, config.integer("quality.every-steps"));
        QualityProbe probe = new QualityProbe(every, config.integer("quality.window"), learner.model(),
                learner::persistentChains, config.number("sampler.step-size"), null, seed + 3, probes::add);
        long[] stepNow = {0};
        ProbedLearner probed = new ProbedLearner(learner, probe, () -> stepNow[0] + 1);
        long[] rollbacks = {0};
        double[] energy = {0, 0, 0};
        List<Double> last = new ArrayList<>();
        long t0 = System.nanoTime();
        try (OnlineTrainer trainer = new OnlineTrainer(probed, new NoStore(), options, new TrainerListener() { })) {
            trainer.train(input).doOnNext(r -> {
                stepNow[0] = r.step();
                if (r.outcome() == StepRecord.Outcome.ROLLED_BACK) {
                    rollbacks[0]++;
                    return;
                }
                double e = r.diagnostics().energyPositive();
                if (r.step() <= 100) {
                    energy[0] += e / 100;
                }
                energy[2] = Math.max(energy[2], Math.abs(e));
                last.add(e);
                if (last.size() > 100) {
                    last.remove(0);
                }
            }).blockLast();
            double seconds = (System.nanoTime() - t0) / 1e9;
            GridDensity learned = trainer.onThread(() -> known.densityOf(learner.model()));
            double tv = learned.totalVariation(known.truth());
            double[] modeMass = known.name().equals("eight-gaussians") ? modeMass(learned) : null;
            energy[1] = last.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            long probeNanos = probes.stream().mapToLong(QualityProbe.Measurement::nanos).sum();
            double lastMmd = probes.isEmpty() ? Double.NaN : probes.get(probes.size() - 1).mmd();
            return new Result(tv, trainer.step(), rollbacks[0], energy[0], energy[1], energy[2], seconds, probes.size(),
                    lastMmd, probeNanos, modeMass);
        }
    }

    /**
     * The learned mass near each of the eight centres (radius 0.5 = 5 std): {min, max, total}.
     * Score matching sees only ∇E, so it fits each mode's shape but not how much mass it gets.
     */
    private static double[] modeMass(GridDensity g) {
        double[][] p = g.probabilities();
        double[] mass = new double[8];
        for (int i = 0; i < g.resolution(); i++) {
            for (int j = 0; j < g.resolution(); j++) {
                for (int k = 0; k < 8; k++) {
                    double a = Math.PI / 4 * k;
                    double dx = g.x(i) - 2 * Math.cos(a);
                    double dy = g.y(j) - 2 * Math.sin(a);
                    if (dx * dx + dy * dy < 0.25) {
                        mass[k] += p[i][j];
                    }
                }
            }
        }
        double min = 1;
        double max = 0;
        double total = 0;
        for (double m : mass) {
            min = Math.min(min, m);
            max = Math.max(max, m);
            total += m;
        }
        return new double[] {min, max, total};
    }

    private static void exportTruth(Path dir, List<String> datasets) throws IOException {
        Files.createDirectories(dir);
        for (String name : datasets) {
            KnownDensity k = KnownDensity.of(name).orElseThrow();
            GridDensity t = k.truth();
            double[][] p = t.probabilities();
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(dir.resolve(name + ".csv")))) {
                w.printf(Locale.ROOT, "# %s xmin=%s xmax=%s ymin=%s ymax=%s resolution=%d; rows i (x), columns j (y),"
                        + " cell probability masses%n", name, k.xMin(), k.xMax(), k.yMin(), k.yMax(), k.resolution());
                for (double[] row : p) {
                    StringBuilder sb = new StringBuilder();
                    for (int j = 0; j < row.length; j++) {
                        sb.append(j == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.6e", row[j]));
                    }
                    w.println(sb);
                }
            }
            System.out.println("wrote " + dir.resolve(name + ".csv"));
        }
    }

    /** Keeps nothing: the harness never restarts, and disk writes would only add noise. */
    private static final class NoStore implements CheckpointStore {
        @Override
        public void save(Checkpoint checkpoint) {
        }

        @Override
        public Optional<Checkpoint> loadLatest() {
            return Optional.empty();
        }

        @Override
        public List<String> list() {
            return List.of();
        }
    }
}
