package io.streamebm.connectors;

import static io.streamebm.connectors.KafkaTestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.streamebm.broker.LocalKafkaBroker;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

class KafkaSenderTest {

    @Test
    void boundsSendsInFlightAndCompletesOnConfirmation() throws Exception {
        MockProducer<byte[], byte[]> mock = new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
        KafkaSender sender = KafkaSender.create(SenderOptions.builder().bootstrapServers("mock:1").maxInFlight(4).build(), p -> mock);
        List<RecordMetadata> done = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        for (int i = 0; i < 20; i++) {
            sender.send(new ProducerRecord<>("t", 0, null, new byte[] {(byte) i})).subscribe(done::add, error::set);
        }
        assertEquals(4, mock.history().size(), "only maxInFlight records handed to the producer");
        assertEquals(4, sender.inFlight());
        int completed = 0;
        while (completed < 19) {
            assertTrue(mock.completeNext());
            completed++;
            int c = completed;
            await("next send dispatched", Duration.ofSeconds(10), () -> mock.history().size() == Math.min(20, c + 4));
            assertTrue(sender.inFlight() <= 4);
        }
        mock.errorNext(new RuntimeException("broker said no"));
        await("all settled", Duration.ofSeconds(10), () -> done.size() == 19 && error.get() != null);
        assertEquals("broker said no", error.get().getMessage());
        assertEquals(0, sender.inFlight());
        sender.close();
        assertThrows(IllegalStateException.class, () -> sender.send(new ProducerRecord<>("t", new byte[1])).block());
    }

    @Test
    void fluxVariantKeepsOrderAgainstARealBroker() {
        LocalKafkaBroker broker = SharedBroker.get();
        broker.createTopic("sender", 1);
        AtomicInteger n = new AtomicInteger();
        try (KafkaSender sender = KafkaSender.create(SenderOptions.builder().bootstrapServers(broker.bootstrapServers()).maxInFlight(8).build())) {
            List<RecordMetadata> md = sender.send(Flux.range(0, 500).map(i -> new ProducerRecord<byte[], byte[]>("sender", new byte[] {i.byteValue()})))
                    .doOnNext(m -> n.incrementAndGet())
                    .collectList().block(Duration.ofSeconds(60));
            assertEquals(500, md.size());
            for (int i = 1; i < md.size(); i++) {
                assertTrue(md.get(i).offset() > md.get(i - 1).offset(), "confirmations in record order");
            }
        }
    }
}
