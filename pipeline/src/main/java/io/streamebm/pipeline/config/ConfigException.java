package io.streamebm.pipeline.config;

import java.util.List;

/** Thrown when a configuration is invalid; lists every problem found, not just the first. */
public final class ConfigException extends RuntimeException implements UsageError {

    private final List<String> problems;

    /** @param problems one human-readable line per wrong or missing value */
    public ConfigException(List<String> problems) {
        super("invalid configuration:\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    /** One line per problem. */
    public List<String> problems() {
        return problems;
    }
}
