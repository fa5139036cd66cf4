package io.streamebm.connectors.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Packed little-endian IEEE-754 float32 values, 4 bytes each, no header: the format numpy writes with
 * {@code array.astype('<f4').tobytes()}. Content type {@code application/x-float32}.
 */
public final class Float32SampleCodec implements SampleCodec {

    /** The content type of this format. */
    public static final String CONTENT_TYPE = "application/x-float32";
    /** The shared instance. */
    public static final Float32SampleCodec INSTANCE = new Float32SampleCodec();

    private static final VarHandle LE_FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

    private Float32SampleCodec() {
    }

    @Override
    public String contentType() {
        return CONTENT_TYPE;
    }

    @Override
    public float[] decode(byte[] value) {
        if (value.length == 0) {
            throw new SampleFormatException(DecodeReason.EMPTY, "float32 value has no bytes");
        }
        if ((value.length & 3) != 0) {
            throw new SampleFormatException(DecodeReason.BAD_FLOAT32_LENGTH,
                    "float32 value has " + value.length + " bytes, not a multiple of 4");
        }
        if (isNumberText(value)) {
            throw new SampleFormatException(DecodeReason.TEXT_AS_FLOAT32, "float32 value is number text (\""
                    + new String(value, 0, Math.min(value.length, 32), java.nio.charset.StandardCharsets.US_ASCII)
                    + (value.length > 32 ? "..." : "") + "\"): send it as JSON, or encode the floats");
        }
        float[] out = new float[value.length >>> 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) LE_FLOAT.get(value, i << 2);
        }
        return out;
    }

    /**
     * Whether every byte is a character of written numbers (digits, sign, point, exponent, comma,
     * brackets, blanks). Real float32 data almost never is: any float with a zero byte fails, and a
     * random mantissa byte falls in this 20-character set with probability 20/256, so an 8-byte
     * sample passes by chance about once in 10^9. A producer that sent text under this content type
     * would otherwise train on meaningless numbers.
     */
    private static boolean isNumberText(byte[] value) {
        for (byte b : value) {
            boolean numberChar = (b >= '0' && b <= '9') || b == '.' || b == ',' || b == '-' || b == '+'
                    || b == 'e' || b == 'E' || b == '[' || b == ']' || b == ' ' || b == '\t' || b == '\n' || b == '\r';
            if (!numberChar) {
                return false;
            }
        }
        return true;
    }

    @Override
    public byte[] encode(float[] sample) {
        byte[] out = new byte[sample.length * 4];
        for (int i = 0; i < sample.length; i++) {
            LE_FLOAT.set(out, i << 2, sample[i]);
        }
        return out;
    }
}
