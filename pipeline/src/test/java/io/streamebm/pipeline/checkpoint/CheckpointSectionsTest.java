package io.streamebm.pipeline.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The optional sections after the arrays: they round-trip, a body that ends after the arrays (every
 * file written before sections existed) has none, and a file without sections is written exactly
 * as before, so readers that predate them, which stop after the arrays, see the same thing.
 */
class CheckpointSectionsTest {

    private static final Map<String, INDArray> ARRAYS = Map.of("w", Nd4j.createFromArray(1f, 2f, 3f));

    private static Checkpoint withSections(Map<String, byte[]> sections) {
        return new Checkpoint(7, 70, Map.of("t-0", 70L), Map.of("model.name", "m"), ARRAYS, sections);
    }

    @Test
    void sectionsRoundTripAndAreCopied() throws IOException {
        byte[] calibration = {1, 2, 3};
        Checkpoint c = withSections(Map.of("calibration", calibration, "other", new byte[0]));
        calibration[0] = 9;
        c.sections().get("calibration")[1] = 9;
        Checkpoint read = CheckpointFormat.decode(CheckpointFormat.encode(c));
        assertEquals(java.util.List.of("calibration", "other"), java.util.List.copyOf(read.sections().keySet()));
        assertArrayEquals(new byte[] {1, 2, 3}, read.sections().get("calibration"));
        assertEquals(0, read.sections().get("other").length);
        assertEquals(7, read.step());
        assertEquals(Map.of("t-0", 70L), read.offsets());
    }

    @Test
    void withoutSectionsTheBytesEndAfterTheArraysAsBefore() throws IOException {
        byte[] plain = CheckpointFormat.encode(withSections(Map.of()));
        byte[] with = CheckpointFormat.encode(withSections(Map.of("calibration", new byte[] {5})));
        int body = plain.length - 32;
        assertArrayEquals(Arrays.copyOf(plain, body), Arrays.copyOf(with, body),
                "the same bytes up to the end of the arrays: an older reader stops there and reads the same");
        assertEquals(body + 4 + 4 + "calibration".length() + 4 + 1 + 32, with.length);
        assertTrue(CheckpointFormat.decode(plain).sections().isEmpty());
        assertEquals(new Checkpoint(7, 70, Map.of("t-0", 70L), Map.of("model.name", "m"), ARRAYS).sections(),
                Map.of());
    }

    @Test
    void sectionsThatDoNotFitOrRepeatAreRefused() throws IOException {
        byte[] good = CheckpointFormat.encode(withSections(Map.of("calibration", new byte[] {5})));
        int body = good.length - 32;
        // The section's length field sits 5 bytes before the end of the body (length int32, 1 byte).
        assertRefused(patchInt(good, body - 5, 1 << 30), "section 'calibration' declares 1073741824 bytes");
        assertRefused(patchInt(good, body - 5, -1), "section 'calibration' declares -1 bytes");
        assertRefused(appendToBody(good, new byte[] {0, 0}), "2 unexpected bytes after the sections");
        byte[] twice = appendToBody(patchInt(good, body - 5 - "calibration".length() - 4 - 4, 2),
                Arrays.copyOfRange(good, body - 5 - "calibration".length() - 4, body));
        assertRefused(twice, "section 'calibration' appears twice");
    }

    private static void assertRefused(byte[] bytes, String reason) {
        IOException e = assertThrows(IOException.class, () -> CheckpointFormat.decode(bytes));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    /** The file with an int32 of the body replaced, and its digest made right again (a forger can). */
    private static byte[] patchInt(byte[] file, int at, int value) {
        byte[] body = Arrays.copyOf(file, file.length - 32);
        ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN).putInt(at, value);
        return withDigest(body);
    }

    private static byte[] appendToBody(byte[] file, byte[] extra) {
        byte[] body = Arrays.copyOf(file, file.length - 32 + extra.length);
        System.arraycopy(extra, 0, body, file.length - 32, extra.length);
        return withDigest(body);
    }

    private static byte[] withDigest(byte[] body) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
            byte[] all = Arrays.copyOf(body, body.length + 32);
            System.arraycopy(digest, 0, all, body.length, 32);
            return all;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
