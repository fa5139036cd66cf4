package io.streamebm.pipeline.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class FileCheckpointStoreTest {

    @TempDir
    Path dir;

    private final List<String> skipped = new ArrayList<>();

    private FileCheckpointStore store(int keep) {
        return new FileCheckpointStore(dir, keep, (id, reason) -> skipped.add(id + ": " + reason));
    }

    private static Checkpoint checkpoint(long step) {
        INDArray f = Nd4j.rand(DataType.FLOAT, 3, 4).subi(0.5f);
        f.putScalar(0, Float.MIN_VALUE);
        INDArray d = Nd4j.rand(DataType.DOUBLE, 5).muli(Math.PI);
        INDArray l = Nd4j.createFromArray(Long.MIN_VALUE, -1L, 42L, Long.MAX_VALUE);
        return new Checkpoint(step, step * 256, Map.of("ebm.samples-0", 10 * step, "ebm.samples-1", 7L),
                Map.of("model", "mlp", "dim", "2"), Map.of("model.w0", f, "optimizer.m", d, "random", l));
    }

    @Test
    void roundTripIsBitExact() throws IOException {
        Checkpoint c = checkpoint(3);
        store(3).save(c);
        Checkpoint back = store(3).loadLatest().orElseThrow();
        assertEquals(c.step(), back.step());
        assertEquals(c.recordsSeen(), back.recordsSeen());
        assertEquals(c.offsets(), back.offsets());
        assertEquals(c.metadata(), back.metadata());
        assertEquals(c.arrays().keySet(), back.arrays().keySet());
        assertArrayEquals(c.arrays().get("model.w0").data().asFloat(), back.arrays().get("model.w0").data().asFloat());
        assertArrayEquals(c.arrays().get("model.w0").shape(), back.arrays().get("model.w0").shape());
        assertArrayEquals(c.arrays().get("optimizer.m").data().asDouble(), back.arrays().get("optimizer.m").data().asDouble());
        assertArrayEquals(c.arrays().get("random").data().asLong(), back.arrays().get("random").data().asLong());
        assertTrue(skipped.isEmpty());
    }

    @Test
    void keepsOnlyTheNewest() throws IOException {
        FileCheckpointStore s = store(2);
        for (long step = 1; step <= 5; step++) {
            s.save(checkpoint(step));
        }
        assertEquals(List.of("ckpt-0000000000000005", "ckpt-0000000000000004"), s.list());
        assertEquals(5, s.loadLatest().orElseThrow().step());
    }

    @Test
    void corruptedNewestFallsBackToThePreviousAndSaysSo() throws IOException {
        FileCheckpointStore s = store(3);
        s.save(checkpoint(1));
        s.save(checkpoint(2));
        Path newest = dir.resolve("ckpt-0000000000000002").resolve("state.ckpt");
        byte[] b = Files.readAllBytes(newest);
        b[b.length / 2] ^= 0x40;
        Files.write(newest, b);
        assertEquals(1, s.loadLatest().orElseThrow().step());
        assertEquals(1, skipped.size());
        assertTrue(skipped.get(0).contains("ckpt-0000000000000002") && skipped.get(0).contains("checksum"), skipped.get(0));
    }

    @Test
    void truncatedNewestFallsBackToThePrevious() throws IOException {
        FileCheckpointStore s = store(3);
        s.save(checkpoint(1));
        s.save(checkpoint(2));
        Path newest = dir.resolve("ckpt-0000000000000002").resolve("state.ckpt");
        byte[] b = Files.readAllBytes(newest);
        Files.write(newest, java.util.Arrays.copyOf(b, b.length - 100));
        assertEquals(1, s.loadLatest().orElseThrow().step());
        assertEquals(1, skipped.size());
    }

    @Test
    void halfWrittenTemporaryDirectoryIsIgnored() throws IOException {
        FileCheckpointStore s = store(3);
        s.save(checkpoint(1));
        Path tmp = Files.createDirectories(dir.resolve(".tmp-9-123"));
        Files.write(tmp.resolve("state.ckpt"), new byte[] {1, 2, 3});
        assertEquals(1, s.loadLatest().orElseThrow().step());
        assertTrue(skipped.isEmpty());
    }

    @Test
    void emptyDirectoryHasNoCheckpoint() throws IOException {
        assertTrue(store(1).loadLatest().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> store(0));
    }

    @Test
    void checkpointsAreReadableByTheOwnerOnly() throws IOException {
        Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"),
                "POSIX permissions are not supported here");
        Path root = dir.resolve("nested").resolve("checkpoints");
        FileCheckpointStore s = new FileCheckpointStore(root, 2, (id, reason) -> skipped.add(id));
        s.save(checkpoint(1));
        s.save(checkpoint(2));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("nested"))));
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.toList()) {
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                assertEquals(Files.isDirectory(p) ? "rwx------" : "rw-------", mode, p.toString());
            }
        }
        assertEquals(2, s.list().size());
    }

    @Test
    void aNewestCheckpointLinkedToDevZeroIsSkippedWithAReason() throws IOException {
        FileCheckpointStore s = store(3);
        s.save(checkpoint(1));
        Path newest = Files.createDirectories(dir.resolve("ckpt-0000000000000002"));
        Files.createSymbolicLink(newest.resolve("state.ckpt"), Path.of("/dev/zero"));
        assertEquals(1, s.loadLatest().orElseThrow().step());
        assertEquals(List.of("ckpt-0000000000000002: not a regular file (a device, directory or dangling link)"), skipped);
    }

    @Test
    void aCheckpointFileOverTheSizeLimitIsSkippedUnread() throws IOException {
        FileCheckpointStore s = store(3);
        s.save(checkpoint(1));
        Path newest = Files.createDirectories(dir.resolve("ckpt-0000000000000002"));
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(newest.resolve("state.ckpt").toFile(), "rw")) {
            f.setLength(FileCheckpointStore.maxFileBytes() + 1); // sparse: costs no disk
        }
        assertEquals(1, s.loadLatest().orElseThrow().step());
        assertEquals(1, skipped.size());
        assertTrue(skipped.get(0).contains("-byte limit for a checkpoint"), skipped.get(0));
    }

    @Test
    void forgedSizesWithAValidDigestAreRefusedBeforeAllocating() throws IOException {
        FileCheckpointStore s = store(3);
        s.save(checkpoint(1));
        byte[][] forged = {
            ForgedCheckpoints.hugeArray(1L << 31), ForgedCheckpoints.hugeArray(Long.MAX_VALUE),
            ForgedCheckpoints.hugeString(Integer.MAX_VALUE - 8), ForgedCheckpoints.hugeCount(Integer.MAX_VALUE)};
        String[] reasons = {"declares 2147483648 FLOAT elements", "declares 9223372036854775807 FLOAT elements", "declares 2147483639 bytes",
            "declares 2147483647 arrays"};
        for (int i = 0; i < forged.length; i++) {
            byte[] bytes = forged[i];
            IOException e = assertThrows(IOException.class, () -> CheckpointFormat.decode(bytes), reasons[i]);
            assertTrue(e.getMessage().contains(reasons[i]), e.getMessage());
            Path d = Files.createDirectories(dir.resolve(String.format("ckpt-%016d", 10 + i)));
            Files.write(d.resolve("state.ckpt"), forged[i]);
        }
        assertEquals(1, s.loadLatest().orElseThrow().step());
        assertEquals(forged.length, skipped.size(), skipped.toString());
    }
}
