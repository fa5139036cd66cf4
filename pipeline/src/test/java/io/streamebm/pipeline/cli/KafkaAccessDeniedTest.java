package io.streamebm.pipeline.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.pipeline.config.PipelineConfig;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

class KafkaAccessDeniedTest {

    private static final PipelineConfig CONFIG = PipelineConfig.parse(Map.of(), Map.of(
            "kafka.bootstrap-servers", "kafka:9093",
            "kafka.consumer.sasl.jaas.config",
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"alice\" password=\"pw-123\";"));

    @Test
    void wrappedAuthenticationFailureNamesTheUserButNotThePassword() {
        Exception e = new IllegalStateException("receiver failed",
                new CompletionException(new SaslAuthenticationException("Authentication failed: Invalid username or password")));
        KafkaAccessDenied denied = assertThrows(KafkaAccessDenied.class,
                () -> KafkaAccessDenied.translate(CONFIG, () -> {
                    throw e;
                }));
        assertEquals("authentication failed for user 'alice' at kafka:9093: Authentication failed: Invalid username "
                + "or password", denied.getMessage());
        assertFalse(denied.getMessage().contains("pw-123"));
        assertEquals(0, denied.getStackTrace().length, "no stack trace to print");
    }

    @Test
    void authorizationFailuresNameTheTopicOrGroup() {
        assertEquals("user 'alice' may not use topic a, b: no ACL allows it",
                KafkaAccessDenied.find(new KafkaException(new TopicAuthorizationException(Set.of("b", "a"))), "alice",
                        "x:1").orElseThrow().getMessage());
        assertEquals("user 'alice' may not use group g1: no ACL allows it",
                KafkaAccessDenied.find(new GroupAuthorizationException("denied", "g1"), "alice", "x:1")
                        .orElseThrow().getMessage());
    }

    @Test
    void otherFailuresPassUnchanged() {
        TimeoutException timeout = new TimeoutException("no broker");
        assertTrue(KafkaAccessDenied.find(timeout, "alice", "x:1").isEmpty());
        TimeoutException thrown = assertThrows(TimeoutException.class, () -> KafkaAccessDenied.translate(CONFIG, () -> {
            throw timeout;
        }));
        assertEquals(timeout, thrown);
        assertEquals("(none configured)", KafkaAccessDenied.user(PipelineConfig.defaults()));
    }
}
