package io.streamebm.pipeline.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The one spelling rule of enumerated settings. A Java enum constant {@code LOWER_LR} is written
 * {@code lower-lr} in configuration files, help texts, metric tags and checkpoint metadata; any
 * case, and {@code _} for {@code -}, is accepted on input. Every enumerated key is parsed through
 * here exactly once, so "MALA", "Mala" and "mala" are the same sampler everywhere.
 */
public final class Choices {

    private Choices() {
    }

    /** The canonical (configuration) name of a constant: lower case, {@code -} between words. */
    public static String nameOf(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The canonical names of every constant of {@code type}, in declaration order. */
    public static List<String> names(Class<? extends Enum<?>> type) {
        return Arrays.stream(type.getEnumConstants()).map(Choices::nameOf).toList();
    }

    /** The constant {@code value} spells (any case, {@code _} or {@code -}), if any. */
    public static <E extends Enum<?>> Optional<E> find(Class<E> type, String value) {
        if (value == null) {
            return Optional.empty();
        }
        String wanted = value.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        return Arrays.stream(type.getEnumConstants()).filter(c -> nameOf(c).equals(wanted)).findFirst();
    }

    /**
     * The constant {@code value} spells.
     *
     * @param key names the setting in the error
     * @throws ConfigException naming the key, the value and the valid choices
     */
    public static <E extends Enum<?>> E parse(String key, Class<E> type, String value) {
        return find(type, value).orElseThrow(() -> new ConfigException(List.of(problem(key, type, value))));
    }

    /** The error line for a value that is none of the choices. */
    static String problem(String key, Class<? extends Enum<?>> type, String value) {
        return key + " = '" + value + "': must be one of " + names(type);
    }
}
