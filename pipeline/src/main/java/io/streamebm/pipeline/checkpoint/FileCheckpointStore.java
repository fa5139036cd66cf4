package io.streamebm.pipeline.checkpoint;

import io.streamebm.pipeline.FaultPoints;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Checkpoints as directories on a local file system.
 *
 * <h2>Layout</h2>
 * {@code <dir>/ckpt-<step, 16 digits>/state.ckpt}. A checkpoint is first written to
 * {@code <dir>/.tmp-<step>-<nanos>/}, the file and the directory are fsynced, the directory is
 * renamed atomically to its final name, and the parent directory is fsynced. The newest
 * {@code keep} checkpoints are kept.
 *
 * <p>The file format is {@link CheckpointFormat}.
 */
public final class FileCheckpointStore implements CheckpointStore {

    private static final String PREFIX = "ckpt-";
    private static final String FILE = "state.ckpt";

    private final Path dir;
    private final int keep;
    private final Listener listener;

    /**
     * @param dir      directory holding the checkpoints; created if missing
     * @param keep     how many of the newest checkpoints to keep, at least 1
     * @param listener told about checkpoints skipped on load
     */
    public FileCheckpointStore(Path dir, int keep, Listener listener) {
        this.dir = Objects.requireNonNull(dir, "dir");
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be >= 1, got " + keep);
        }
        this.keep = keep;
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** The directory holding the checkpoints. */
    public Path directory() {
        return dir;
    }

    @Override
    public void save(Checkpoint checkpoint) throws IOException {
        Files.createDirectories(dir);
        byte[] bytes = CheckpointFormat.encode(checkpoint);
        String name = String.format("%s%016d", PREFIX, checkpoint.step());
        Path tmp = dir.resolve(".tmp-" + checkpoint.step() + "-" + System.nanoTime());
        Files.createDirectories(tmp);
        Path file = tmp.resolve(FILE);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        fsyncDirectory(tmp);
        FaultPoints.reach("checkpoint-write");
        Path target = dir.resolve(name);
        if (Files.exists(target)) {
            // Same step written again (a clean stop right after a periodic checkpoint): replace it.
            deleteRecursively(target);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the checkpoint directory " + dir + " does not support atomic renames", e);
        }
        fsyncDirectory(dir);
        prune();
    }

    @Override
    public Optional<Checkpoint> loadLatest() throws IOException {
        for (String id : list()) {
            Path file = dir.resolve(id).resolve(FILE);
            try {
                return Optional.of(CheckpointFormat.decode(Files.readAllBytes(file)));
            } catch (IOException | RuntimeException e) {
                listener.skipped(id, e.getMessage() == null ? e.toString() : e.getMessage());
            }
        }
        return Optional.empty();
    }

    @Override
    public List<String> list() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(PREFIX))
                    .sorted(Comparator.reverseOrder())
                    .toList();
        }
    }

    private void prune() throws IOException {
        List<String> ids = list();
        for (int i = keep; i < ids.size(); i++) {
            deleteRecursively(dir.resolve(ids.get(i)));
        }
        // Temporary directories left by a crash mid-write are never trusted; clear them too.
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList()) {
                deleteRecursively(p);
            }
        }
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    private static void fsyncDirectory(Path d) throws IOException {
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

}
