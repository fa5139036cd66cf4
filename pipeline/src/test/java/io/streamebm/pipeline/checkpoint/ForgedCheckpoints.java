package io.streamebm.pipeline.checkpoint;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Hand-built {@link CheckpointFormat} bytes that a hostile writer could send: correct magic and a
 * correct SHA-256 trailer (the digest detects corruption, not forgery), with lying sizes.
 */
public final class ForgedCheckpoints {

    private ForgedCheckpoints() {
    }

    /** A record that declares one FLOAT array of {@code declaredElements} elements but carries 16 bytes of it. */
    public static byte[] hugeArray(long declaredElements) {
        Writer w = header(1, 0);
        w.i32(1);
        w.str("model.param.0");
        w.i8(1);
        w.i32(1);
        w.i64(declaredElements);
        w.raw(new byte[16]);
        return w.sealed();
    }

    /** A record whose first metadata key declares {@code declaredBytes} bytes but carries 16. */
    public static byte[] hugeString(int declaredBytes) {
        Writer w = new Writer();
        w.raw("SEBMCKPT".getBytes(StandardCharsets.US_ASCII));
        w.i32(1);
        w.i64(1);
        w.i64(1);
        w.i32(0);
        w.i32(1);
        w.i32(declaredBytes);
        w.raw(new byte[16]);
        return w.sealed();
    }

    /** A record that declares {@code declaredArrays} arrays and carries none. */
    public static byte[] hugeCount(int declaredArrays) {
        Writer w = header(1, 0);
        w.i32(declaredArrays);
        return w.sealed();
    }

    private static Writer header(long step, int nMeta) {
        Writer w = new Writer();
        w.raw("SEBMCKPT".getBytes(StandardCharsets.US_ASCII));
        w.i32(1);
        w.i64(step);
        w.i64(step);
        w.i32(0);
        w.i32(nMeta);
        return w;
    }

    private static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void raw(byte[] b) {
            out.writeBytes(b);
        }

        void i8(int v) {
            out.write(v);
        }

        void i32(int v) {
            raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
        }

        void i64(long v) {
            raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        void str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i32(b.length);
            raw(b);
        }

        byte[] sealed() {
            try {
                byte[] body = out.toByteArray();
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                all.writeBytes(body);
                all.writeBytes(digest);
                return all.toByteArray();
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
