package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.pipeline.TestBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
        try (GroupMember a = new GroupMember(broker, topic, "a", dir); GroupMember b = new GroupMember(broker, topic, "b", dir)) {
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
        try (GroupMember a = new GroupMember(broker, topic, "a", topic + "-group", Optional.empty(), dir)) {
            a.trainAndPublish(1);
            a.sync.committed(a.learner, () -> true);
            // The same model name, and so the same params topic, under a new consumer group: its
            // offsets start over, so taking in a's records would count them twice.
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> new GroupMember(broker, topic, "c", topic + "-other", Optional.empty(), dir).close());
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
}
