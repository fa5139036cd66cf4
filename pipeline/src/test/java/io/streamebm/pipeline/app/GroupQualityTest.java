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
 * read the same 6-partition eight-Gaussians topic (std 0.1) at the {@code train} defaults, and the
 * group's model (the initial model plus every contribution on the params topic, read by a plain
 * consumer) comes within 10% of the single trainer's grid total variation to the true density.
 */
class GroupQualityTest {

    private static final int RECORDS = 300_000;
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

        double single;
        PipelineConfig alone = config(broker, topic, "single", Map.of());
        try (TrainingJob job = new TrainingJob(alone, quiet())) {
            assertEquals(RECORDS, job.run(RECORDS).recordsSeen());
            single = job.trainer().onThread(() -> truth.totalVariation(job.learner().model()));
        }

        String model = topic + "-group";
        List<TrainingJob> members = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(MEMBERS);
        double together;
        try (GroupCount count = new GroupCount(broker.bootstrapServers(), model + ".params")) {
            List<Future<TrainingJob.Summary>> runs = new ArrayList<>();
            for (int m = 1; m <= MEMBERS; m++) {
                TrainingJob job = new TrainingJob(config(broker, topic, "g" + m, Map.of(
                        "scale-out.enabled", "true", "model.name", model, "kafka.group", topic + "-group")), quiet());
                members.add(job);
                runs.add(threads.submit(() -> job.run(0)));
            }
            count.awaitAtLeast(RECORDS, RECORDS);
            members.forEach(TrainingJob::stop);
            for (Future<TrainingJob.Summary> run : runs) {
                run.get(2, TimeUnit.MINUTES);
            }
            assertEquals(RECORDS, count.read(), "records counted by the group's model");
            EnergyFunction grouped = Models.build(members.get(0).learner().architecture(), 42);
            Models.load(grouped, count.parameters(members.get(0).learner().architecture(), 42));
            together = truth.totalVariation(grouped);
        } finally {
            members.forEach(TrainingJob::close);
            threads.shutdownNow();
        }
        assertTrue(single < 0.4, "the single trainer learned the eight modes: TV " + single);
        assertTrue(together <= 1.10 * single, "grid TV of the group's model " + together + " against " + single
                + " for one trainer on the same records");
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
                "quality.every-steps", "0",
                "seed", "42"));
        s.putAll(extra);
        return PipelineConfig.parse(Map.of(), s);
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }
}
