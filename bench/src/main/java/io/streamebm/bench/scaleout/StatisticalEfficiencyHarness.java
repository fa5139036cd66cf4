package io.streamebm.bench.scaleout;

import io.streamebm.bench.HarnessArgs;
import io.streamebm.datasets.DatasetStream;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.quality.KnownDensity;
import io.streamebm.pipeline.scaleout.GroupModel;
import io.streamebm.pipeline.scaleout.MergeRule;
import io.streamebm.pipeline.scaleout.Replica;
import io.streamebm.pipeline.scaleout.SyncRounds;
import io.streamebm.pipeline.train.EbmLearner;
import io.streamebm.pipeline.train.Models;
import io.streamebm.pipeline.train.RejectedUpdateException;
import io.streamebm.runtime.RandomSource;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintWriter;
import java.text.DecimalFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.stream.Collectors;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CombinedRangeXYPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Statistical efficiency of scale-out (issue 13): how many records N trainers in one group need,
 * all together, to reach the model quality one trainer reaches, when they train one model by
 * the sum-of-contributions rule ({@link GroupModel}, {@link Replica}) or by periodic
 * records-weighted parameter averaging (local SGD).
 *
 * <p>The N members are simulated synchronously in one process: N {@link EbmLearner}s built from
 * the same {@link PipelineConfig} (so the same initial parameters), one stream of the known
 * dataset in micro-batches of {@code batch.max-size}, dealt round-robin to the members (each sees
 * 1/N of the stream and makes one update per micro-batch it gets). After every {@code H} steps of
 * each member, all of them sync:
 * <ul>
 *   <li>{@code sum}: each member publishes ({@link Replica#publish}) into one shared
 *       {@link GroupModel}, then each merges ({@link Replica#merge}); Adam moments and PCD chains
 *       stay each member's own, as in the trainer;</li>
 *   <li>{@code average}: every replica's parameters become the records-weighted mean of all the
 *       replicas' parameters (optimizer and chains again stay local).</li>
 * </ul>
 * Only the {@code model.param.*} entries move between members.
 *
 * <p>Every {@code --eval-every} records of the whole stream the harness measures the grid total
 * variation ({@link KnownDensity#totalVariation}) of the group's model as a sync at that moment
 * would make it: for {@code sum} the group model plus every member's unpublished updates (what
 * {@link GroupModel#parameters()} returns after everyone publishes), for {@code average} the
 * weighted mean of the replicas. Right after a sync both equal the group's model as it is, and
 * replicas are never touched by a measurement, so measuring changes no run. It reports the
 * records all members consumed together until TV first reached {@code --threshold} (and until it
 * stayed there), the final TV, and the ratio to N = 1 of the same merge rule, interval and seed.
 *
 * <p>The members' samplers draw from different random streams: member 0 keeps the learner's own
 * (seed + 1), so that N = 1 is exactly the single trainer, and member m &gt; 0 continues from the
 * m-th fork of a source seeded seed + 1. PCD takes all its randomness (chain starts, restarts,
 * Langevin noise) from the sampler's source; the initial parameters come from {@code seed} alone,
 * so they stay identical. The losses that draw from their own source (ssm, dsm, nce: seed + 2)
 * would share it across members.
 *
 * <pre>
 *   OMP_NUM_THREADS=1 java -Xmx2g -cp bench/target/benchmarks.jar io.streamebm.bench.scaleout.StatisticalEfficiencyHarness \
 *       [--members 1,2,4,8] [--sync-every 10[,50]] [--merge sum,average] [--max-records 800000] [--seed 42[,43]]
 *       [--eval-every 10240] [--threshold 0.35] [--dataset eight-gaussians] [--out bench/results/scaleout]
 *       [--split-chains] [--split-batch] [--sqrt-lr] [--scale-k] [--set key=value]...
 *       [--outer-lr 1|&lt;x&gt;|sqrt] [--outer-momentum 0|&lt;β&gt;|sqrt] [--outer-nesterov] [--average-moments]
 *       [--staggered [--aligned | --simultaneous] [--equal-weights] | --rounds]
 * </pre>
 *
 * <p>{@code --split-chains} gives each member {@code loss.chains / N} persistent chains instead of
 * {@code loss.chains}, so that the group keeps the single trainer's pool and each chain moves as
 * often per update of the group's model as it does in one trainer (exactly so while
 * {@code loss.chains / N} is at least the batch size).
 *
 * <p>{@code --split-batch} gives each member micro-batches of {@code batch.max-size / N} records,
 * so that the group's records per sync round are those of H steps of one trainer.
 *
 * <p>{@code --sqrt-lr} gives each member {@code optimizer.lr × √N}: with micro-batches N times
 * smaller, Adam's normalised step carries about √N times less signal where the gradient is noisy.
 *
 * <p>{@code --scale-k} gives each member {@code loss.k × N} sampler steps per update (N times the
 * sampling work per record): an experiment on why the sum rule learns slower, not a setting to
 * scale out with.
 *
 * <p>{@code --outer-lr η} (average only; a number, or {@code sqrt} for √N) makes a sync an outer
 * step on the round's mean update instead of the mean itself, as DiLoCo and "local SGD with a
 * server learning rate" do: group := previous group model + η · (records-weighted mean of the
 * replicas − previous group model), where the previous group model is what every member loaded at
 * the previous sync, so each member can compute it locally with no extra bytes on a topic. Why:
 * each member's Adam step on a micro-batch of 256/N is normalised by that small batch's own
 * second moment, so where noise dominates the gradient its expected movement is about 1/√N of one
 * trainer's step, and the mean of N such steps keeps that shortfall; the mean, unlike each
 * member's step, has the noise of 256 records, so it can be lengthened. A number is applied only
 * when N &gt; 1 (N = 1 stays exactly one trainer; √1 is 1 anyway). Measured on eight Gaussians at
 * N = 8 it does not help (η = 1.5, 2 about as plain averaging, √N worse): every sync then moves the
 * model η times the round's mean, farther than the members' chains followed.
 *
 * <p>{@code --outer-momentum β} (default 0; a number, or {@code sqrt} for β = 1 − 1/√N) adds
 * heavy-ball momentum on the outer update: u := β·u + Δ, group := previous + η·u
 * ({@code --outer-nesterov}: previous + η·(β·u + Δ)), with u the same on every member (it depends
 * only on the group's models). Why it should help where a larger η did not: a direction the
 * rounds agree on (the signal) grows by up to 1/(1 − β), the round-to-round noise, uncorrelated,
 * only by 1/√(1 − β²), so the model's distance from the chains grows less than with η = 1/(1 − β).
 * {@code sqrt} makes the signal's gain √N, the factor by which N normalised steps on micro-batches
 * of 256/N fall short. Because u is linear in Δ = Σₘ wₘ·(replicaₘ − previous), it is also the sum
 * of per-member buffers uₘ := β·uₘ + wₘ·(replicaₘ − previous): each member can keep its own
 * inside its contribution, and the group's model stays the initial one plus the contributions.
 * Off for N = 1. The TV is measured on the mean of the replicas (right after a sync: the model
 * every member loaded), never on a look-ahead.
 *
 * <p>{@code --average-moments} (average only, N &gt; 1) also replaces every member's Adam moments
 * ({@code exp_avg.*}, {@code exp_avg_sq.*}) by their mean over the members at a sync, so that
 * every member's step scale is the group's; the step counts and learning rates stay each
 * member's own. Unlike the outer rule this would need the moments on the params topic.
 *
 * <p>{@code --staggered} (average only, N &gt; 1) syncs the members one at a time, as
 * {@code GroupSync} does over Kafka, through the pipeline's own {@link Replica} and
 * {@link GroupModel}: member m syncs after its own steps s with (s + m·H/N) divisible by H, publishing
 * its updates since its last publish with {@link MergeRule#AVERAGE}'s weight (its records over the
 * records the group trained since its previous publish) and then merging the group's model. With
 * {@code --outer-momentum} each member keeps its own buffer uₘ := β·uₘ + w·(replicaₘ − base) and
 * publishes η·uₘ instead of w·(replicaₘ − base) (the per-member form of the outer momentum, which
 * is what the pipeline could do with no extra bytes); the TV is then that of
 * {@link GroupModel#parameters()}, the model on the params topic. Not with {@code --outer-nesterov}
 * or {@code --average-moments}. {@code --aligned} drops the offsets: all members sync after the same
 * step, one after the other, to tell the effect of the staggering from that of the path through
 * {@link Replica}; {@code --simultaneous} makes every member publish at the lock-step sync and only
 * then every member merge, so that all take in the same model (the lock-step average, through
 * {@link Replica}). {@code --equal-weights} weighs every publication 1/N instead of by
 * {@link MergeRule#AVERAGE}: the rule gives a member that publishes before anybody else weight 1,
 * the next 1/2, and so on, so the group's first round moves the model by about ln N + 0.58 times
 * the mean update.
 *
 * <p>{@code --rounds} is {@code GroupSync}'s rule with {@code scale-out.rounds} (the default):
 * every member publishes its round through {@link Replica} with the weight {@link SyncRounds} and
 * {@link MergeRule} give it and with {@link Replica}'s own outer momentum
 * ({@code --outer-momentum}, {@code sqrt} being {@code scale-out.outer-momentum=auto}), then every
 * member merges: what a group does when nobody misses a round.
 *
 * <p>Writes {@code statistical-efficiency-summary.csv}, {@code statistical-efficiency-curves.csv},
 * one {@code tv-vs-records-h<H>.png} per sync interval (a panel per merge rule, a curve per N, the
 * first seed) and {@code records-to-threshold.png} (records to the threshold relative to N = 1,
 * mean over seeds, against N, with the 1.25 goal) into {@code --out}.
 */
public final class StatisticalEfficiencyHarness {

    /** How the members combine their replicas at a sync. */
    enum Merge {
        /** The group's model is the initial one plus every member's own updates. */
        SUM,
        /** Every replica becomes the records-weighted mean of all replicas (local SGD). */
        AVERAGE;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One group run's settings. */
    record RunKey(Merge merge, int syncEvery, long seed, int members) {
    }

    /**
     * How each member's settings follow N (all off: every member runs the configuration as given).
     *
     * @param splitChains {@code loss.chains / N} chains per member
     * @param splitBatch  micro-batches of {@code batch.max-size / N} per member
     * @param scaleK      {@code loss.k × N} sampler steps per update
     * @param sqrtLr      {@code optimizer.lr × √N} per member
     */
    record Variant(boolean splitChains, boolean splitBatch, boolean scaleK, boolean sqrtLr) {

        /** A line for the plots: which settings follow N, and the overrides. */
        String describe(Map<String, String> overrides) {
            List<String> parts = new ArrayList<>();
            parts.add(splitBatch ? "micro-batch batch.max-size / N per member" : "micro-batch batch.max-size per member");
            parts.add(splitChains ? "loss.chains / N per member" : "loss.chains per member");
            if (scaleK) {
                parts.add("loss.k x N sampler steps per update");
            }
            if (sqrtLr) {
                parts.add("optimizer.lr x sqrt(N)");
            }
            overrides.forEach((k, v) -> parts.add(k + "=" + v));
            return "pcd defaults, eight Gaussians; " + String.join(", ", parts);
        }
    }

    /**
     * How an averaging sync turns the replicas' mean into the group's model (all defaults: the
     * mean itself, as before these flags existed).
     *
     * @param outerLr        η as given: a number, or {@code sqrt} for √N
     * @param outerMomentum  β of the heavy-ball momentum on the outer update as given: a number (0:
     *                       none), or {@code sqrt} for 1 − 1/√N
     * @param nesterov       Nesterov's form of that momentum
     * @param averageMoments also average the members' Adam moments at a sync
     * @param staggered      members sync one at a time through {@link Replica} (per-member momentum)
     * @param aligned        with {@code staggered}: no offsets, every member syncs after the same step
     * @param simultaneous   with {@code staggered}: all publish at the lock-step sync, then all merge
     * @param equalWeights   with {@code staggered}: every publication weighs 1/N
     */
    record Outer(String outerLr, String outerMomentum, boolean nesterov, boolean averageMoments, boolean staggered,
            boolean aligned, boolean simultaneous, boolean equalWeights, boolean rounds) {

        /** η for a group of {@code members}: 1 for one member, whatever was asked. */
        double lr(int members) {
            if (members <= 1) {
                return 1.0;
            }
            return outerLr.equalsIgnoreCase("sqrt") ? Math.sqrt(members) : Double.parseDouble(outerLr);
        }

        /** β for a group of {@code members}: 0 for one member. */
        double momentum(int members) {
            if (members <= 1) {
                return 0.0;
            }
            return outerMomentum.equalsIgnoreCase("sqrt") ? 1 - 1 / Math.sqrt(members)
                    : Double.parseDouble(outerMomentum);
        }

        /** Whether a sync of {@code members} does anything but load the plain mean. */
        boolean active(int members) {
            return members > 1 && (lr(members) != 1.0 || momentum(members) != 0);
        }

        /** A line for the plots and the log. */
        String describe() {
            List<String> parts = new ArrayList<>();
            if (!outerLr.equals("1")) {
                parts.add("outer lr " + outerLr);
            }
            if (!outerMomentum.equals("0")) {
                parts.add((nesterov ? "Nesterov" : "heavy-ball") + " outer momentum " + outerMomentum);
            }
            if (averageMoments) {
                parts.add("Adam moments averaged at a sync");
            }
            if (rounds) {
                parts.add("lock-step rounds as GroupSync makes them: SyncRounds weights, Replica's own momentum");
            } else if (staggered) {
                parts.add((simultaneous ? "simultaneous" : aligned ? "aligned" : "staggered")
                        + " syncs through Replica, per-member momentum" + (equalWeights ? ", weights 1/N" : ""));
            }
            return String.join(", ", parts);
        }
    }

    /** One grid-TV measurement of the group's model. */
    record Point(long records, double tv, double tvMember0) {
    }

    /**
     * What one group run measured.
     *
     * @param recordsToThreshold records until TV first reached the threshold, -1 if never
     * @param recordsToStay      records from which on TV stayed at or below the threshold, -1 if never
     * @param finalTv            TV at the last record
     * @param tailTv             mean TV of the measurements over the last tenth of the records: a
     *                           single measurement moves by ±0.05 from one to the next
     * @param rejected           updates the learners refused (non-finite), left out as the trainer would
     */
    record Result(RunKey key, List<Point> curve, long recordsToThreshold, long recordsToStay, double finalTv,
            double tailTv, long steps, long syncs, long rejected, double seconds) {
    }

    private StatisticalEfficiencyHarness() {
    }

    /** Parses the arguments, runs every combination, prints the table and writes the CSVs and plots. */
    public static void main(String[] args) throws IOException {
        List<Integer> members = List.of(1, 2, 4, 8);
        List<Integer> syncEvery = List.of(10);
        List<Merge> merges = List.of(Merge.SUM, Merge.AVERAGE);
        List<Long> seeds = List.of(42L);
        long maxRecords = 800_000;
        long evalEvery = 10_240;
        double threshold = 0.35;
        String dataset = "eight-gaussians";
        Path out = Path.of("bench/results/scaleout");
        boolean splitChains = false;
        boolean scaleK = false;
        boolean splitBatch = false;
        boolean sqrtLr = false;
        String outerLr = "1";
        String outerMomentum = "0";
        boolean outerNesterov = false;
        boolean averageMoments = false;
        boolean staggered = false;
        boolean aligned = false;
        boolean simultaneous = false;
        boolean equalWeights = false;
        boolean rounds = false;
        Map<String, String> overrides = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--members" -> members = ints(args[++i]);
                case "--sync-every" -> syncEvery = ints(args[++i]);
                case "--merge" -> merges = Arrays.stream(args[++i].split(","))
                        .map(s -> Merge.valueOf(s.trim().toUpperCase(Locale.ROOT))).toList();
                case "--seed" -> seeds = Arrays.stream(args[++i].split(",")).map(s -> Long.parseLong(s.trim())).toList();
                case "--max-records" -> maxRecords = Long.parseLong(args[++i]);
                case "--eval-every" -> evalEvery = Long.parseLong(args[++i]);
                case "--threshold" -> threshold = Double.parseDouble(args[++i]);
                case "--dataset" -> dataset = args[++i];
                case "--out" -> out = Path.of(args[++i]);
                case "--split-chains" -> splitChains = true;
                case "--scale-k" -> scaleK = true;
                case "--split-batch" -> splitBatch = true;
                case "--sqrt-lr" -> sqrtLr = true;
                case "--outer-lr" -> outerLr = args[++i].trim();
                case "--outer-momentum" -> outerMomentum = args[++i].trim();
                case "--outer-nesterov" -> outerNesterov = true;
                case "--average-moments" -> averageMoments = true;
                case "--staggered" -> staggered = true;
                case "--aligned" -> aligned = true;
                case "--simultaneous" -> simultaneous = true;
                case "--equal-weights" -> equalWeights = true;
                case "--rounds" -> rounds = true;
                case "--set" -> {
                    HarnessArgs.put(overrides, args[++i]);
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        String name = dataset;
        KnownDensity known = KnownDensity.of(dataset)
                .orElseThrow(() -> new IllegalArgumentException("no known density for " + name));
        System.out.printf(Locale.ROOT, "dataset %s, members %s, sync every %s steps, merge %s, seeds %s,"
                        + " %d records, TV every %d records, threshold %.2f, chains %s, micro-batch %s, sampler steps %s,"
                        + " overrides %s%n", dataset, members, syncEvery, merges.stream().map(Merge::label).toList(),
                seeds, maxRecords, evalEvery, threshold,
                splitChains ? "split: loss.chains / N per member" : "loss.chains per member",
                splitBatch ? "split: batch.max-size / N per member" : "batch.max-size per member",
                scaleK ? "loss.k x N per update" : "loss.k per update", overrides);
        if (sqrtLr) {
            System.out.println("learning rate: optimizer.lr x sqrt(N) per member");
        }
        Variant variant = new Variant(splitChains, splitBatch, scaleK, sqrtLr);
        if (rounds && (staggered || aligned || simultaneous || equalWeights || outerNesterov || averageMoments
                || !outerLr.equals("1"))) {
            throw new IllegalArgumentException("--rounds is the pipeline's own rule: it takes only --outer-momentum");
        }
        Outer outer = new Outer(outerLr, outerMomentum, outerNesterov, averageMoments, staggered || rounds, aligned,
                simultaneous || rounds, equalWeights, rounds);
        if ((aligned || simultaneous || equalWeights) && !staggered) {
            throw new IllegalArgumentException("--aligned, --simultaneous and --equal-weights need --staggered");
        }
        if (staggered && (outerNesterov || averageMoments)) {
            throw new IllegalArgumentException("--staggered takes neither --outer-nesterov nor --average-moments");
        }
        if (!outerLr.equalsIgnoreCase("sqrt")) {
            Double.parseDouble(outerLr); // fail on a typo before hours of runs, not at the first N > 1
        }
        if (!outerMomentum.equalsIgnoreCase("sqrt") && !(Double.parseDouble(outerMomentum) >= 0
                && Double.parseDouble(outerMomentum) < 1)) {
            throw new IllegalArgumentException("--outer-momentum must be in [0, 1), got " + outerMomentum);
        }
        if (!outer.describe().isEmpty()) {
            if (merges.contains(Merge.SUM)) {
                throw new IllegalArgumentException("--outer-lr, --outer-momentum, --average-moments and --staggered"
                        + " apply to --merge average only");
            }
            System.out.println("sync: " + outer.describe() + " (none of it for N = 1)");
        }
        List<Result> results = new ArrayList<>();
        for (long seed : seeds) {
            for (int h : syncEvery) {
                for (Merge merge : merges) {
                    for (int n : members) {
                        Result r = run(known, new RunKey(merge, h, seed, n), maxRecords, evalEvery, threshold,
                                variant, outer, overrides);
                        results.add(r);
                        System.out.printf(Locale.ROOT, "  %-7s H=%-3d seed %d N=%d: to TV<=%.2f %s, stays from %s,"
                                        + " final TV %.3f (last tenth %.3f) | %d steps, %d syncs, %d rejected, %.1f s%n",
                                merge.label(), h, seed, n, threshold, recordsText(r.recordsToThreshold()),
                                recordsText(r.recordsToStay()), r.finalTv(), r.tailTv(), r.steps(), r.syncs(), r.rejected(),
                                r.seconds());
                    }
                }
            }
        }
        printTable(results, threshold, maxRecords);
        Files.createDirectories(out);
        writeCsv(out, results);
        for (int h : syncEvery) {
            plotCurves(out.resolve("tv-vs-records-h" + h + ".png"), results, h, seeds.get(0), merges, threshold,
                    describe(variant, outer, overrides));
        }
        plotRatios(out.resolve("records-to-threshold.png"), results, threshold, describe(variant, outer, overrides));
        System.out.println("wrote " + out.toAbsolutePath());
    }

    private static String describe(Variant variant, Outer outer, Map<String, String> overrides) {
        String sync = outer.describe();
        return variant.describe(overrides) + (sync.isEmpty() ? "" : "; " + sync);
    }

    /** Trains one group on one stream and measures its model's TV along the way. */
    static Result run(KnownDensity known, RunKey key, long maxRecords, long evalEvery, double threshold,
            Variant variant, Outer outer, Map<String, String> overrides) {
        Map<String, String> settings = new LinkedHashMap<>(overrides);
        settings.put("seed", Long.toString(key.seed()));
        PipelineConfig config = PipelineConfig.parse(Map.of(), settings);
        if (variant.splitChains()) {
            settings.put("loss.chains", Integer.toString(Math.max(1, config.integer("loss.chains") / key.members())));
        }
        if (variant.splitBatch()) {
            settings.put("batch.max-size", Integer.toString(Math.max(1, config.integer("batch.max-size") / key.members())));
        }
        if (variant.scaleK()) {
            settings.put("loss.k", Integer.toString(config.integer("loss.k") * key.members()));
        }
        if (variant.sqrtLr()) {
            settings.put("optimizer.lr", Double.toString(config.number("optimizer.lr") * Math.sqrt(key.members())));
        }
        config = PipelineConfig.parse(Map.of(), settings);
        int batchSize = config.integer("batch.max-size");
        SimulatedGroup group = new SimulatedGroup(config, key.members(), key.merge(), outer);
        // The same stream (and seed offset) as LearningQualityHarness and the demo.
        DatasetStream data = known.stream().apply(key.seed() + 100);
        EnergyFunction probe = Models.build(Models.shapeOf(config.asMap()), key.seed());
        List<Point> curve = new ArrayList<>();
        curve.add(measure(0, known, probe, group));
        long records = 0;
        long batches = 0;
        long nextEval = evalEvery;
        long t0 = System.nanoTime();
        while (records < maxRecords) {
            int member = (int) (batches % key.members());
            group.update(member, data.nextBatch(batchSize));
            records += batchSize;
            batches++;
            if (group.staggered() && outer.simultaneous()) {
                if (batches % ((long) key.members() * key.syncEvery()) == 0) {
                    group.syncAllThroughReplicas();
                }
            } else if (group.staggered()) {
                // Member m's own step count, offset by m·H/N so that the syncs are spread over a round.
                long ownSteps = (batches - 1) / key.members() + 1;
                long offset = outer.aligned() ? 0 : (long) member * key.syncEvery() / key.members();
                if ((ownSteps + offset) % key.syncEvery() == 0) {
                    group.syncMember(member);
                }
            } else if (batches % ((long) key.members() * key.syncEvery()) == 0) {
                group.sync();
            }
            if (records >= nextEval || records >= maxRecords) {
                Point p = measure(records, known, probe, group);
                curve.add(p);
                if (curve.size() % 10 == 1) {
                    System.out.printf(Locale.ROOT, "    %s H=%d N=%d: %,d records, TV %.3f (member 0's replica %.3f)%n",
                            key.merge().label(), key.syncEvery(), key.members(), records, p.tv(), p.tvMember0());
                }
                nextEval += evalEvery;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long first = -1;
        for (Point p : curve) {
            if (p.tv() <= threshold) {
                first = p.records();
                break;
            }
        }
        long stay = -1;
        for (int i = curve.size() - 1; i >= 0 && curve.get(i).tv() <= threshold; i--) {
            stay = curve.get(i).records();
        }
        double tail = curve.stream().filter(p -> p.records() > 0 && p.records() >= 0.9 * maxRecords)
                .mapToDouble(Point::tv).average().orElse(Double.NaN);
        return new Result(key, curve, first, stay, curve.get(curve.size() - 1).tv(), tail, batches, group.syncs,
                group.rejected, seconds);
    }

    /** TV of the group's model (loaded into {@code probe}) and of member 0's replica after {@code records}. */
    private static Point measure(long records, KnownDensity known, EnergyFunction probe, SimulatedGroup group) {
        Models.load(probe, group.modelAsSyncedNow());
        return new Point(records, known.totalVariation(probe), known.totalVariation(group.members.get(0).model()));
    }

    /**
     * N learners trained in lock-step on one thread, with the sync of the chosen merge rule. Each
     * member keeps its own optimizer state and chains; only parameters are exchanged.
     */
    static final class SimulatedGroup {
        final List<EbmLearner> members = new ArrayList<>();
        private final Merge merge;
        private final GroupModel groupModel;
        private final List<Replica> replicas = new ArrayList<>();
        /** Records each member counted since its last publish (sum) and in all (the averaging weights). */
        private final long[] sincePublish;
        private final long[] counted;
        private final Outer outer;
        /**
         * The group's model as every member loaded it at the previous sync (the initial one before
         * the first): the point the outer step starts from. Every member holds it, so no member
         * would need anything from the others to keep it.
         */
        private Map<String, INDArray> previous;
        /** The outer momentum buffer u, the same on every member; zeros before the first sync. */
        private Map<String, INDArray> velocity;
        /** Staggered syncs: each member's own momentum buffer uₘ, and the others' records at its last publish. */
        private final List<Map<String, INDArray>> memberVelocity = new ArrayList<>();
        private final List<Map<String, Long>> othersAtLastPublish = new ArrayList<>();
        long syncs;
        long rejected;

        SimulatedGroup(PipelineConfig config, int n, Merge merge, Outer outer) {
            this.merge = merge;
            this.outer = outer;
            this.sincePublish = new long[n];
            this.counted = new long[n];
            RandomSource memberStreams = new RandomSource(config.longValue("seed") + 1);
            for (int m = 0; m < n; m++) {
                EbmLearner learner = new EbmLearner(config);
                if (m > 0) {
                    learner.sampler().random().restore(memberStreams.fork().state());
                }
                members.add(learner);
            }
            this.groupModel = new GroupModel(parameters(0));
            this.previous = copy(parameters(0));
            this.velocity = new LinkedHashMap<>();
            previous.forEach((name, a) -> velocity.put(name, a.like().assign(0)));
            for (int m = 0; m < n; m++) {
                if (!same(parameters(m), parameters(0))) {
                    throw new IllegalStateException("member " + m + " starts from other parameters than member 0");
                }
                replicas.add(new Replica(memberName(m), groupModel));
                memberVelocity.add(new LinkedHashMap<>());
                velocity.forEach((name, a) -> memberVelocity.get(memberVelocity.size() - 1).put(name, a.dup()));
                othersAtLastPublish.add(new LinkedHashMap<>());
            }
        }

        private static String memberName(int m) {
            return String.format(Locale.ROOT, "member-%03d", m);
        }

        /** One update of member {@code m} on {@code batch}; a refused update leaves its state as it was. */
        void update(int m, INDArray batch) {
            try {
                members.get(m).update(batch);
            } catch (RejectedUpdateException e) {
                rejected++;
            }
            sincePublish[m] += batch.rows();
            counted[m] += batch.rows();
        }

        /** The sync every member makes after H steps of its own. */
        void sync() {
            syncs++;
            if (merge == Merge.SUM) {
                for (int m = 0; m < members.size(); m++) {
                    groupModel.offer(replicas.get(m).publish(parameters(m), sincePublish[m], 1.0, 0, 0L));
                    sincePublish[m] = 0;
                }
                for (int m = 0; m < members.size(); m++) {
                    Models.load(members.get(m).model(), replicas.get(m).merge(parameters(m), groupModel));
                }
            } else {
                Map<String, INDArray> mean = weightedMean();
                Map<String, INDArray> next = mean;
                if (outer.active(members.size())) {
                    next = outerStep(mean);
                }
                for (EbmLearner learner : members) {
                    Models.load(learner.model(), next);
                }
                previous = copy(next);
                if (outer.averageMoments() && members.size() > 1) {
                    averageMoments();
                }
            }
        }

        /**
         * previous + η·Δ (heavy-ball: previous + η·u with u := β·u + Δ; Nesterov: previous + η·(β·u + Δ)),
         * Δ = mean − previous; keeps the new u.
         */
        private Map<String, INDArray> outerStep(Map<String, INDArray> mean) {
            double eta = outer.lr(members.size());
            double beta = outer.momentum(members.size());
            Map<String, INDArray> out = new LinkedHashMap<>();
            mean.forEach((name, m) -> {
                INDArray prev = previous.get(name);
                INDArray delta = m.sub(prev);
                INDArray u = velocity.get(name).mul(beta).addi(delta);
                INDArray direction = outer.nesterov() ? u.mul(beta).addi(delta) : u;
                out.put(name, prev.add(direction.mul(eta)));
                velocity.put(name, u);
            });
            return out;
        }

        /**
         * Every member's Adam moments := their mean over the members (equal weights: every member
         * made the same number of steps here); step counts and learning rates stay each member's.
         */
        private void averageMoments() {
            List<Map<String, INDArray>> states = new ArrayList<>();
            for (EbmLearner learner : members) {
                states.add(learner.optimizer().exportState());
            }
            Map<String, INDArray> mean = new LinkedHashMap<>();
            for (Map<String, INDArray> state : states) {
                state.forEach((k, v) -> {
                    if (k.startsWith("exp_avg")) {
                        mean.merge(k, v.mul(1.0 / members.size()), INDArray::addi);
                    }
                });
            }
            if (mean.isEmpty()) {
                throw new IllegalStateException("--average-moments needs Adam or AdamW (no exp_avg slots)");
            }
            for (int m = 0; m < members.size(); m++) {
                Map<String, INDArray> state = new LinkedHashMap<>(states.get(m));
                mean.forEach((k, v) -> state.put(k, v.dup()));
                members.get(m).optimizer().importState(state);
            }
        }

        /** Whether the members sync one at a time ({@code --staggered}; never for one member). */
        boolean staggered() {
            return merge == Merge.AVERAGE && outer.staggered() && members.size() > 1;
        }

        /**
         * Member {@code m}'s sync as {@code GroupSync} makes it: publish its updates since its last
         * publish with the average rule's weight (times η, through its momentum buffer), then take
         * in the group's model.
         */
        void syncMember(int m) {
            syncs++;
            Map<String, INDArray> published = publishMember(m);
            // Everything this member trained is published, so the merge is the group's model.
            Models.load(members.get(m).model(), replicas.get(m).merge(published, groupModel));
        }

        /** Every member publishes, then every member merges: all take in the same group model. */
        void syncAllThroughReplicas() {
            syncs++;
            List<Map<String, INDArray>> published = new ArrayList<>();
            for (int m = 0; m < members.size(); m++) {
                published.add(publishMember(m));
            }
            for (int m = 0; m < members.size(); m++) {
                Models.load(members.get(m).model(), replicas.get(m).merge(published.get(m), groupModel));
            }
        }

        /**
         * Publishes member {@code m}'s updates since its last publish (weighted, through its
         * momentum buffer) into the group model; returns the parameters it published as its own.
         */
        private Map<String, INDArray> publishMember(int m) {
            Replica replica = replicas.get(m);
            Map<String, INDArray> current = parameters(m);
            long newRecords = sincePublish[m];
            if (newRecords > 0 && outer.rounds()) {
                // GroupSync's rule, through the pipeline's own types: the round, its weight, the momentum.
                String name = memberName(m);
                long round = SyncRounds.next(groupModel, name, replica.contribution().round());
                int absent = SyncRounds.absent(groupModel, name, round, members.size());
                double w = MergeRule.AVERAGE.weight(newRecords, SyncRounds.othersRoundRecords(groupModel, name, round),
                        absent);
                double beta = outer.outerMomentum().equalsIgnoreCase("sqrt")
                        ? SyncRounds.autoMomentum(SyncRounds.participants(groupModel, name, round) + absent)
                        : outer.momentum(members.size());
                groupModel.offer(replica.publish(current, newRecords, w, beta, round, 0L));
                sincePublish[m] = 0;
                return current;
            }
            if (newRecords > 0) {
                long others = othersSinceLastPublish(m);
                double w = outer.equalWeights() ? 1.0 / members.size()
                        : MergeRule.AVERAGE.weight(newRecords, others, unheard(m));
                Map<String, INDArray> published = current;
                if (outer.active(members.size())) {
                    // Replica.publish adds w·(published − base) to the contribution; publishing
                    // base + η·uₘ / w makes that η·uₘ, the member's share of the group's momentum.
                    double eta = outer.lr(members.size());
                    double beta = outer.momentum(members.size());
                    Map<String, INDArray> base = replica.known();
                    Map<String, INDArray> u = memberVelocity.get(m);
                    published = new LinkedHashMap<>();
                    for (Map.Entry<String, INDArray> e : base.entrySet()) {
                        String name = e.getKey();
                        INDArray next = u.get(name).mul(beta).addi(current.get(name).sub(e.getValue()).muli(w));
                        u.put(name, next);
                        published.put(name, e.getValue().add(next.mul(eta / w)));
                    }
                }
                groupModel.offer(replica.publish(published, newRecords, w, 0, 0L));
                sincePublish[m] = 0;
                return published;
            }
            return current;
        }

        /** As {@code GroupSync}: the members not heard from yet, member {@code m} counted as heard. */
        private int unheard(int m) {
            java.util.Set<String> heard = new java.util.HashSet<>(groupModel.recordsByMember().keySet());
            heard.add(memberName(m));
            return Math.max(0, members.size() - heard.size());
        }

        /** As {@code GroupSync}: the records the others counted since member {@code m}'s last publish. */
        private long othersSinceLastPublish(int m) {
            Map<String, Long> now = new LinkedHashMap<>(groupModel.recordsByMember());
            now.remove(memberName(m));
            long since = 0;
            for (Map.Entry<String, Long> e : now.entrySet()) {
                since += e.getValue() - othersAtLastPublish.get(m).getOrDefault(e.getKey(), 0L);
            }
            othersAtLastPublish.set(m, now);
            return since;
        }

        /** The group's parameters as a sync now would make them; changes nothing. */
        Map<String, INDArray> modelAsSyncedNow() {
            if (staggered()) {
                // The model on the params topic: what a joiner, and the snapshot, would get.
                return groupModel.parameters();
            }
            if (merge == Merge.AVERAGE) {
                // With an outer rule too, the mean of the replicas: right after a sync that is the
                // model every member loaded. "What a sync now would make" would not be: with
                // momentum, a sync with no new update still moves the model by β·u, and measuring
                // that look-ahead would flatter the rule.
                return weightedMean();
            }
            Map<String, INDArray> out = groupModel.parameters();
            for (int m = 0; m < members.size(); m++) {
                Map<String, INDArray> known = replicas.get(m).known();
                parameters(m).forEach((name, a) -> out.get(name).addi(a.sub(known.get(name))));
            }
            return out;
        }

        private Map<String, INDArray> weightedMean() {
            long total = Arrays.stream(counted).sum();
            Map<String, INDArray> mean = new LinkedHashMap<>();
            for (int m = 0; m < members.size(); m++) {
                double w = total == 0 ? 1.0 / members.size() : (double) counted[m] / total;
                parameters(m).forEach((name, a) -> {
                    INDArray weighted = a.mul(w);
                    mean.merge(name, weighted, INDArray::addi);
                });
            }
            return mean;
        }

        private Map<String, INDArray> parameters(int m) {
            return Models.parameters(members.get(m).model());
        }

        private static Map<String, INDArray> copy(Map<String, INDArray> arrays) {
            Map<String, INDArray> out = new LinkedHashMap<>();
            arrays.forEach((name, a) -> out.put(name, a.dup()));
            return out;
        }

        private static boolean same(Map<String, INDArray> a, Map<String, INDArray> b) {
            return a.keySet().equals(b.keySet()) && a.keySet().stream().allMatch(k -> a.get(k).equals(b.get(k)));
        }
    }

    private static List<Integer> ints(String csv) {
        return Arrays.stream(csv.split(",")).map(s -> Integer.parseInt(s.trim())).toList();
    }

    private static String recordsText(long records) {
        return records < 0 ? "never" : String.format(Locale.ROOT, "%,d", records);
    }

    /** The N = 1 run of the same merge rule, interval and seed. */
    private static Result baseline(List<Result> results, RunKey key) {
        return results.stream().filter(r -> r.key().members() == 1 && r.key().merge() == key.merge()
                && r.key().syncEvery() == key.syncEvery() && r.key().seed() == key.seed()).findFirst().orElse(null);
    }

    private static double ratio(long records, Result base, boolean stay) {
        long b = base == null ? -1 : stay ? base.recordsToStay() : base.recordsToThreshold();
        return records < 0 || b <= 0 ? Double.NaN : (double) records / b;
    }

    private static void printTable(List<Result> results, double threshold, long maxRecords) {
        System.out.printf(Locale.ROOT, "%n| merge | H | seed | N | total records to TV <= %.2f | × N=1 | records"
                + " until it stays <= %.2f | × N=1 | TV at %,d records | mean TV, last tenth | steps per member |%n",
                threshold, threshold, maxRecords);
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (Result r : results) {
            Result base = baseline(results, r.key());
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %s | %s | %s | %s | %.3f | %.3f | %d |%n",
                    r.key().merge().label(), r.key().syncEvery(), r.key().seed(), r.key().members(),
                    recordsText(r.recordsToThreshold()), ratioText(ratio(r.recordsToThreshold(), base, false)),
                    recordsText(r.recordsToStay()), ratioText(ratio(r.recordsToStay(), base, true)), r.finalTv(),
                    r.tailTv(), r.steps() / r.key().members());
        }
    }

    private static String ratioText(double ratio) {
        return Double.isNaN(ratio) ? "–" : String.format(Locale.ROOT, "%.2f", ratio);
    }

    private static void writeCsv(Path out, List<Result> results) throws IOException {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve("statistical-efficiency-summary.csv")))) {
            w.println("merge,sync_every,seed,members,records_to_threshold,ratio_to_n1,records_to_stay,"
                    + "stay_ratio_to_n1,final_tv,tail_tv,steps,syncs,rejected,seconds");
            for (Result r : results) {
                Result base = baseline(results, r.key());
                w.printf(Locale.ROOT, "%s,%d,%d,%d,%d,%.4f,%d,%.4f,%.4f,%.4f,%d,%d,%d,%.1f%n", r.key().merge().label(),
                        r.key().syncEvery(), r.key().seed(), r.key().members(), r.recordsToThreshold(),
                        ratio(r.recordsToThreshold(), base, false), r.recordsToStay(),
                        ratio(r.recordsToStay(), base, true), r.finalTv(), r.tailTv(), r.steps(), r.syncs(), r.rejected(),
                        r.seconds());
            }
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve("statistical-efficiency-curves.csv")))) {
            w.println("merge,sync_every,seed,members,records,tv_group,tv_member0");
            for (Result r : results) {
                for (Point p : r.curve()) {
                    w.printf(Locale.ROOT, "%s,%d,%d,%d,%d,%.4f,%.4f%n", r.key().merge().label(), r.key().syncEvery(),
                            r.key().seed(), r.key().members(), p.records(), p.tv(), p.tvMember0());
                }
            }
        }
    }

    private static final Color[] COLOURS = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

    /** TV against total records, one panel per merge rule (shared TV axis), one curve per N. */
    private static void plotCurves(Path file, List<Result> results, int syncEvery, long seed, List<Merge> merges,
            double threshold, String subtitle) throws IOException {
        NumberAxis tvAxis = new NumberAxis("grid TV to the true density (group model)");
        tvAxis.setRange(0, 1);
        CombinedRangeXYPlot combined = new CombinedRangeXYPlot(tvAxis);
        for (Merge merge : merges) {
            XYSeriesCollection data = new XYSeriesCollection();
            for (Result r : results) {
                if (r.key().merge() == merge && r.key().syncEvery() == syncEvery && r.key().seed() == seed) {
                    XYSeries s = new XYSeries(merge.label() + " N=" + r.key().members());
                    r.curve().forEach(p -> s.add(p.records() / 1000.0, p.tv()));
                    data.addSeries(s);
                }
            }
            XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
            for (int i = 0; i < data.getSeriesCount(); i++) {
                renderer.setSeriesStroke(i, new BasicStroke(1.5f));
                renderer.setSeriesPaint(i, COLOURS[i % COLOURS.length]);
            }
            XYPlot plot = new XYPlot(data, new NumberAxis(merge.label() + ": total records, all members (thousands)"),
                    null, renderer);
            styled(plot).addRangeMarker(goal(threshold, "TV " + threshold));
            combined.add(plot);
        }
        JFreeChart chart = new JFreeChart(String.format(Locale.ROOT,
                "Group model TV vs records, sync every %d steps per member, seed %d", syncEvery, seed),
                JFreeChart.DEFAULT_TITLE_FONT, combined, true);
        chart.addSubtitle(new TextTitle(subtitle));
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 1100, 480);
    }

    /** Records to the threshold relative to N = 1 (mean over seeds of each), against N, per merge and interval. */
    private static void plotRatios(Path file, List<Result> results, double threshold, String subtitle)
            throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        Map<String, List<Result>> bySeries = results.stream().collect(Collectors.groupingBy(
                r -> r.key().merge().label() + ", H=" + r.key().syncEvery(), LinkedHashMap::new, Collectors.toList()));
        bySeries.forEach((label, rs) -> {
            XYSeries s = new XYSeries(label);
            rs.stream().map(r -> r.key().members()).distinct().sorted().forEach(n -> {
                OptionalDouble mean = rs.stream().filter(r -> r.key().members() == n)
                        .mapToDouble(r -> ratio(r.recordsToThreshold(), baseline(results, r.key()), false))
                        .filter(Double::isFinite).average();
                long runs = rs.stream().filter(r -> r.key().members() == n).count();
                long reached = rs.stream().filter(r -> r.key().members() == n && r.recordsToThreshold() >= 0).count();
                // A point only where every seed reached the threshold: a mean over the lucky ones would flatter.
                if (mean.isPresent() && reached == runs) {
                    s.add((double) n, mean.getAsDouble());
                }
            });
            data.addSeries(s);
        });
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesStroke(i, new BasicStroke(2f));
            renderer.setSeriesPaint(i, COLOURS[i % COLOURS.length]);
        }
        LogAxis members = new LogAxis("members N (log scale)");
        members.setBase(2);
        members.setRange(0.9, 9);
        members.setTickUnit(new NumberTickUnit(1));
        members.setNumberFormatOverride(new DecimalFormat("0"));
        NumberAxis ratio = new NumberAxis(String.format(Locale.ROOT, "total records to TV <= %.2f, x N=1", threshold));
        ratio.setAutoRangeIncludesZero(true);
        XYPlot plot = styled(new XYPlot(data, members, ratio, renderer));
        plot.addRangeMarker(goal(1.25, "goal 1.25"));
        JFreeChart chart = new JFreeChart("Records to TV <= " + threshold + ", relative to one trainer",
                JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.addSubtitle(new TextTitle(subtitle));
        chart.addSubtitle(new TextTitle("mean over seeds; no point where a seed never reached it"));
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 800, 480);
    }

    private static XYPlot styled(XYPlot plot) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return plot;
    }

    private static ValueMarker goal(double value, String label) {
        ValueMarker m = new ValueMarker(value, Color.GRAY, new BasicStroke(1f, BasicStroke.CAP_BUTT,
                BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        m.setLabel(label);
        return m;
    }

    static {
        System.setProperty("java.awt.headless", "true");
    }
}
