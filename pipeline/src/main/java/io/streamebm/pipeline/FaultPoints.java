package io.streamebm.pipeline;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Named points where a crash test can freeze the trainer, so that it can be killed exactly there.
 *
 * <p>Set the system property {@value #PROPERTY} to {@code name@n}: the n-th time the trainer
 * reaches point {@code name}, it prints {@code FAULT-POINT name n} on standard output and stops
 * making progress until the process is killed. Points: {@code step} (an update applied, not yet
 * recorded), {@code checkpoint-write} (the checkpoint file written, not yet renamed into place),
 * {@code after-checkpoint} (durable, offsets not yet acknowledged). Unset, every call is a no-op.
 */
public final class FaultPoints {

    /** The system property that arms a fault point. */
    public static final String PROPERTY = "streamebm.fault";

    private static final ConcurrentHashMap<String, AtomicLong> COUNTS = new ConcurrentHashMap<>();

    private FaultPoints() {
    }

    /** Marks that the trainer reached {@code name}; freezes here if armed for this occurrence. */
    public static void reach(String name) {
        String armed = System.getProperty(PROPERTY);
        if (armed == null || armed.isEmpty()) {
            return;
        }
        int at = armed.lastIndexOf('@');
        String point = at < 0 ? armed : armed.substring(0, at);
        long n = at < 0 ? 1 : Long.parseLong(armed.substring(at + 1));
        if (!point.equals(name)) {
            return;
        }
        long count = COUNTS.computeIfAbsent(name, k -> new AtomicLong()).incrementAndGet();
        if (count != n) {
            return;
        }
        System.out.println("FAULT-POINT " + name + " " + count);
        System.out.flush();
        while (true) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                // Keep the frozen state: only a kill ends this.
            }
        }
    }
}
