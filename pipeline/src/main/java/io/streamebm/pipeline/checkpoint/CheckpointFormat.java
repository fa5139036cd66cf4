package io.streamebm.pipeline.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The binary format of a {@link Checkpoint}, used for checkpoint files and for the model
 * snapshots on the snapshot topic.
 *
 * <h2>Format</h2>
 * Little-endian throughout; no Java serialization.
 * <pre>
 *   magic      8 bytes  "SEBMCKPT"
 *   version    int32    1
 *   step       int64
 *   records    int64    records counted by the model state
 *   nOffsets   int32,   then per offset:   key (string), offset int64
 *   nMeta      int32,   then per entry:    key (string), value (string)
 *   nArrays    int32,   then per array:    name (string), dtype int8 (1 FLOAT, 2 DOUBLE, 3 LONG, 4 INT),
 *                                          rank int32, shape int64[rank], data (C order, raw elements)
 *   [nSections int32,  then per section:  name (string), length int32, bytes]   optional
 *   sha256     32 bytes over every byte before it
 *   string  =  length int32, UTF-8 bytes
 * </pre>
 * A file whose digest does not match, that ends early, or that declares a count, string, array or
 * section larger than the bytes left (or a string over {@link #MAX_STRING_BYTES}) is reported and
 * skipped; nothing is allocated from a declared size before that check.
 *
 * <p><b>Sections</b> are optional named blobs that a reader may ignore, such as the calibration of a
 * model snapshot. They come last, and only when there is at least one, for compatibility both ways:
 * readers that predate them stop after the arrays and never look at the rest (the digest still
 * covers it), and a body that ends after the arrays, as every file written before them does, has
 * none. A reader that knows sections refuses bytes left over after them.
 */
public final class CheckpointFormat {

    private static final byte[] MAGIC = "SEBMCKPT".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;

    /** The longest string (offset key, metadata key or value, array name) a decoder accepts, in bytes. */
    public static final int MAX_STRING_BYTES = 64 * 1024;

    private CheckpointFormat() {
    }

    /** The bytes of {@code c}, digest included. */
    public static byte[] encode(Checkpoint c) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 16);
        LittleEndianOut out = new LittleEndianOut(bytes);
        out.raw(MAGIC);
        out.i32(VERSION);
        out.i64(c.step());
        out.i64(c.recordsSeen());
        out.i32(c.offsets().size());
        for (Map.Entry<String, Long> e : new java.util.TreeMap<>(c.offsets()).entrySet()) {
            out.str(e.getKey());
            out.i64(e.getValue());
        }
        out.i32(c.metadata().size());
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(c.metadata()).entrySet()) {
            out.str(e.getKey());
            out.str(e.getValue());
        }
        out.i32(c.arrays().size());
        for (Map.Entry<String, INDArray> e : c.arrays().entrySet()) {
            out.str(e.getKey());
            writeArray(out, e.getKey(), e.getValue());
        }
        Map<String, byte[]> sections = c.sections();
        if (!sections.isEmpty()) {
            // Written only when there are some: a checkpoint without them stays byte for byte as before.
            out.i32(sections.size());
            for (Map.Entry<String, byte[]> e : sections.entrySet()) {
                out.str(e.getKey());
                out.i32(e.getValue().length);
                out.raw(e.getValue());
            }
        }
        out.flush();
        byte[] body = bytes.toByteArray();
        byte[] digest = sha256(body, body.length);
        byte[] all = Arrays.copyOf(body, body.length + digest.length);
        System.arraycopy(digest, 0, all, body.length, digest.length);
        return all;
    }

    private static void writeArray(LittleEndianOut out, String name, INDArray a) throws IOException {
        DataType t = a.dataType();
        int code = switch (t) {
            case FLOAT -> 1;
            case DOUBLE -> 2;
            case LONG -> 3;
            case INT -> 4;
            default -> throw new IllegalArgumentException("checkpoint array '" + name + "' has unsupported type " + t);
        };
        out.i8(code);
        long[] shape = a.shape();
        out.i32(shape.length);
        for (long s : shape) {
            out.i64(s);
        }
        INDArray c = a.ordering() == 'c' && !a.isView() ? a : a.dup('c');
        long n = c.length();
        switch (t) {
            // In bulk: a contribution is encoded at every sync, and element by element each value
            // went through a synchronized stream write.
            case FLOAT -> {
                float[] v = c.data().asFloat();
                ByteBuffer b = littleEndian(4 * v.length);
                b.asFloatBuffer().put(v);
                out.raw(b.array());
            }
            case DOUBLE -> {
                double[] v = c.data().asDouble();
                ByteBuffer b = littleEndian(8 * v.length);
                b.asDoubleBuffer().put(v);
                out.raw(b.array());
            }
            case LONG -> {
                for (long i = 0; i < n; i++) {
                    out.i64(c.getLong(i));
                }
            }
            default -> {
                int[] v = c.data().asInt();
                ByteBuffer b = littleEndian(4 * v.length);
                b.asIntBuffer().put(v);
                out.raw(b.array());
            }
        }
    }

    /** Parses and verifies bytes written by {@link #encode}; a bad digest, early end or impossible size throws. */
    public static Checkpoint decode(byte[] all) throws IOException {
        return decode(all, ArrayGuard.ANY);
    }

    /**
     * Like {@link #decode(byte[])}, with {@code guard} asked about every array's name, type and
     * shape before any memory is allocated for it.
     *
     * <p>The input may be hostile (snapshots come from a topic anyone with write access can feed),
     * so no length read from it is trusted: every declared count, string length and array size is
     * checked against the bytes actually left, and strings against {@link #MAX_STRING_BYTES},
     * before anything of that size is allocated. A forged size therefore costs at most the bytes
     * the forger actually sent.
     */
    public static Checkpoint decode(byte[] all, ArrayGuard guard) throws IOException {
        if (all.length < MAGIC.length + 32) {
            throw new IOException("checkpoint file is truncated (" + all.length + " bytes)");
        }
        int bodyLen = all.length - 32;
        byte[] digest = sha256(all, bodyLen);
        if (!Arrays.equals(digest, Arrays.copyOfRange(all, bodyLen, all.length))) {
            throw new IOException("checksum mismatch: the checkpoint is corrupted or truncated");
        }
        ByteBuffer in = ByteBuffer.wrap(all, 0, bodyLen).order(ByteOrder.LITTLE_ENDIAN);
        try {
            return body(in, guard);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IOException("checkpoint ends early at byte " + in.position() + " of " + bodyLen);
        }
    }

    private static Checkpoint body(ByteBuffer in, ArrayGuard guard) throws IOException {
        byte[] magic = new byte[MAGIC.length];
        in.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IOException("not a StreamEBM checkpoint (bad magic)");
        }
        int version = in.getInt();
        if (version != VERSION) {
            throw new IOException("unsupported checkpoint format version " + version + " (this build reads " + VERSION + ")");
        }
        long step = in.getLong();
        long records = in.getLong();
        if (step < 0 || records < 0) {
            throw new IOException("negative step " + step + " or record count " + records);
        }
        // Smallest encodings: offset = empty string + int64; meta = two empty strings; array =
        // empty name + type + rank 0 (+ one element, but zero-size arrays are legal).
        int nOffsets = count(in, 4 + 8, "offsets");
        Map<String, Long> offsets = new HashMap<>();
        for (int i = 0; i < nOffsets; i++) {
            offsets.put(str(in, "offset key"), in.getLong());
        }
        int nMeta = count(in, 4 + 4, "metadata entries");
        Map<String, String> meta = new HashMap<>();
        for (int i = 0; i < nMeta; i++) {
            meta.put(str(in, "metadata key"), str(in, "metadata value"));
        }
        int nArrays = count(in, 4 + 1 + 4, "arrays");
        Map<String, INDArray> arrays = new LinkedHashMap<>();
        for (int i = 0; i < nArrays; i++) {
            String name = str(in, "array name");
            arrays.put(name, readArray(in, name, guard));
        }
        return new Checkpoint(step, records, offsets, meta, arrays, sections(in));
    }

    /** The optional sections after the arrays: none when the body ends there. */
    private static Map<String, byte[]> sections(ByteBuffer in) throws IOException {
        Map<String, byte[]> sections = new LinkedHashMap<>();
        if (!in.hasRemaining()) {
            return sections;
        }
        int n = count(in, 4 + 4, "sections");
        for (int i = 0; i < n; i++) {
            String name = str(in, "section name");
            int len = in.getInt();
            if (len < 0 || len > in.remaining()) {
                throw new IOException("section '" + name + "' declares " + len + " bytes but only " + in.remaining()
                        + " remain");
            }
            byte[] bytes = new byte[len];
            in.get(bytes);
            if (sections.put(name, bytes) != null) {
                throw new IOException("section '" + name + "' appears twice");
            }
        }
        if (in.hasRemaining()) {
            throw new IOException(in.remaining() + " unexpected bytes after the sections");
        }
        return sections;
    }

    /** Reads a declared count and checks that the entries could fit in what is left. */
    private static int count(ByteBuffer in, int minEntryBytes, String what) throws IOException {
        int n = in.getInt();
        if (n < 0 || (long) n * minEntryBytes > in.remaining()) {
            throw new IOException("declares " + n + " " + what + " but only " + in.remaining() + " bytes remain");
        }
        return n;
    }

    private static INDArray readArray(ByteBuffer in, String name, ArrayGuard guard) throws IOException {
        int code = in.get();
        DataType type = switch (code) {
            case 1 -> DataType.FLOAT;
            case 2 -> DataType.DOUBLE;
            case 3 -> DataType.LONG;
            case 4 -> DataType.INT;
            default -> throw new IOException("array '" + name + "' has an unknown type code " + code);
        };
        int rank = in.getInt();
        if (rank < 0 || rank > 8) {
            throw new IOException("array '" + name + "' has an invalid rank " + rank);
        }
        long[] shape = new long[rank];
        long n = 1;
        for (int i = 0; i < rank; i++) {
            shape[i] = in.getLong();
            if (shape[i] < 0) {
                throw new IOException("array '" + name + "' has a negative dimension " + shape[i]);
            }
            try {
                n = Math.multiplyExact(n, shape[i]);
            } catch (ArithmeticException e) {
                throw new IOException("array '" + name + "' declares a shape " + Arrays.toString(shape) + " too large to exist");
            }
        }
        int width = type == DataType.FLOAT || type == DataType.INT ? 4 : 8;
        if (n > in.remaining() / width) {
            throw new IOException("array '" + name + "' declares " + n + " " + type + " elements ("
                    + Arrays.toString(shape) + ") but only " + in.remaining() + " bytes remain");
        }
        guard.check(name, type, shape);
        int len = (int) n;
        switch (type) {
            case FLOAT -> {
                float[] v = new float[len];
                in.asFloatBuffer().get(v);
                in.position(in.position() + 4 * len);
                return Nd4j.create(v, shape, 'c');
            }
            case DOUBLE -> {
                double[] v = new double[len];
                in.asDoubleBuffer().get(v);
                in.position(in.position() + 8 * len);
                return Nd4j.create(v, shape, 'c');
            }
            case LONG -> {
                long[] v = new long[len];
                in.asLongBuffer().get(v);
                in.position(in.position() + 8 * len);
                return Nd4j.createFromArray(v).reshape(shape);
            }
            default -> {
                int[] v = new int[len];
                in.asIntBuffer().get(v);
                in.position(in.position() + 4 * len);
                return Nd4j.createFromArray(v).reshape(shape);
            }
        }
    }

    private static String str(ByteBuffer in, String what) throws IOException {
        int len = in.getInt();
        if (len < 0 || len > MAX_STRING_BYTES || len > in.remaining()) {
            throw new IOException("a " + what + " declares " + len + " bytes (limit " + MAX_STRING_BYTES + ", "
                    + in.remaining() + " remain)");
        }
        byte[] b = new byte[len];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /**
     * Vets an array's declared name, type and shape before the decoder allocates it: a reader
     * that knows what it expects (the scorer knows the model it serves) refuses anything else
     * before paying for it.
     */
    @FunctionalInterface
    public interface ArrayGuard {
        /** Accepts every array whose size fits in the input. */
        ArrayGuard ANY = (name, type, shape) -> { };

        /** Throws, with the reason, if the array must not be read. */
        void check(String name, DataType type, long[] shape) throws IOException;
    }

    private static ByteBuffer littleEndian(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] sha256(byte[] data, int len) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(data, 0, len);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    /** Little-endian primitives over a stream; DataOutputStream is big-endian. */
    private static final class LittleEndianOut {
        private final DataOutputStream out;
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        LittleEndianOut(ByteArrayOutputStream target) {
            this.out = new DataOutputStream(target);
        }

        void raw(byte[] b) throws IOException {
            out.write(b);
        }

        void i8(int v) throws IOException {
            out.writeByte(v);
        }

        void i32(int v) throws IOException {
            scratch.clear();
            scratch.putInt(v);
            out.write(scratch.array(), 0, 4);
        }

        void i64(long v) throws IOException {
            scratch.clear();
            scratch.putLong(v);
            out.write(scratch.array(), 0, 8);
        }

        void str(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i32(b.length);
            out.write(b);
        }

        void flush() throws IOException {
            out.flush();
        }
    }
}
