package io.streamebm.pipeline.app;

import io.streamebm.pipeline.config.ConfigException;
import io.streamebm.pipeline.config.PipelineConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 signatures of model snapshots, so that {@code score} can tell the trainer's
 * snapshots from anything else written to the snapshot topic (the format's SHA-256 trailer detects
 * corruption, not forgery).
 *
 * <p>The signature covers the whole record value and travels in the record header
 * {@value #HEADER} as lowercase hex. The key comes from the file named by
 * {@code snapshot.signing-key-file} or from the environment variable {@value #ENV}, never from a
 * plain configuration value, so that it cannot end up in logs, {@code --help-config} or
 * checkpoints; {@link #toString()} names only where the key came from.
 */
public final class SnapshotSigner {

    /** Record header carrying the signature. */
    public static final String HEADER = "ebm.signature";
    /** Environment variable that may hold the key instead of a file. */
    public static final String ENV = "STREAMEBM_SNAPSHOT_KEY";
    /** Configuration key naming the key file. */
    public static final String KEY_FILE = "snapshot.signing-key-file";
    /** The shortest accepted key, in bytes: shorter HMAC keys are guessable. */
    public static final int MIN_KEY_BYTES = 16;

    private static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;
    private final String source;

    private SnapshotSigner(byte[] key, String source) {
        this.key = new SecretKeySpec(key, ALGORITHM);
        this.source = source;
    }

    /** A signer over {@code key} (tests and tools; the application uses {@link #fromConfig}). */
    public static SnapshotSigner of(byte[] key) {
        if (key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("a snapshot signing key needs at least " + MIN_KEY_BYTES + " bytes");
        }
        return new SnapshotSigner(key.clone(), "a key given in code");
    }

    /**
     * The signer the configuration and environment ask for, or empty when neither names a key.
     *
     * @throws ConfigException naming {@value #KEY_FILE} or {@value #ENV} (never the key) when the
     *                         key cannot be read, is too short, or both are set
     */
    public static Optional<SnapshotSigner> fromConfig(PipelineConfig config, Map<String, String> env) {
        String file = config.string(KEY_FILE);
        String fromEnv = env.getOrDefault(ENV, "");
        if (!file.isEmpty() && !fromEnv.isEmpty()) {
            throw new ConfigException(List.of(KEY_FILE + " = '" + file + "': the environment variable " + ENV
                    + " also holds a key; set only one"));
        }
        if (!file.isEmpty()) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(Path.of(file));
            } catch (IOException | RuntimeException e) {
                throw new ConfigException(List.of(KEY_FILE + " = '" + file + "': cannot be read (" + e.getClass().getSimpleName() + ")"));
            }
            // A key file written with `echo` ends with a newline that is not part of the key.
            int n = bytes.length;
            while (n > 0 && (bytes[n - 1] == '\n' || bytes[n - 1] == '\r')) {
                n--;
            }
            if (n < MIN_KEY_BYTES) {
                throw new ConfigException(List.of(KEY_FILE + " = '" + file + "': the key must be at least "
                        + MIN_KEY_BYTES + " bytes, the file holds " + n));
            }
            return Optional.of(new SnapshotSigner(Arrays.copyOf(bytes, n), "file " + file));
        }
        if (!fromEnv.isEmpty()) {
            byte[] bytes = fromEnv.getBytes(StandardCharsets.UTF_8);
            if (bytes.length < MIN_KEY_BYTES) {
                throw new ConfigException(List.of(ENV + ": the key must be at least " + MIN_KEY_BYTES
                        + " bytes, it holds " + bytes.length));
            }
            return Optional.of(new SnapshotSigner(bytes, "environment variable " + ENV));
        }
        return Optional.empty();
    }

    /** The signature of {@code value}, as the bytes of the {@value #HEADER} header. */
    public byte[] sign(byte[] value) {
        return HexFormat.of().formatHex(mac(value)).getBytes(StandardCharsets.US_ASCII);
    }

    /** Whether {@code header} is this key's signature of {@code value}, compared in constant time. */
    public boolean verifies(byte[] value, byte[] header) {
        return header != null && MessageDigest.isEqual(sign(value), header);
    }

    private byte[] mac(byte[] value) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac.doFinal(value);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is required by every Java platform", e);
        }
    }

    /** Where the key came from; never the key. */
    @Override
    public String toString() {
        return "HMAC-SHA256 snapshot signer (key from " + source + ")";
    }
}
