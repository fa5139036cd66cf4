package io.streamebm.pipeline;

import io.streamebm.broker.LocalKafkaBroker;
import java.util.concurrent.atomic.AtomicInteger;

/** One real KRaft broker shared by every test of this JVM, and unique topic names per test. */
public final class TestBroker {

    private static LocalKafkaBroker broker;
    private static final AtomicInteger TOPICS = new AtomicInteger();

    private TestBroker() {
    }

    /** The shared broker, started on first use and stopped when the JVM exits. */
    public static synchronized LocalKafkaBroker get() {
        if (broker == null) {
            broker = LocalKafkaBroker.start();
            Runtime.getRuntime().addShutdownHook(new Thread(broker::close));
        }
        return broker;
    }

    /** A topic name no other test uses. */
    public static String uniqueTopic(String prefix) {
        return prefix + "-" + ProcessHandle.current().pid() + "-" + TOPICS.incrementAndGet();
    }
}
