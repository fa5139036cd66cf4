package io.streamebm.pipeline.cli;

import io.streamebm.pipeline.config.PipelineConfig;
import java.io.PrintStream;

/** Prints the configuration keys, their defaults and meanings, as a YAML-ready list. */
final class ConfigHelp {

    private ConfigHelp() {
    }

    static void print(PrintStream out) {
        out.println("# StreamEBM configuration keys (YAML: nest on the dots; CLI: --set key=value)");
        for (PipelineConfig.Key k : PipelineConfig.KEYS) {
            out.printf("%-28s %-14s %s%n", k.name(), k.defaultValue().isEmpty() ? "''" : k.defaultValue(), k.help());
        }
    }
}
