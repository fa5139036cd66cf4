package io.streamebm.pipeline.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The array layout of the checkpoint format, byte for byte: a type code, the rank, the shape as
 * int64s, then the elements in C order as little-endian values with their exact bits (a NaN's
 * payload and a negative zero included). Files written before the arrays were written in bulk must
 * read the same, and the bulk writer must write what the element-by-element one did.
 */
class CheckpointArrayBytesTest {

    @Test
    void floatDoubleAndIntArraysAreWrittenLittleEndianWithTheirExactBits() throws IOException {
        float nanWithPayload = Float.intBitsToFloat(0x7fc00123);
        INDArray floats = Nd4j.createFromArray(new float[][] {{1.5f, -0f, nanWithPayload}, {Float.MIN_VALUE, -2f, 3e38f}});
        INDArray doubles = Nd4j.createFromArray(0.1, -1e300);
        INDArray ints = Nd4j.createFromArray(7, -1, Integer.MIN_VALUE);
        // A transposed view: written in C order of its own shape, not of the buffer behind it.
        INDArray view = Nd4j.createFromArray(new float[][] {{1f, 2f}, {3f, 4f}}).transpose();

        assertEquals(layout(1, new long[] {2, 3}, le(4 * 6).putInt(0x3fc00000).putInt(0x80000000).putInt(0x7fc00123)
                .putInt(1).putInt(Float.floatToRawIntBits(-2f)).putInt(Float.floatToRawIntBits(3e38f))),
                arrayBytes("f", floats));
        assertEquals(layout(2, new long[] {2}, le(16).putLong(Double.doubleToRawLongBits(0.1))
                .putLong(Double.doubleToRawLongBits(-1e300))), arrayBytes("d", doubles));
        assertEquals(layout(4, new long[] {3}, le(12).putInt(7).putInt(-1).putInt(Integer.MIN_VALUE)),
                arrayBytes("i", ints));
        assertEquals(layout(1, new long[] {2, 2}, le(16).putFloat(1f).putFloat(3f).putFloat(2f).putFloat(4f)),
                arrayBytes("v", view));

        Checkpoint read = CheckpointFormat.decode(CheckpointFormat.encode(new Checkpoint(1, 2, Map.of(), Map.of(),
                Map.of("f", floats, "d", doubles, "i", ints, "v", view))));
        assertArrayEquals(new int[] {0x3fc00000, 0x80000000, 0x7fc00123, 1, Float.floatToRawIntBits(-2f),
                Float.floatToRawIntBits(3e38f)}, bits(read.arrays().get("f")));
        assertEquals(DataType.DOUBLE, read.arrays().get("d").dataType());
        assertEquals(doubles, read.arrays().get("d"));
        assertEquals(ints, read.arrays().get("i"));
        assertEquals(view.dup('c'), read.arrays().get("v"));
    }

    private static int[] bits(INDArray a) {
        float[] f = a.data().asFloat();
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = Float.floatToRawIntBits(f[i]);
        }
        return out;
    }

    private static ByteBuffer le(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Type code, rank, shape and the elements, as the format lays out one array. */
    private static String layout(int code, long[] shape, ByteBuffer elements) {
        ByteBuffer b = le(1 + 4 + 8 * shape.length + elements.capacity());
        b.put((byte) code).putInt(shape.length);
        for (long s : shape) {
            b.putLong(s);
        }
        b.put(elements.array());
        return hex(b.array());
    }

    /** The bytes of the one array {@code a} in a checkpoint, found after its name. */
    private static String arrayBytes(String name, INDArray a) throws IOException {
        byte[] file = CheckpointFormat.encode(new Checkpoint(0, 0, Map.of(), Map.of(), Map.of(name, a)));
        // The body ends with: int32 count (1), int32 name length, the name, the array; then 32 digest bytes.
        String all = hex(Arrays.copyOf(file, file.length - 32));
        String marker = hex(le(4 + 4 + name.length()).putInt(1).putInt(name.length())
                .put(name.getBytes(java.nio.charset.StandardCharsets.UTF_8)).array());
        int at = all.lastIndexOf(marker);
        assertEquals(true, at >= 0, "the array's name is in the file");
        return all.substring(at + marker.length());
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x));
        }
        return s.toString();
    }
}
