package io.streamebm.pipeline.app;

import io.streamebm.telemetry.StepRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * The step records of a run for plotting, in bounded memory: when full, every other entry is
 * dropped and only every 2ᵏ-th later step is kept, so a run of any length keeps an evenly thinned
 * history of at most {@code capacity} entries.
 */
final class StepHistory {

    private final int capacity;
    private final List<StepRecord> entries = new ArrayList<>();
    private long stride = 1;
    private long seen;

    StepHistory(int capacity) {
        if (capacity < 2) {
            throw new IllegalArgumentException("capacity must be >= 2, got " + capacity);
        }
        this.capacity = capacity;
    }

    synchronized void add(StepRecord r) {
        if (seen++ % stride != 0) {
            return;
        }
        entries.add(r);
        if (entries.size() >= capacity) {
            List<StepRecord> kept = new ArrayList<>(capacity / 2 + 1);
            for (int i = 0; i < entries.size(); i += 2) {
                kept.add(entries.get(i));
            }
            entries.clear();
            entries.addAll(kept);
            stride *= 2;
        }
    }

    synchronized List<StepRecord> snapshot() {
        return List.copyOf(entries);
    }
}
