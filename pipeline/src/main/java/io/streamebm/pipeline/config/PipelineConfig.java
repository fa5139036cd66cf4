package io.streamebm.pipeline.config;

import static io.streamebm.pipeline.config.ValueChecks.*;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import io.streamebm.energy.mlp.Activation;
import io.streamebm.pipeline.drift.DriftReaction;
import io.streamebm.pipeline.train.TrainerOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The immutable, validated configuration of a training run.
 *
 * <p>Every setting has a dotted key (the YAML path), a default, and a validator. Values come from
 * the defaults, then a YAML file, then command-line overrides ({@code --set key=value} and the
 * dedicated flags). {@link #parse} collects every wrong, unknown or missing value and throws one
 * {@link ConfigException} that names them all. The accepted keys and their defaults are
 * {@link #KEYS}; {@code streamebm train --help-config} prints them. Keys under
 * {@code kafka.consumer.} and {@code kafka.producer.} pass any Kafka client property through
 * (TLS, SASL, timeouts), as in {@code --set kafka.consumer.security.protocol=SSL}; their values are
 * checked against Kafka's own client definitions.
 */
public final class PipelineConfig {

    /**
     * One setting: its key, default, help text and how to check a value.
     *
     * @param check   returns why a (trimmed) value is wrong, or null when it is valid
     * @param choices for an enumerated setting, the enum its values parse to (see {@link Choices});
     *                null for every other setting
     */
    public record Key(String name, String defaultValue, String help, Function<String, String> check,
            Class<? extends Enum<?>> choices) {

        /** A setting that is not enumerated. */
        public Key(String name, String defaultValue, String help, Function<String, String> check) {
            this(name, defaultValue, help, check, null);
        }

        /**
         * An enumerated setting: its values are the constants of {@code type}, spelled as
         * {@link Choices} says, and read back with {@link PipelineConfig#choice}.
         */
        public static <E extends Enum<E>> Key choice(String name, String defaultValue, String help, Class<E> type) {
            return new Key(name, defaultValue, help + ", one of " + Choices.names(type),
                    v -> Choices.find(type, v).isPresent() ? null : "must be one of " + Choices.names(type), type);
        }
    }

    /** Every accepted key, with its default and meaning. */
    public static final List<Key> KEYS = List.of(
            Key.choice("model.type", "mlp", "energy model", ModelType.class),
            new Key("model.dim", "2", "sample dimension d", positiveInt()),
            new Key("model.hidden", "128,128", "MLP hidden widths, comma-separated", widths()),
            Key.choice("model.activation", "silu", "MLP activation", Activation.class),
            new Key("model.name", "default", "model name: snapshot key and metric tag", nonEmpty()),
            Key.choice("loss.type", "pcd", "loss", LossType.class),
            new Key("loss.k", "10", "sampler steps per update (cd, pcd)", positiveInt()),
            new Key("loss.chains", "1000", "persistent chains (pcd)", positiveInt()),
            new Key("loss.reinit", "0.05", "per-update chain re-initialisation probability (pcd)", probability()),
            Key.choice("loss.reinit-source", "data", "where re-initialised chains restart (pcd). data: at a row of the batch (no bias at the optimum; with step-size 0.01 chains still cross between modes,"
                    + " and it learned best in bench/RESULTS.md); uniform: in the box the data has spanned plus 10% (valleys are"
                    + " visited directly, young chains bias the fit); noise: N(0, I)",
                    io.streamebm.losses.PersistentContrastiveDivergenceLoss.RestartSource.class),
            new Key("loss.alpha", "0.1", "energy regularisation weight (cd, pcd); core's default 0.001 lets energies drift in long online runs", nonNegative()),
            new Key("loss.sigma", "0.1", "noise scale (dsm)", positive()),
            new Key("loss.projections", "5", "random projections (ssm)", positiveInt()),
            new Key("loss.noise-samples", "10", "noise samples per data point (nce)", positiveInt()),
            new Key("loss.noise-std", "2.0", "standard deviation of the Gaussian noise (nce)", positive()),
            Key.choice("sampler.type", "langevin", "sampler", SamplerType.class),
            new Key("sampler.step-size", "0.005", "sampler step size; TorchEBM's 1e-3 leaves PCD chains on the modes they start on,"
                    + " so a multimodal stream is learned as a ring; 0.005 learned thin shapes better than 0.01 (bench/RESULTS.md)", positive()),
            new Key("sampler.noise-scale", "1.0", "Langevin noise scale", nonNegative()),
            new Key("sampler.leapfrog-steps", "10", "HMC leapfrog steps", positiveInt()),
            Key.choice("optimizer.type", "adam", "optimizer", OptimizerType.class),
            new Key("optimizer.lr", "0.003", "learning rate (with beta1 0, tuned on four 2-D streams in bench/RESULTS.md)", positive()),
            new Key("optimizer.beta1", "0.0", "Adam beta1; 0 as in IGEBM: the negatives move every step, and momentum on their"
                    + " gradient overshoots (bench/RESULTS.md)", unitInterval()),
            new Key("optimizer.beta2", "0.999", "Adam beta2", unitInterval()),
            new Key("optimizer.weight-decay", "0.0", "weight decay", nonNegative()),
            new Key("optimizer.momentum", "0.0", "SGD momentum", unitInterval()),
            new Key("optimizer.clip-norm", "10.0", "clip the gradient to this global norm, 0 to disable", nonNegative()),
            new Key("batch.max-size", "256", "largest micro-batch", positiveInt()),
            new Key("batch.max-wait", "PT0.2S", "longest wait to fill a micro-batch (ISO-8601 or 200ms)", ValueChecks.duration()),
            new Key("seed", "42", "seed of every random source", anyLong()),
            new Key("kafka.bootstrap-servers", "", "Kafka bootstrap servers HOST:PORT[,...]", hostPorts()),
            new Key("kafka.topic", "ebm.samples", "input topic", nonEmpty()),
            new Key("kafka.group", "streamebm", "consumer group", nonEmpty()),
            Key.choice("kafka.format", "auto", "record format (auto: by the content-type header)", RecordFormat.class),
            new Key("kafka.member-name", "", "stable name of this member in its group (static membership, so a restart resumes at once); empty: host name and checkpoint directory", any()),
            new Key("kafka.max-record-bytes", "65536", "largest accepted record value", positiveInt()),
            new Key("kafka.max-abs-value", "1e6", "largest accepted |x| of a sample value; beyond it the record is dead-lettered as out_of_range", positive()),
            new Key("snapshot.topic", "ebm.models", "model snapshot topic, empty to disable", any()),
            new Key("snapshot.every-steps", "50", "steps between snapshots", positiveInt()),
            new Key("score.topic", "ebm.scores", "score output topic", nonEmpty()),
            new Key("score.max-version-jump", "1000000", "score: largest accepted step from the current snapshot version to a new one; a bigger jump is refused as forged", positiveInt()),
            new Key("scoring.anomaly-percentile", "0.995", "score: a record whose energy ranks at or above this share of the recent training energies is an anomaly", ValueChecks.number(d -> d > 0 && d <= 1, "a number in (0, 1]")),
            new Key("calibration.window-records", "20000", "measured training energies per calibration window; snapshots rank scores among the last one to two windows", positiveInt()),
            new Key("calibration.every-batches", "25", "when the loss does not hand over its energies (dsm, cd with data noise) and drift.enabled is off, measure one micro-batch in this many for the calibration (each measurement is a forward pass)", positiveInt()),
            new Key("snapshot.signing-key-file", "", "file holding the HMAC-SHA256 key (at least 16 bytes) that signs snapshots (train) and must verify them (score); empty: unsigned. The environment variable STREAMEBM_SNAPSHOT_KEY can hold the key instead", any()),
            new Key("shutdown.timeout", "PT30S", "after SIGTERM, the longest clean stop before the process halts with exit code 4", ValueChecks.duration()),
            new Key("checkpoint.dir", "checkpoints", "checkpoint directory", nonEmpty()),
            new Key("checkpoint.every-steps", "100", "steps between checkpoints", positiveInt()),
            new Key("checkpoint.interval", "PT30S", "longest time between checkpoints", ValueChecks.duration()),
            new Key("checkpoint.keep", "3", "checkpoints kept", positiveInt()),
            new Key("checkpoint.fresh-start", "false", "ignore existing checkpoints (train --fresh-start)", flag()),
            new Key("metrics.host", "127.0.0.1", "metrics bind address", nonEmpty()),
            new Key("metrics.port", "9404", "metrics port (0: any free port)", port()),
            new Key("quality.every-steps", "200", "updates between quality probes (MMD of recent data vs model samples), 0 to disable", nonNegativeInt()),
            new Key("quality.window", "256", "recent records (and model samples) the quality probe compares", atLeastTwo()),
            Key.choice("quality.reference", "none", "known true density of the stream for grid TV in the quality probe"
                    + " (eight-gaussians: std 0.1, as the demo streams it)", QualityReference.class),
            new Key("drift.enabled", "false", "watch the arriving stream for drift: ADWIN on each arriving record's energy before the update, relative to the recent records' (about 2% of a PCD step; README, Drift)", flag()),
            new Key("drift.delta", "0.002", "ADWIN confidence of the drift detector on the energies of arriving records: smaller, fewer false alarms and later detection", openUnitInterval()),
            new Key("drift.max-window", "100000", "most recent records the drift detector compares (at least 64)", intAtLeast(64)),
            Key.choice("drift.reaction", "none", "what the trainer does on a drift, besides counting, logging and publishing it", DriftReaction.class),
            new Key("drift.raise-lr-factor", "2.0", "learning-rate factor of the raise-lr reaction", ValueChecks.number(d -> d > 1, "a number > 1")),
            new Key("drift.raise-lr-steps", "200", "updates the raised learning rate of the raise-lr reaction lasts", positiveInt()),
            new Key("drift.events-topic", "", "topic of the drift events (JSON); empty: <model.name>.events", topicName()),
            new Key("scale-out.enabled", "false", "train one model with every member of kafka.group that enables it: each trains on its partitions and,"
                    + " at each sync, publishes its own updates to the params topic and takes in the others' (README, Scale-out)", flag()),
            new Key("scale-out.sync-every-steps", "10", "scale-out: updates between syncs; each sync commits the member's offsets with its contribution"
                    + " (the checkpoint file, a cache of the member's own state, follows checkpoint.every-steps)", positiveInt()),
            new Key("scale-out.members", "1", "scale-out: how many members you run. Each trains micro-batches of batch.max-size / N and keeps"
                    + " loss.chains / N persistent chains, so that the averaged group takes the steps one trainer would take on the whole stream"
                    + " (without it, N members need about N times the records: bench/RESULTS.md)", positiveInt()),
            Key.choice("scale-out.merge", "average", "scale-out: how a member's update enters the group's model. average: weighted by the member's share of"
                    + " the records the group trained since its previous publication (local SGD); sum: at full weight", io.streamebm.pipeline.scaleout.MergeRule.class),
            new Key("scale-out.rounds", "true", "scale-out: members sync in lock-step rounds: each publishes its round-k update, then waits for the"
                    + " others' round k (at most scale-out.round-timeout) before it takes in the group's model; false: each takes in whatever"
                    + " the params topic holds when it syncs (one at a time, which needs more records: bench/RESULTS.md)", flag()),
            new Key("scale-out.round-timeout", "PT5S", "scale-out: longest wait for the others' round; a member that misses it is left out"
                    + " of the next rounds until it publishes again (its records stay counted)", ValueChecks.duration()),
            new Key("scale-out.outer-momentum", "auto", "scale-out: heavy-ball momentum on the group's update at each round (needs scale-out.rounds);"
                    + " auto: 1 - 1/sqrt(scale-out.members), 0 for one member", autoOr(unitInterval())),
            new Key("scale-out.params-topic", "", "scale-out: compacted topic of the members' contributions, keyed by member; empty: <model.name>.params", topicName()),
            new Key("divergence.energy-bound", "10000", "largest |mean energy| before a rollback", positive()),
            new Key("divergence.good-state-every", "10", "updates between copies of the state a rollback returns to", positiveInt()),
            Key.choice("divergence.reaction", "both", "after a rollback", TrainerOptions.Reaction.class),
            new Key("divergence.lr-factor", "0.5", "learning-rate factor for lower-lr", openUnitInterval()),
            new Key("divergence.lr-recovery-steps", "200", "applied updates without a rollback after which a lowered learning rate returns to optimizer.lr", positiveInt()));

    private static final Map<String, Key> BY_NAME;

    static {
        Map<String, Key> m = new LinkedHashMap<>();
        for (Key k : KEYS) {
            m.put(k.name(), k);
        }
        BY_NAME = Collections.unmodifiableMap(m);
    }

    private final Map<String, String> values;
    private final Map<String, Enum<?>> choices;

    private PipelineConfig(Map<String, String> values, Map<String, Enum<?>> choices) {
        this.values = Collections.unmodifiableMap(new TreeMap<>(values));
        this.choices = Map.copyOf(choices);
    }

    /** The defaults alone. */
    public static PipelineConfig defaults() {
        return parse(Map.of(), Map.of());
    }

    /**
     * Builds a configuration from YAML settings (already flattened to dotted keys) and overrides.
     *
     * @throws ConfigException naming every unknown key and invalid value
     */
    public static PipelineConfig parse(Map<String, String> fromFile, Map<String, String> overrides) {
        Map<String, String> merged = new LinkedHashMap<>();
        for (Key k : KEYS) {
            merged.put(k.name(), k.defaultValue());
        }
        List<String> problems = new ArrayList<>();
        putAll(merged, fromFile, "config file", problems);
        putAll(merged, overrides, "command line", problems);
        for (Key k : KEYS) {
            String problem = k.check().apply(merged.get(k.name()).trim());
            if (problem != null) {
                problems.add(k.name() + " = '" + merged.get(k.name()) + "': " + problem);
            }
        }
        problems.addAll(KafkaClientSettings.problems(merged));
        if (problems.isEmpty() && Boolean.parseBoolean(merged.get("scale-out.enabled").trim().toLowerCase(Locale.ROOT))
                && Choices.find(DriftReaction.class, merged.get("drift.reaction").trim()).orElseThrow()
                        == DriftReaction.SNAPSHOT_PRE_DRIFT) {
            // One snapshot stream per group, versioned by the group's records: one member cannot
            // publish its own pre-drift model under a version of its own.
            problems.add("drift.reaction = '" + merged.get("drift.reaction").trim() + "' with scale-out.enabled = true:"
                    + " a group publishes one snapshot stream; use none, reinit-chains or raise-lr");
        }
        if (problems.isEmpty() && !Boolean.parseBoolean(merged.get("scale-out.rounds").trim().toLowerCase(Locale.ROOT))
                && !merged.get("scale-out.outer-momentum").trim().equalsIgnoreCase("auto")
                && Double.parseDouble(merged.get("scale-out.outer-momentum").trim()) > 0) {
            // Members syncing one at a time would amplify each other's stale updates: measured worse.
            problems.add("scale-out.outer-momentum = '" + merged.get("scale-out.outer-momentum").trim()
                    + "' with scale-out.rounds = false: momentum needs lock-step rounds; use auto or 0");
        }
        if (problems.isEmpty()) {
            String size = modelSizeProblem(merged.get("model.dim").trim(), merged.get("model.hidden").trim());
            if (size != null) {
                problems.add("model.hidden = '" + merged.get("model.hidden") + "' with model.dim = "
                        + merged.get("model.dim").trim() + ": " + size);
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        merged.replaceAll((k, v) -> v.trim());
        Map<String, Enum<?>> choices = new LinkedHashMap<>();
        for (Key k : KEYS) {
            if (k.choices() != null) {
                Enum<?> c = Choices.find(k.choices(), merged.get(k.name())).orElseThrow();
                choices.put(k.name(), c);
                // Stored in canonical spelling, so that metric tags and checkpoint metadata read
                // the same whatever case the user typed.
                merged.put(k.name(), Choices.nameOf(c));
            } else if (k.check() == FLAG) {
                merged.put(k.name(), merged.get(k.name()).toLowerCase(Locale.ROOT));
            }
        }
        return new PipelineConfig(merged, choices);
    }

    private static void putAll(Map<String, String> target, Map<String, String> source, String where,
            List<String> problems) {
        for (Map.Entry<String, String> e : source.entrySet()) {
            if (isPassThrough(e.getKey())) {
                target.put(e.getKey(), e.getValue() == null ? "" : e.getValue());
            } else if (!BY_NAME.containsKey(e.getKey())) {
                problems.add("unknown setting '" + e.getKey() + "' in " + where + " (known: " + String.join(", ", BY_NAME.keySet()) + ")");
            } else {
                target.put(e.getKey(), e.getValue() == null ? "" : e.getValue());
            }
        }
    }

    /** Prefix of Kafka consumer properties passed through unchanged, such as TLS or SASL settings. */
    public static final String CONSUMER_PREFIX = "kafka.consumer.";
    /** Prefix of Kafka producer properties passed through unchanged. */
    public static final String PRODUCER_PREFIX = "kafka.producer.";

    private static boolean isPassThrough(String key) {
        return (key.startsWith(CONSUMER_PREFIX) && key.length() > CONSUMER_PREFIX.length())
                || (key.startsWith(PRODUCER_PREFIX) && key.length() > PRODUCER_PREFIX.length());
    }

    /**
     * The pass-through keys that name no property of their Kafka client, such as a misspelt
     * {@code kafka.consumer.securty.protocol}. They are passed on anyway, as Kafka's own tools do
     * (an interceptor may read them); the commands print a warning.
     */
    public List<String> unknownClientProperties() {
        return KafkaClientSettings.unknown(values);
    }

    /**
     * Kafka client properties for every client, such as a {@code --command-config} file, as
     * {@code kafka.consumer.*} and {@code kafka.producer.*} settings to parse: each property goes
     * to the clients whose Kafka definition has it ({@code linger.ms} to the producer alone).
     */
    public static Map<String, String> forEveryClient(Map<String, String> properties) {
        return KafkaClientSettings.forEveryClient(properties);
    }

    /** The pass-through client properties under {@code prefix}, with the prefix removed. */
    public Map<String, String> clientProperties(String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }

    /** Reads a YAML file into dotted keys: {@code loss: {type: pcd}} becomes {@code loss.type=pcd}. */
    public static Map<String, String> readYaml(Path file) {
        Object root;
        try (Reader r = Files.newBufferedReader(file)) {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        } catch (IOException e) {
            throw new ConfigException(List.of("cannot read config file " + file + ": " + e.getMessage()));
        } catch (RuntimeException e) {
            throw new ConfigException(List.of("config file " + file + " is not valid YAML: " + e.getMessage()));
        }
        Map<String, String> flat = new LinkedHashMap<>();
        if (root == null) {
            return flat;
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new ConfigException(List.of("config file " + file + " must hold a mapping at the top level"));
        }
        flatten("", map, flat);
        return flat;
    }

    private static void flatten(String prefix, Map<?, ?> map, Map<String, String> out) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String key = prefix + e.getKey();
            Object v = e.getValue();
            if (v instanceof Map<?, ?> nested) {
                flatten(key + ".", nested, out);
            } else if (v instanceof List<?> list) {
                out.put(key, String.join(",", list.stream().map(String::valueOf).toList()));
            } else {
                out.put(key, v == null ? "" : String.valueOf(v));
            }
        }
    }

    /** All settings, by key (sorted). */
    public Map<String, String> asMap() {
        return values;
    }

    /** A copy with some settings replaced, validated again. */
    public PipelineConfig with(Map<String, String> overrides) {
        return parse(values, overrides);
    }

    /** A setting as text. */
    public String string(String key) {
        String v = values.get(key);
        if (v == null) {
            throw new IllegalArgumentException("unknown setting '" + key + "'");
        }
        return v;
    }

    /**
     * An enumerated setting as its enum constant, for example
     * {@code config.choice("sampler.type", SamplerType.class)}.
     *
     * @throws IllegalArgumentException if {@code key} is not a setting of {@code type} (a programming error)
     */
    public <E extends Enum<E>> E choice(String key, Class<E> type) {
        Key k = BY_NAME.get(key);
        if (k == null || k.choices() != type) {
            throw new IllegalArgumentException("setting '" + key + "' is not a choice of " + type.getSimpleName());
        }
        return type.cast(choices.get(key));
    }

    /** A true/false setting. */
    public boolean bool(String key) {
        Key k = BY_NAME.get(key);
        if (k == null || k.check() != FLAG) {
            throw new IllegalArgumentException("setting '" + key + "' is not a true/false setting");
        }
        return Boolean.parseBoolean(string(key));
    }

    /** A setting as an int. */
    public int integer(String key) {
        return Integer.parseInt(string(key));
    }

    /** A setting as a long. */
    public long longValue(String key) {
        return Long.parseLong(string(key));
    }

    /** A setting as a double. */
    public double number(String key) {
        return Double.parseDouble(string(key));
    }

    /** A setting as a duration. */
    public Duration duration(String key) {
        return parseDuration(string(key));
    }

    /** A comma-separated list of ints. */
    public int[] ints(String key) {
        String s = string(key);
        return s.isEmpty() ? new int[0] : Arrays.stream(s.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }

    /** Every setting, with the client secrets (passwords, JAAS configurations) shown as {@code [hidden]}. */
    @Override
    public String toString() {
        Map<String, String> shown = new LinkedHashMap<>();
        values.forEach((k, v) -> shown.put(k, KafkaClientSettings.secret(k) ? "[hidden]" : v));
        return shown.toString();
    }
}
