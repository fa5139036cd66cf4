package io.streamebm.connectors.dlq;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Dead letters counted per reason ({@code malformed_json}, {@code wrong_dimension}, ...), for the
 * monitoring module: read {@link #snapshot()} or register a listener that is told of each dead letter
 * (e.g. to increment {@code ebm_records_rejected_total{reason}}). Thread-safe.
 */
public final class DeadLetterCounts {

    private final ConcurrentHashMap<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

    /**
     * Registers a listener called with the reason of every dead letter, once its write is confirmed,
     * on the producer's callback thread: keep it short.
     *
     * @param listener the listener
     */
    public void addListener(Consumer<String> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Counts one dead letter.
     *
     * @param reason the machine reason
     */
    public void increment(String reason) {
        counts.computeIfAbsent(reason, r -> new LongAdder()).increment();
        for (Consumer<String> l : listeners) {
            l.accept(reason);
        }
    }

    /**
     * @param reason a machine reason
     * @return dead letters with that reason so far
     */
    public long count(String reason) {
        LongAdder a = counts.get(reason);
        return a == null ? 0 : a.sum();
    }

    /** @return all dead letters so far */
    public long total() {
        return counts.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** @return counts per reason, sorted by reason */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new TreeMap<>();
        counts.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }
}
