package io.streamebm.pipeline.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The input topic and consumer group of the commands that consume ({@code train}, {@code score}, {@code demo}). */
public final class TopicOptions {

    @Option(names = "--topic", paramLabel = "NAME", description = "input topic (default ebm.samples)")
    String topic;

    @Option(names = "--group", paramLabel = "NAME", description = "consumer group (default streamebm)")
    String group;

    /** These flags by configuration key; absent flags are null. */
    Map<String, Object> flags() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kafka.topic", topic);
        m.put("kafka.group", group);
        return m;
    }
}
