package io.streamebm.connectors;

import io.streamebm.broker.LocalKafkaBroker;

/** One broker per test JVM: starting one costs seconds, and tests isolate themselves by topic and group names. */
public final class SharedBroker {
    private static LocalKafkaBroker broker;

    private SharedBroker() {
    }

    /** @return the shared broker, started on first use and stopped when the JVM exits */
    public static synchronized LocalKafkaBroker get() {
        if (broker == null) {
            broker = LocalKafkaBroker.start();
            LocalKafkaBroker b = broker;
            Runtime.getRuntime().addShutdownHook(new Thread(b::close, "shared-broker-shutdown"));
        }
        return broker;
    }
}
