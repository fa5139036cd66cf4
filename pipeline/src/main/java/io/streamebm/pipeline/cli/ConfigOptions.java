package io.streamebm.pipeline.cli;

import io.streamebm.pipeline.config.ConfigException;
import io.streamebm.pipeline.config.PipelineConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * The options of every command that talks to Kafka: a YAML file, generic {@code --set key=value}
 * overrides, a Kafka client properties file and the bootstrap servers, named like Kafka's own
 * tools. Precedence, lowest first: the command's defaults, {@code --command-config}, the YAML
 * file, {@code --set}, then the dedicated flags.
 */
public final class ConfigOptions {

    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file (keys: train --help-config)")
    Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "override one setting, e.g. --set loss.k=20 or --set kafka.consumer.security.protocol=SSL (repeatable)")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = "--command-config", paramLabel = "FILE",
            description = "Kafka client properties file (TLS, SASL, timeouts) applied to every consumer and producer; "
                    + "kafka.consumer.*/kafka.producer.* settings override it")
    Path commandConfig;

    @Option(names = "--bootstrap-server", paramLabel = "HOST:PORT", description = "Kafka bootstrap servers")
    String bootstrapServer;

    /**
     * Merges the layers into a validated configuration and warns on {@code err} about client
     * properties Kafka does not know.
     *
     * @param commandDefaults a command's own defaults (the demo's, say); they fill only what the files leave unset
     * @param flags           the command's dedicated flags, by configuration key; null values are absent flags
     * @throws ConfigException naming every wrong value
     */
    public PipelineConfig resolve(Map<String, String> commandDefaults, Map<String, ?> flags, PrintStream err) {
        Map<String, String> base = new LinkedHashMap<>(readClientProperties(commandConfig));
        Map<String, String> fromFile = configFile == null ? Map.of() : PipelineConfig.readYaml(configFile);
        base.putAll(fromFile);
        Map<String, String> overrides = new LinkedHashMap<>();
        commandDefaults.forEach((k, v) -> {
            if (!base.containsKey(k)) {
                overrides.put(k, v);
            }
        });
        overrides.putAll(settings);
        if (bootstrapServer != null) {
            overrides.put("kafka.bootstrap-servers", bootstrapServer);
        }
        flags.forEach((k, v) -> {
            if (v != null) {
                overrides.put(k, String.valueOf(v));
            }
        });
        PipelineConfig config = PipelineConfig.parse(base, overrides);
        for (String key : config.unknownClientProperties()) {
            err.println("streamebm: warning: " + key + " is not a Kafka client property; passed on anyway");
        }
        return config;
    }

    /**
     * A Kafka client properties file, as {@code kafka.consumer.*} and {@code kafka.producer.*}
     * settings: Kafka's tools apply {@code --command-config} to every client they create, so do we.
     */
    static Map<String, String> readClientProperties(Path file) {
        if (file == null) {
            return Map.of();
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(List.of("--command-config " + file + " cannot be read: " + e.getMessage()));
        }
        Map<String, String> properties = new LinkedHashMap<>();
        for (String name : p.stringPropertyNames()) {
            properties.put(name, p.getProperty(name));
        }
        return PipelineConfig.forEveryClient(properties);
    }
}
