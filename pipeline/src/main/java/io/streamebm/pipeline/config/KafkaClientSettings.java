package io.streamebm.pipeline.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;

/**
 * Checks the Kafka client properties passed through under {@code kafka.consumer.} and
 * {@code kafka.producer.} against Kafka's own definitions ({@link ConsumerConfig#configDef()},
 * {@link ProducerConfig#configDef()}), so that {@code security.protocol=TSL} is a configuration
 * error at start-up naming the key, rather than a failure deep inside a client thread later.
 * Values of password properties never appear in messages.
 */
final class KafkaClientSettings {

    private static final ConfigDef CONSUMER = ConsumerConfig.configDef();
    private static final ConfigDef PRODUCER = ProducerConfig.configDef();

    private KafkaClientSettings() {
    }

    /** One line per invalid pass-through value, as {@code kafka.consumer.KEY = 'VALUE': Kafka's reason}. */
    static List<String> problems(Map<String, String> settings) {
        List<String> problems = new ArrayList<>();
        check(PipelineConfig.CONSUMER_PREFIX, CONSUMER, settings, problems);
        check(PipelineConfig.PRODUCER_PREFIX, PRODUCER, settings, problems);
        return problems;
    }

    /**
     * Client properties meant for every client (a {@code --command-config} file), as pass-through
     * settings: each goes to the clients that know it ({@code linger.ms} to the producer only), and
     * a name neither knows to both, so that it is reported as unknown.
     */
    static Map<String, String> forEveryClient(Map<String, String> properties) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        properties.forEach((name, value) -> {
            boolean consumer = known(CONSUMER, name);
            boolean producer = known(PRODUCER, name);
            if (consumer || !producer) {
                out.put(PipelineConfig.CONSUMER_PREFIX + name, value);
            }
            if (producer || !consumer) {
                out.put(PipelineConfig.PRODUCER_PREFIX + name, value);
            }
        });
        return out;
    }

    /** The pass-through keys that are no property of their Kafka client (typos, most likely). */
    static List<String> unknown(Map<String, String> settings) {
        List<String> out = new ArrayList<>();
        settings.keySet().forEach(k -> {
            if (k.startsWith(PipelineConfig.CONSUMER_PREFIX)
                    && !known(CONSUMER, k.substring(PipelineConfig.CONSUMER_PREFIX.length()))) {
                out.add(k);
            } else if (k.startsWith(PipelineConfig.PRODUCER_PREFIX)
                    && !known(PRODUCER, k.substring(PipelineConfig.PRODUCER_PREFIX.length()))) {
                out.add(k);
            }
        });
        return out;
    }

    /**
     * Whether a pass-through key ({@code kafka.consumer.sasl.jaas.config}) holds a secret: Kafka
     * declares it a password, or it is the JAAS configuration, which embeds one.
     */
    static boolean secret(String key) {
        String name = key.startsWith(PipelineConfig.CONSUMER_PREFIX) ? key.substring(PipelineConfig.CONSUMER_PREFIX.length())
                : key.startsWith(PipelineConfig.PRODUCER_PREFIX) ? key.substring(PipelineConfig.PRODUCER_PREFIX.length())
                : null;
        if (name == null) {
            return false;
        }
        for (ConfigDef def : new ConfigDef[] {CONSUMER, PRODUCER}) {
            ConfigDef.ConfigKey k = def.configKeys().get(name);
            if (k != null && k.type == ConfigDef.Type.PASSWORD) {
                return true;
            }
        }
        return name.endsWith("jaas.config") || name.contains("password");
    }

    private static boolean known(ConfigDef def, String name) {
        return def.names().contains(name);
    }

    private static void check(String prefix, ConfigDef def, Map<String, String> settings, List<String> problems) {
        Map<String, String> given = new java.util.LinkedHashMap<>();
        settings.forEach((k, v) -> {
            if (k.startsWith(prefix) && known(def, k.substring(prefix.length()))) {
                given.put(k.substring(prefix.length()), v.trim());
            }
        });
        if (given.isEmpty()) {
            return;
        }
        Set<String> names = given.keySet();
        for (ConfigValue v : def.validate(given)) {
            // validate() also reports the settings we fill in ourselves (bootstrap servers,
            // deserializers): only the ones the user passed are theirs to fix.
            if (names.contains(v.name()) && !v.errorMessages().isEmpty()) {
                boolean secret = def.configKeys().get(v.name()).type == ConfigDef.Type.PASSWORD;
                String value = secret ? "[hidden]" : given.get(v.name());
                String reason = String.join("; ", v.errorMessages());
                if (secret && !given.get(v.name()).isEmpty()) {
                    reason = reason.replace(given.get(v.name()), "[hidden]");
                }
                problems.add(prefix + v.name() + " = '" + value + "': " + reason);
            }
        }
    }
}
