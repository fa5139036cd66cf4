package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.pipeline.calibration.EnergyPercentiles;
import io.streamebm.pipeline.checkpoint.Checkpoint;
import io.streamebm.pipeline.checkpoint.CheckpointFormat;
import io.streamebm.pipeline.train.Models;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The calibration a snapshot carries: read when present, absent from older snapshots (which still
 * load), refused with its own reason when forged, and covered by the signature.
 */
class SnapshotCalibrationTest {

    private static final Map<String, String> SHAPE = Map.of(Models.TYPE, "gaussian", Models.DIM, "2");
    private static final EnergyPercentiles CALIBRATION = EnergyPercentiles.of(new float[] {-1, 0, 2},
            new long[] {10, 60, 100});
    private static final SnapshotSigner SIGNER = SnapshotSigner.of("calibration-test-key-0123".getBytes(StandardCharsets.UTF_8));

    private static Map<String, String> metadata() {
        Map<String, String> meta = new HashMap<>(SHAPE);
        meta.put("model.name", "m");
        meta.put("version", "5");
        return meta;
    }

    private static Map<String, INDArray> parameters() {
        return Models.parameters(Models.build(SHAPE, 0));
    }

    private static SnapshotValidator validator(Optional<SnapshotSigner> signer) {
        return new SnapshotValidator("m", SHAPE, 1000, signer);
    }

    /** A snapshot whose calibration section holds {@code section}, as a forger could write it. */
    private static byte[] withSection(byte[] section) throws IOException {
        return CheckpointFormat.encode(new Checkpoint(5, 5, Map.of(), metadata(), parameters(),
                Map.of(ModelSnapshots.CALIBRATION_SECTION, section)));
    }

    @Test
    void aSnapshotCarriesItsCalibration() throws Exception {
        byte[] value = ModelSnapshots.encode(5, 5, metadata(), parameters(), Optional.of(CALIBRATION));
        assertEquals(Optional.of(CALIBRATION), ModelSnapshots.decode(value).calibration());
        ModelSnapshots.Snapshot s = validator(Optional.empty()).check(value, null, -1);
        assertEquals(5, s.version());
        assertEquals(0.6, s.calibration().orElseThrow().percentile(1), 1e-12);
    }

    @Test
    void aSnapshotFromBeforeCalibrationLoadsWithoutOne() throws Exception {
        byte[] old = CheckpointFormat.encode(new Checkpoint(5, 5, Map.of(), metadata(), parameters()));
        assertEquals(old.length, ModelSnapshots.encode(5, 5, metadata(), parameters(), Optional.empty()).length,
                "a snapshot without calibration is written as before");
        assertTrue(validator(Optional.empty()).check(old, null, -1).calibration().isEmpty());
        assertTrue(ModelSnapshots.decode(old).calibration().isEmpty());
    }

    @Test
    void unknownSectionsAreLeftAlone() throws Exception {
        byte[] value = CheckpointFormat.encode(new Checkpoint(5, 5, Map.of(), metadata(), parameters(),
                Map.of("from-a-newer-trainer", new byte[] {1, 2})));
        assertTrue(validator(Optional.empty()).check(value, null, -1).calibration().isEmpty());
    }

    @Test
    void aForgedCalibrationIsRefusedWithItsReason() throws Exception {
        byte[] good = CALIBRATION.encode();
        byte[] decreasing = good.clone();
        // Byte 13 on: the energies (format 1 byte, records 8, count 4 before them); the first becomes 5.
        ByteBuffer.wrap(decreasing).order(ByteOrder.LITTLE_ENDIAN).putFloat(13, 5f);
        byte[] hugeCount = good.clone();
        ByteBuffer.wrap(hugeCount).order(ByteOrder.LITTLE_ENDIAN).putInt(9, Integer.MAX_VALUE);
        String[][] cases = {
            {"decreasing", "energies decrease at entry 1"},
            {"hugeCount", "declares 2147483647 entries"},
            {"empty", "calibration ends early (0 bytes)"},
        };
        byte[][] sections = {decreasing, hugeCount, new byte[0]};
        for (int i = 0; i < sections.length; i++) {
            byte[] value = withSection(sections[i]);
            SnapshotValidator.Rejected e = assertThrows(SnapshotValidator.Rejected.class,
                    () -> validator(Optional.empty()).check(value, null, -1), cases[i][0]);
            assertEquals(SnapshotValidator.Reason.BAD_CALIBRATION, e.reason());
            assertTrue(e.getMessage().startsWith("bad_calibration: section 'calibration': "), e.getMessage());
            assertTrue(e.getMessage().contains(cases[i][1]), e.getMessage());
        }
    }

    @Test
    void theSignatureCoversTheCalibration() throws Exception {
        byte[] signed = ModelSnapshots.encode(5, 5, metadata(), parameters(), Optional.of(CALIBRATION));
        byte[] signature = SIGNER.sign(signed);
        assertEquals(Optional.of(CALIBRATION), validator(Optional.of(SIGNER)).check(signed, signature, -1).calibration());
        // The same model with another calibration: a valid table, but not the one that was signed.
        byte[] swapped = ModelSnapshots.encode(5, 5, metadata(), parameters(),
                Optional.of(EnergyPercentiles.of(new float[] {100}, new long[] {100})));
        SnapshotValidator.Rejected e = assertThrows(SnapshotValidator.Rejected.class,
                () -> validator(Optional.of(SIGNER)).check(swapped, signature, -1));
        assertEquals(SnapshotValidator.Reason.BAD_SIGNATURE, e.reason());
    }
}
