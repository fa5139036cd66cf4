package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.pipeline.config.ConfigException;
import io.streamebm.pipeline.config.PipelineConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the snapshot key comes from, how it is refused, and that it never shows. */
class SnapshotSignerTest {

    private static final String KEY = "a-secret-key-that-must-never-show";

    @TempDir
    Path dir;

    private PipelineConfig withKeyFile(Path file) {
        return PipelineConfig.parse(Map.of(), Map.of(SnapshotSigner.KEY_FILE, file.toString()));
    }

    @Test
    void aKeyFileSignsAndOnlyThatKeyVerifies() throws Exception {
        Path file = Files.writeString(dir.resolve("key"), KEY + "\n");
        SnapshotSigner signer = SnapshotSigner.fromConfig(withKeyFile(file), Map.of()).orElseThrow();
        byte[] value = "snapshot".getBytes(StandardCharsets.UTF_8);
        assertTrue(signer.verifies(value, signer.sign(value)));
        // The trailing newline is not part of the key: the env variable without it verifies too.
        SnapshotSigner same = SnapshotSigner.fromConfig(PipelineConfig.defaults(), Map.of(SnapshotSigner.ENV, KEY)).orElseThrow();
        assertTrue(same.verifies(value, signer.sign(value)));
        assertFalse(signer.verifies("snapshot!".getBytes(StandardCharsets.UTF_8), signer.sign(value)));
        assertFalse(signer.verifies(value, null));
        assertFalse(signer.toString().contains(KEY), signer.toString());
    }

    @Test
    void noKeyMeansNoSigning() {
        assertTrue(SnapshotSigner.fromConfig(PipelineConfig.defaults(), Map.of()).isEmpty());
    }

    @Test
    void badKeysAreConfigurationErrorsNamingTheSettingButNeverTheKey() throws Exception {
        Path shortKey = Files.writeString(dir.resolve("short"), "tooshort");
        ConfigException e = assertThrows(ConfigException.class,
                () -> SnapshotSigner.fromConfig(withKeyFile(shortKey), Map.of()));
        assertEquals("snapshot.signing-key-file = '" + shortKey + "': the key must be at least 16 bytes, the file holds 8",
                e.problems().get(0));
        assertFalse(e.getMessage().contains("tooshort"), e.getMessage());

        Path missing = dir.resolve("missing");
        assertTrue(assertThrows(ConfigException.class, () -> SnapshotSigner.fromConfig(withKeyFile(missing), Map.of()))
                .getMessage().contains("snapshot.signing-key-file = '" + missing + "': cannot be read"));

        Path file = Files.writeString(dir.resolve("key"), KEY);
        ConfigException both = assertThrows(ConfigException.class,
                () -> SnapshotSigner.fromConfig(withKeyFile(file), Map.of(SnapshotSigner.ENV, KEY)));
        assertTrue(both.getMessage().contains("set only one"), both.getMessage());
        assertFalse(both.getMessage().contains(KEY), both.getMessage());

        ConfigException env = assertThrows(ConfigException.class,
                () -> SnapshotSigner.fromConfig(PipelineConfig.defaults(), Map.of(SnapshotSigner.ENV, "short")));
        assertFalse(env.getMessage().contains("short"), env.getMessage());
    }

    @Test
    void helpConfigListsTheKeyFileSettingAndNoKey() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            io.streamebm.pipeline.StreamEbmCli.execute("train", "--help-config");
        } finally {
            System.setOut(old);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("snapshot.signing-key-file"), text);
        assertTrue(text.contains("score.max-version-jump"), text);
    }
}
