package io.streamebm.pipeline.checkpoint;

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
 */
public record Checkpoint(long step, long recordsSeen, Map<String, Long> offsets, Map<String, String> metadata,
        Map<String, INDArray> arrays) {

    /** Validates and freezes the maps (sorted, so the file layout is deterministic). */
    public Checkpoint {
        if (step < 0 || recordsSeen < 0) {
            throw new IllegalArgumentException("step and recordsSeen must be >= 0, got " + step + ", " + recordsSeen);
        }
        offsets = Map.copyOf(new TreeMap<>(Objects.requireNonNull(offsets, "offsets")));
        metadata = Map.copyOf(new TreeMap<>(Objects.requireNonNull(metadata, "metadata")));
        arrays = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(new TreeMap<>(
                Objects.requireNonNull(arrays, "arrays"))));
    }
}
