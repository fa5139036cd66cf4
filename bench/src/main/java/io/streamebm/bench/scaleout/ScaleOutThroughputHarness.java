package io.streamebm.bench.scaleout;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.KafkaSender;
import io.streamebm.connectors.codec.Float32SampleCodec;
import io.streamebm.datasets.Datasets;
import io.streamebm.pipeline.app.KafkaParts;
import io.streamebm.pipeline.app.SyntheticProducer;
import io.streamebm.pipeline.app.TrainingJob;
import io.streamebm.pipeline.config.PipelineConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Scale-out throughput and network cost: N trainers of one consumer group ({@code scale-out.enabled})
 * in this JVM, on one local broker, train a topic of 6 partitions written beforehand, at the
 * {@code train} defaults. Reports, per N, the records per second of the group (from the first
 * update of any member until the members together have counted every record) and the bytes per
 * second each member wrote to and read from the params topic. N = 0 is one trainer with scale-out
 * off, the baseline. Members run with {@code scale-out.members=N}: micro-batches of 256 / N and
 * 1,000 / N chains each, the setting that keeps the group's statistical efficiency.
 *
 * <p>Before the measured runs, one trainer trains {@code --warm-up} records (default 100,000) unreported,
 * so that the JIT has compiled the training path before the first measured run, whichever it is:
 * without it the baseline, run first, paid the compilation alone.
 *
 * <p>Run with one kernel thread, so that one member is one core's work:
 * <pre>
 *   OMP_NUM_THREADS=1 java -Dstreamebm.kernel.threads=1 -Xmx3g -cp bench/target/benchmarks.jar \
 *       io.streamebm.bench.scaleout.ScaleOutThroughputHarness [--records 200000] [--members 0,1,2] \
 *       [--hidden 128,128] [--sync-every 10] [--share N (scale-out.members, default: the members)] [--warm-up 100000]
 * </pre>
 */
public final class ScaleOutThroughputHarness {

    private ScaleOutThroughputHarness() {
    }

    /** Parses the arguments and prints one line per N. */
    public static void main(String[] args) throws Exception {
        long records = 200_000;
        List<Integer> sizes = List.of(0, 1, 2);
        String hidden = "128,128";
        String syncEvery = "10";
        int share = 0;
        long warmUp = 100_000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--records" -> records = Long.parseLong(args[++i]);
                case "--members" -> sizes = java.util.Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
                case "--hidden" -> hidden = args[++i];
                case "--sync-every" -> syncEvery = args[++i];
                case "--share" -> share = Integer.parseInt(args[++i]);
                case "--warm-up" -> warmUp = Long.parseLong(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path work = Files.createTempDirectory("streamebm-scaleout-bench");
        try (LocalKafkaBroker broker = LocalKafkaBroker.start(0, work.resolve("broker"), Map.of())) {
            System.out.printf("records %d, hidden %s, sync every %s steps, kernel threads %s%n", records, hidden,
                    syncEvery, System.getProperty("streamebm.kernel.threads", "default"));
            System.out.println("members | records/s | vs alone | syncs/s/member | published B/s/member | read B/s/member"
                    + " | contribution bytes");
            if (warmUp > 0) {
                String topic = written(broker, "warm-up", warmUp);
                run(broker, topic, 0, warmUp, hidden, syncEvery, share, work.resolve(topic));
            }
            double alone = Double.NaN;
            for (int n : sizes) {
                String topic = written(broker, "bench-" + n + "-" + hidden.replace(',', 'x'), records);
                Result r = run(broker, topic, n, records, hidden, syncEvery, share, work.resolve(topic));
                if (n <= 1 && Double.isNaN(alone)) {
                    alone = r.recordsPerSecond();
                }
                System.out.printf("%7s | %9.0f | %7.2fx | %14.1f | %20.0f | %15.0f | %d%n", n == 0 ? "alone" : n,
                        r.recordsPerSecond(), r.recordsPerSecond() / alone, r.syncsPerSecond(), r.publishedPerSecond(),
                        r.readPerSecond(), r.contributionBytes());
            }
        }
    }

    /** Creates {@code topic} with 6 partitions and writes {@code records} of eight Gaussians into it. */
    private static String written(LocalKafkaBroker broker, String topic, long records) throws Exception {
        broker.createTopic(topic, 6);
        try (KafkaSender sender = KafkaParts.sender(broker.bootstrapServers(), "bench-producer")) {
            new SyntheticProducer(sender, topic, Float32SampleCodec.INSTANCE,
                    Datasets.stream("eight-gaussians", 4)::next).run(records, 0);
        }
        return topic;
    }

    private record Result(double recordsPerSecond, double syncsPerSecond, double publishedPerSecond,
            double readPerSecond, long contributionBytes) {
    }

    private static Result run(LocalKafkaBroker broker, String topic, int n, long records, String hidden,
            String syncEvery, int share, Path dir) throws Exception {
        int members = Math.max(1, n);
        List<TrainingJob> jobs = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(members);
        try {
            List<Future<TrainingJob.Summary>> runs = new ArrayList<>();
            for (int m = 0; m < members; m++) {
                Map<String, String> s = new HashMap<>(Map.of(
                        "kafka.bootstrap-servers", broker.bootstrapServers(),
                        "kafka.topic", topic,
                        "kafka.group", topic + "-g",
                        "kafka.member-name", "member-" + m,
                        "checkpoint.dir", dir.resolve("m" + m).toString(),
                        "metrics.port", "0",
                        "model.hidden", hidden,
                        "quality.every-steps", "0",
                        "scale-out.enabled", Boolean.toString(n > 0),
                        "scale-out.sync-every-steps", syncEvery));
                s.put("model.name", topic);
                s.put("snapshot.topic", ""); // the params topic alone: a 512x512 snapshot exceeds the broker's 1 MB default
                // Each member's share of the micro-batch and the chains, as the README recommends.
                s.put("scale-out.members", Integer.toString(share > 0 ? share : members));
                TrainingJob job = new TrainingJob(PipelineConfig.parse(Map.of(), s),
                        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
                jobs.add(job);
                runs.add(threads.submit(() -> job.run(0)));
            }
            // From the first update of any member until all records are counted by some member.
            while (jobs.stream().allMatch(j -> j.trainer().step() == 0)) {
                Thread.sleep(1);
            }
            long t0 = System.nanoTime();
            while (jobs.stream().mapToLong(j -> j.trainer().recordsSeen()).sum() < records) {
                Thread.sleep(5);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long steps = jobs.stream().mapToLong(j -> j.trainer().step()).sum();
            long published = jobs.stream().mapToLong(j -> j.monitoring().group().publishedBytes()).sum();
            long read = jobs.stream().mapToLong(j -> j.monitoring().group().readBytes()).sum();
            jobs.forEach(TrainingJob::stop);
            for (Future<TrainingJob.Summary> f : runs) {
                f.get(2, TimeUnit.MINUTES);
            }
            double syncs = n == 0 ? 0 : steps / Double.parseDouble(syncEvery) / members;
            long perContribution = n == 0 || syncs == 0 ? 0 : Math.round(published / (syncs * members));
            return new Result(records / seconds, syncs / seconds, published / seconds / members, read / seconds / members,
                    perContribution);
        } finally {
            jobs.forEach(TrainingJob::close);
            threads.shutdownNow();
        }
    }
}
