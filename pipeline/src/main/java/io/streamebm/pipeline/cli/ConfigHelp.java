package io.streamebm.pipeline.cli;

import io.streamebm.pipeline.config.PipelineConfig;
import java.io.PrintStream;

/** Prints the configuration keys, their defaults and meanings, as a YAML-ready list, then the Kafka client pass-through. */
final class ConfigHelp {

    private ConfigHelp() {
    }

    static void print(PrintStream out) {
        out.println("# StreamEBM configuration keys (YAML: nest on the dots; CLI: --set key=value)");
        for (PipelineConfig.Key k : PipelineConfig.KEYS) {
            out.printf("%-28s %-14s %s%n", k.name(), k.defaultValue().isEmpty() ? "''" : k.defaultValue(), k.help());
        }
        out.println();
        out.println("# Kafka client properties, passed through to the clients and checked against Kafka's definitions");
        out.printf("%-28s %-14s %s%n", PipelineConfig.CONSUMER_PREFIX + "<property>", "", "any Kafka consumer property, e.g. "
                + PipelineConfig.CONSUMER_PREFIX + "security.protocol=SASL_SSL");
        out.printf("%-28s %-14s %s%n", PipelineConfig.PRODUCER_PREFIX + "<property>", "", "any Kafka producer property, e.g. "
                + PipelineConfig.PRODUCER_PREFIX + "compression.type=lz4");
        out.printf("%-28s %-14s %s%n", "--command-config FILE", "", "a Kafka client properties file applied to every "
                + "consumer and producer (as in Kafka's tools); the two key families above override it");
    }
}
