package io.streamebm.pipeline.config;

/** How input record values are decoded (setting {@code kafka.format}). Spelled in lower case in configuration; see {@link Choices}. */
public enum RecordFormat {
    /** By the record's content-type header, JSON when absent. */
    AUTO,
    /** Always a JSON array of numbers. */
    JSON,
    /** Always packed little-endian float32. */
    FLOAT32
}
