package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.monitoring.GroupMetrics;
import io.streamebm.pipeline.TestBroker;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.train.EbmLearner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Lock-step rounds through a real broker: a member that published round k merges only once the
 * other member's round k is committed, both then hold the same model, and a member that never
 * publishes its round is waited for only until {@code scale-out.round-timeout}, and one that
 * stops is not waited for at all. A plain
 * {@code read_committed} consumer checks what went on the params topic.
 */
class SyncRoundsOverKafkaTest {

    @TempDir
    Path dir;

    @Test
    void aMemberMergesOnceTheOtherHasPublishedTheSameRoundAndNoLongerThanTheTimeout() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        String topic = TestBroker.uniqueTopic("rounds");
        broker.createTopic(topic, 2);
        ExecutorService waiter = Executors.newSingleThreadExecutor();
        try (Member a = new Member(broker, topic, "a"); Member b = new Member(broker, topic, "b")) {
            // Round 1: nobody has published a round before, so nobody is waited for yet.
            a.trainAndPublish(1);
            a.sync.committed(a.learner, () -> true);
            b.trainAndPublish(2);
            b.sync.committed(b.learner, () -> true);

            // Round 2: b took part in round 1, so a waits for b's round 2 before it merges.
            a.trainAndPublish(3);
            Future<?> aWaits = waiter.submit(() -> a.sync.committed(a.learner, () -> true));
            Thread.sleep(1000);
            assertFalse(aWaits.isDone(), "a waits for b's round 2");
            b.trainAndPublish(4);
            aWaits.get(30, TimeUnit.SECONDS);
            b.sync.committed(b.learner, () -> true); // a's round 2 is on the topic already
            assertSame(a.learner.modelState(), b.learner.modelState());
            assertEquals(0, a.metrics.roundsIncomplete());

            // Round 3: b never publishes it, so a goes on alone after the timeout.
            a.trainAndPublish(5);
            a.sync.committed(a.learner, () -> true);
            assertEquals(1, a.metrics.roundsIncomplete());

            // b comes back and joins the round a is in, then stops: its last sync takes it out of
            // the rounds, so a's round 4 waits for nobody.
            b.trainAndPublish(6);
            b.sync.committed(b.learner, () -> true);
            b.sync.leaving();
            b.sync.sync(b.learner, b.step, b.records, Optional.empty());
            b.outputs.commit(Map.of());
            a.trainAndPublish(7);
            a.sync.committed(a.learner, () -> true);
            assertEquals(1, a.metrics.roundsIncomplete(), "a did not wait for b, which left");
        } finally {
            waiter.shutdownNow();
        }

        // An independent client: the committed contributions and their rounds, in order.
        List<String> seen = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = GroupCount.readCommitted(broker.bootstrapServers())) {
            TopicPartition tp = new TopicPartition(topic + "-model.params", 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            while (c.position(tp) < end) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    seen.add(new String(r.key(), StandardCharsets.UTF_8) + "@" + ParamsTopic.parse(r.value()).contribution().round());
                }
            }
        }
        assertEquals(List.of("a@1", "b@1", "a@2", "b@2", "a@3", "b@3", "b@0", "a@4"), seen);
    }

    @Test
    void aMemberOfAnotherConsumerGroupIsRefusedNamingBothGroups() {
        LocalKafkaBroker broker = TestBroker.get();
        String topic = TestBroker.uniqueTopic("other-group");
        broker.createTopic(topic, 2);
        try (Member a = new Member(broker, topic, "a", topic + "-group")) {
            a.trainAndPublish(1);
            a.sync.committed(a.learner, () -> true);
            // The same model name, and so the same params topic, under a new consumer group: its
            // offsets start over, so taking in a's records would count them twice.
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> new Member(broker, topic, "c", topic + "-other").close());
            assertTrue(e.getMessage().contains("group " + topic + "-group")
                    && e.getMessage().contains("group " + topic + "-other")
                    && e.getMessage().contains("--group " + topic + "-group"), e.getMessage());
        }
    }

    private static void assertSame(Map<String, INDArray> x, Map<String, INDArray> y) {
        assertEquals(x.keySet(), y.keySet());
        for (String name : x.keySet()) {
            if (name.startsWith("model.param.")) {
                assertTrue(x.get(name).equalsWithEps(y.get(name), 1e-6), name + " differs between the members");
            }
        }
    }

    /** One member of a group of two: its learner, outputs and sync, outside any consumer. */
    private final class Member implements AutoCloseable {
        final EbmLearner learner;
        final GroupSync sync;
        final GroupMetrics metrics = new GroupMetrics("m", "pcd");
        private final TransactionalOutputs outputs;
        private long step;
        private long records;

        Member(LocalKafkaBroker broker, String topic, String name) {
            this(broker, topic, name, topic + "-group");
        }

        Member(LocalKafkaBroker broker, String topic, String name, String group) {
            Map<String, String> s = new HashMap<>(LightModel.trainer(broker, topic, dir.resolve(name)));
            s.putAll(Map.of("scale-out.enabled", "true", "scale-out.members", "2", "scale-out.round-timeout", "PT5S",
                    "model.name", topic + "-model", "kafka.group", group, "kafka.member-name", name,
                    "batch.max-size", "64", "seed", "7", "snapshot.topic", ""));
            PipelineConfig config = GroupSync.memberShare(PipelineConfig.parse(Map.of(), s));
            learner = new EbmLearner(config);
            outputs = TransactionalOutputs.open(broker.bootstrapServers(), group, name + "-outputs",
                    Map.of(), KafkaParts.adminProperties(config), Duration.ofSeconds(30));
            sync = new GroupSync(config, name, learner.architecture(),
                    new SnapshotPublisher(config, learner.architecture(), Optional.empty(), v -> { }), () -> outputs, metrics);
            try {
                sync.join(learner, 0);
            } catch (RuntimeException e) {
                sync.close();
                outputs.close();
                throw e;
            }
        }

        /** Two updates on a batch of {@code seed}, then a sync whose transaction commits. */
        void trainAndPublish(long seed) {
            Nd4j.getRandom().setSeed(seed);
            for (int i = 0; i < 2; i++) {
                learner.update(Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, 32, 2));
                step++;
                records += 32;
                sync.syncWanted(step); // asked after every update, as the trainer does: the member is active
            }
            sync.sync(learner, step, records, Optional.empty());
            outputs.commit(Map.of());
        }

        @Override
        public void close() {
            sync.close();
            outputs.close();
        }
    }
}
