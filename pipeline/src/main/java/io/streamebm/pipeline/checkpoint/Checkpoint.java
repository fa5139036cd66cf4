package io.streamebm.pipeline.checkpoint;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Everything a trainer needs to continue exactly where it stopped.
 *
 * @param step          number of updates applied
 * @param recordsSeen   number of input records that the model state has counted
 * @param offsets       per source ("topic-partition"), the next offset to read
 * @param metadata      the configuration that shaped the model (type, dimension, loss, ...) and
 *                      anything else a reader must check before trusting the arrays
 * @param arrays        named state arrays: model parameters, optimizer, loss and random state
 * @param sections      optional named byte sections that a reader may skip, such as the calibration
 *                      of a model snapshot; written after the arrays, where readers that predate
 *                      them stop (see {@link CheckpointFormat})
 */
public record Checkpoint(long step, long recordsSeen, Map<String, Long> offsets, Map<String, String> metadata,
        Map<String, INDArray> arrays, Map<String, byte[]> sections) {

    /** Validates and freezes the maps (sorted, so the file layout is deterministic). */
    public Checkpoint {
        if (step < 0 || recordsSeen < 0) {
            throw new IllegalArgumentException("step and recordsSeen must be >= 0, got " + step + ", " + recordsSeen);
        }
        offsets = Map.copyOf(new TreeMap<>(Objects.requireNonNull(offsets, "offsets")));
        metadata = Map.copyOf(new TreeMap<>(Objects.requireNonNull(metadata, "metadata")));
        arrays = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(new TreeMap<>(
                Objects.requireNonNull(arrays, "arrays"))));
        sections = copyOf(Objects.requireNonNull(sections, "sections"));
    }

    /** A checkpoint without sections: everything a trainer's own checkpoint holds. */
    public Checkpoint(long step, long recordsSeen, Map<String, Long> offsets, Map<String, String> metadata,
            Map<String, INDArray> arrays) {
        this(step, recordsSeen, offsets, metadata, arrays, Map.of());
    }

    /** The sections, sorted by name; each array is a copy, so this record stays immutable. */
    @Override
    public Map<String, byte[]> sections() {
        return copyOf(sections);
    }

    private static Map<String, byte[]> copyOf(Map<String, byte[]> sections) {
        Map<String, byte[]> copy = new LinkedHashMap<>();
        new TreeMap<>(sections).forEach((name, bytes) -> copy.put(Objects.requireNonNull(name, "section name"),
                Arrays.copyOf(Objects.requireNonNull(bytes, "section " + name), bytes.length)));
        return java.util.Collections.unmodifiableMap(copy);
    }
}
