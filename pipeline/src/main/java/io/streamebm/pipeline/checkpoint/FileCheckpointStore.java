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
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
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
 *
 * <h2>Permissions</h2>
 * A checkpoint holds the whole model and the consumer positions, so on a POSIX file system every
 * directory this store creates is {@code rwx------} (0700) and every file {@code rw-------} (0600),
 * whatever the umask. A directory that already exists keeps its permissions (the operator chose
 * them). Where POSIX permissions are not supported the file system's defaults apply.
 */
public final class FileCheckpointStore implements CheckpointStore {

    private static final String PREFIX = "ckpt-";
    private static final String FILE = "state.ckpt";
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

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
        createDirectories(dir);
        byte[] bytes = CheckpointFormat.encode(checkpoint);
        String name = String.format("%s%016d", PREFIX, checkpoint.step());
        Path tmp = dir.resolve(".tmp-" + checkpoint.step() + "-" + System.nanoTime());
        createDirectories(tmp);
        Path file = tmp.resolve(FILE);
        try (FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                attributes(file, FILE_MODE))) {
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
                return Optional.of(CheckpointFormat.decode(readBounded(file)));
            } catch (IOException | RuntimeException e) {
                listener.skipped(id, e.getMessage() == null ? e.toString() : e.getMessage());
            }
        }
        return Optional.empty();
    }

    /**
     * The bytes of a checkpoint file, refusing anything that is not a regular file or is larger
     * than {@link #maxFileBytes()}: {@code Files.readAllBytes} on a link to {@code /dev/zero} (size
     * 0, endless content) or on a huge file would run the heap out instead of failing this one
     * checkpoint.
     */
    static byte[] readBounded(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("not a regular file (a device, directory or dangling link)");
        }
        long size = Files.size(file);
        long cap = maxFileBytes();
        if (size > cap) {
            throw new IOException("file is " + size + " bytes, over the " + cap + "-byte limit for a checkpoint");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate((int) size);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // read until the size measured above: a file that grows meanwhile is cut there,
                // and its digest then fails
            }
            if (buf.hasRemaining()) {
                throw new IOException("file shrank while being read (" + buf.position() + " of " + size + " bytes)");
            }
            return buf.array();
        }
    }

    /**
     * The largest checkpoint file read: 1 GiB, or a quarter of the heap if smaller, so that
     * reading one never takes the memory the trainer needs to run.
     */
    static long maxFileBytes() {
        return Math.min(1L << 30, Runtime.getRuntime().maxMemory() / 4);
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

    /** Creates {@code d} and any missing parents as 0700 (POSIX); existing directories are left alone. */
    private static void createDirectories(Path d) throws IOException {
        Files.createDirectories(d, attributes(d, DIR_MODE));
    }

    /**
     * The permissions as a creation attribute, so the file never exists with looser ones (a chmod after
     * creation would leave a window); none where the file system has no POSIX permissions.
     */
    private static FileAttribute<?>[] attributes(Path p, Set<PosixFilePermission> mode) {
        Path absolute = p.toAbsolutePath();
        if (!absolute.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return new FileAttribute<?>[0];
        }
        return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(mode)};
    }

    private static void fsyncDirectory(Path d) throws IOException {
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

}
