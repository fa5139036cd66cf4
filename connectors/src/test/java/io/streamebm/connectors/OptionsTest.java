package io.streamebm.connectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

class OptionsTest {

    private static ReceiverOptions.Builder valid() {
        return ReceiverOptions.builder().bootstrapServers("127.0.0.1:9092").groupId("g").topics("t");
    }

    private static String error(ReceiverOptions.Builder b) {
        return assertThrows(IllegalArgumentException.class, b::build).getMessage();
    }

    @Test
    void defaultsAndPassThrough() {
        ReceiverOptions o = valid()
                .property("security.protocol", "SASL_SSL")
                .property("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\";")
                .property("ssl.truststore.location", "/etc/ts.jks")
                .build();
        assertEquals("SASL_SSL", o.consumerProperties().get("security.protocol"));
        assertEquals("/etc/ts.jks", o.consumerProperties().get("ssl.truststore.location"));
        assertEquals("false", o.consumerProperties().get("enable.auto.commit"));
        assertEquals("org.apache.kafka.common.serialization.ByteArrayDeserializer", o.consumerProperties().get("value.deserializer"));
        assertEquals(Duration.ofSeconds(5), o.commitInterval());
        assertEquals(Duration.ofMillis(100), o.pollTimeout());
        assertEquals(Long.MAX_VALUE, o.maxInFlightRecords());
        assertEquals("g", o.groupId());
        assertFalse(o.toString().contains("password=\"p\""), "secrets are not printed");
        assertThrows(UnsupportedOperationException.class, () -> o.consumerProperties().put("x", "y"));
        assertEquals(Map.of(), o.onAssigned().apply(java.util.List.of()));
        ReceiverOptions derived = o.toBuilder().commitInterval(Duration.ofSeconds(1)).build();
        assertEquals(Duration.ofSeconds(1), derived.commitInterval());
        assertEquals(Duration.ofSeconds(5), o.commitInterval());
    }

    @Test
    void receiverRejectsBadValuesSayingWhatIsValid() {
        assertTrue(error(ReceiverOptions.builder().groupId("g").topics("t")).contains("bootstrap.servers is required"));
        assertTrue(error(ReceiverOptions.builder().bootstrapServers("h:1").topics("t")).contains("group.id is required"));
        assertTrue(error(valid().topics(java.util.List.of())).contains("at least one topic"));
        assertTrue(error(valid().property("enable.auto.commit", "true")).contains("enable.auto.commit must be false"));
        assertTrue(error(valid().commitInterval(Duration.ZERO)).contains("commitInterval must be a positive Duration"));
        assertTrue(error(valid().pollTimeout(Duration.ofMillis(-1))).contains("pollTimeout must be a positive Duration"));
        assertTrue(error(valid().closeTimeout(Duration.ofMillis(-1))).contains("closeTimeout must be a Duration >= 0"));
        assertTrue(error(valid().maxInFlightRecords(0)).contains("maxInFlightRecords must be >= 1"));
        assertTrue(error(valid().retryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1))).contains("must be >= retryBackoff"));
        assertTrue(error(valid().property("max.poll.records", "lots")).contains("max.poll.records must be an integer"));
        assertTrue(error(valid().property("max.poll.records", 0)).contains("max.poll.records must be an integer in 1.."));
        assertTrue(error(valid().maxRetries(-1)).contains("maxRetries must be >= 0"));
        String m = error(valid().property("auto.offset.reset", "oldest"));
        assertTrue(m.contains("invalid Kafka consumer property") && m.contains("auto.offset.reset"), m);
        m = error(valid().property("session.timeout.ms", "soon"));
        assertTrue(m.contains("session.timeout.ms"), m);
    }

    @Test
    void senderDefaultsAndValidation() {
        SenderOptions o = SenderOptions.builder().bootstrapServers("h:1").property("linger.ms", 5).build();
        assertEquals("all", o.producerProperties().get("acks"));
        assertEquals(5, o.producerProperties().get("linger.ms"));
        assertEquals(1024, o.maxInFlight());
        assertEquals("1", SenderOptions.builder().bootstrapServers("h:1").property("acks", "1").build().producerProperties().get("acks"));
        assertThrows(IllegalArgumentException.class, () -> SenderOptions.builder().build());
        String m = assertThrows(IllegalArgumentException.class,
                () -> SenderOptions.builder().bootstrapServers("h:1").maxInFlight(0).build()).getMessage();
        assertTrue(m.contains("maxInFlight must be >= 1"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> SenderOptions.builder().bootstrapServers("h:1").property("acks", "some").build()).getMessage();
        assertTrue(m.contains("acks must be one of all, -1, 0, 1"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> SenderOptions.builder().bootstrapServers("h:1").property("linger.ms", "later").build()).getMessage();
        assertTrue(m.contains("invalid Kafka producer property") && m.contains("linger.ms"), m);
    }
}
