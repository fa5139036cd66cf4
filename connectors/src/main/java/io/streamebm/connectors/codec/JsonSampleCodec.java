package io.streamebm.connectors.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A sample as a JSON array of numbers, e.g. {@code [0.5,-1.25,3e-2]}, content type {@code application/json}.
 *
 * <p>The parser is hand-written for this one shape, because a general JSON library would allocate a tree
 * per record. It accepts exactly the JSON number grammar, whitespace anywhere JSON allows it, and also the
 * tokens {@code NaN}, {@code Infinity} and {@code -Infinity} that Python's {@code json.dumps} writes, so
 * that such records are rejected as {@code non_finite} (what is actually wrong) rather than as malformed.
 * Anything else (objects, strings, nesting, trailing commas, leading zeros) is {@code malformed_json}.
 * Numbers are rounded to the nearest float exactly as {@link Float#parseFloat} would: a fast path in double
 * arithmetic covers decimals of up to 18 significant digits with exponents up to 22, and the slow path
 * ({@code Float.parseFloat}) is only taken when the fast one could round differently.
 */
public final class JsonSampleCodec implements SampleCodec {

    /** The content type of this format. */
    public static final String CONTENT_TYPE = "application/json";
    /** The shared instance. */
    public static final JsonSampleCodec INSTANCE = new JsonSampleCodec();

    private static final double[] POW10 = new double[23];
    private static final long MAX_EXACT = 1L << 53;

    static {
        double p = 1;
        for (int i = 0; i < POW10.length; i++) {
            POW10[i] = p;
            p *= 10;
        }
    }

    private JsonSampleCodec() {
    }

    @Override
    public String contentType() {
        return CONTENT_TYPE;
    }

    @Override
    public float[] decode(byte[] b) {
        return new Parser(b).parse();
    }

    @Override
    public byte[] encode(float[] sample) {
        StringBuilder sb = new StringBuilder(sample.length * 12 + 2);
        sb.append('[');
        for (int i = 0; i < sample.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            float v = sample[i];
            if (Float.isNaN(v)) {
                sb.append("NaN");
            } else if (Float.isInfinite(v)) {
                sb.append(v > 0 ? "Infinity" : "-Infinity");
            } else {
                // Float.toString is the shortest string that reads back to the same float.
                sb.append(Float.toString(v));
            }
        }
        sb.append(']');
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static final class Parser {
        private final byte[] b;
        private final int n;
        private int i;

        Parser(byte[] b) {
            this.b = b;
            this.n = b.length;
        }

        float[] parse() {
            skipWs();
            if (i == n) {
                throw new SampleFormatException(DecodeReason.EMPTY, "value is empty or whitespace only");
            }
            if (b[i] != '[') {
                throw malformed("expected '['");
            }
            i++;
            skipWs();
            if (i < n && b[i] == ']') {
                i++;
                skipWs();
                if (i != n) {
                    throw malformed("unexpected characters after the array");
                }
                throw new SampleFormatException(DecodeReason.EMPTY, "the array has no values");
            }
            float[] out = new float[16];
            int count = 0;
            while (true) {
                float v = number();
                if (count == out.length) {
                    out = Arrays.copyOf(out, count * 2);
                }
                out[count++] = v;
                skipWs();
                if (i >= n) {
                    throw malformed("unterminated array");
                }
                byte c = b[i];
                if (c == ',') {
                    i++;
                    skipWs();
                } else if (c == ']') {
                    i++;
                    break;
                } else {
                    throw malformed("expected ',' or ']'");
                }
            }
            skipWs();
            if (i != n) {
                throw malformed("unexpected characters after the array");
            }
            return count == out.length ? out : Arrays.copyOf(out, count);
        }

        private void skipWs() {
            while (i < n) {
                byte c = b[i];
                if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                    i++;
                } else {
                    return;
                }
            }
        }

        private SampleFormatException malformed(String what) {
            String at = i < n ? "at byte " + i + " ('" + printable(b[i]) + "')" : "at end of value";
            return new SampleFormatException(DecodeReason.MALFORMED_JSON, what + " " + at);
        }

        private static String printable(byte c) {
            return c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c & 0xff);
        }

        private boolean token(String t) {
            int len = t.length();
            if (i + len > n) {
                return false;
            }
            for (int k = 0; k < len; k++) {
                if (b[i + k] != t.charAt(k)) {
                    return false;
                }
            }
            i += len;
            return true;
        }

        private float number() {
            int start = i;
            boolean neg = false;
            if (i < n && b[i] == '-') {
                neg = true;
                i++;
            }
            if (i < n && b[i] == 'I') {
                if (token("Infinity")) {
                    return neg ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
                }
                throw malformed("expected a number");
            }
            if (!neg && i < n && b[i] == 'N') {
                if (token("NaN")) {
                    return Float.NaN;
                }
                throw malformed("expected a number");
            }
            if (i >= n || !digit(b[i])) {
                throw malformed("expected a number");
            }
            long mant = 0;
            int exp10 = 0;
            boolean truncated = false;
            if (b[i] == '0') {
                i++;
                if (i < n && digit(b[i])) {
                    throw malformed("leading zero in number");
                }
            } else {
                while (i < n && digit(b[i])) {
                    if (mant < 100_000_000_000_000_000L) {
                        mant = mant * 10 + (b[i] - '0');
                    } else {
                        exp10++;
                        truncated = true;
                    }
                    i++;
                }
            }
            if (i < n && b[i] == '.') {
                i++;
                if (i >= n || !digit(b[i])) {
                    throw malformed("expected a digit after '.'");
                }
                while (i < n && digit(b[i])) {
                    if (mant < 100_000_000_000_000_000L) {
                        mant = mant * 10 + (b[i] - '0');
                        exp10--;
                    } else if (b[i] != '0') {
                        truncated = true;
                    }
                    i++;
                }
            }
            if (i < n && (b[i] == 'e' || b[i] == 'E')) {
                i++;
                boolean eneg = false;
                if (i < n && (b[i] == '+' || b[i] == '-')) {
                    eneg = b[i] == '-';
                    i++;
                }
                if (i >= n || !digit(b[i])) {
                    throw malformed("expected a digit in the exponent");
                }
                int e = 0;
                while (i < n && digit(b[i])) {
                    if (e < 100_000) {
                        e = e * 10 + (b[i] - '0');
                    }
                    i++;
                }
                exp10 += eneg ? -e : e;
            }
            if (mant == 0 && !truncated) {
                return neg ? -0f : 0f;
            }
            if (exp10 >= -22 && exp10 <= 22) {
                // Powers of ten up to 1e22 are exact doubles, so d is within a few double ulps of the decimal
                // (exactly the correctly rounded double when mant is exact: Clinger's fast path).
                double d = exp10 >= 0 ? mant * POW10[exp10] : mant / POW10[-exp10];
                // Rounding d to float can only differ from rounding the decimal itself if a float midpoint
                // lies within that error of d; midpoints have 0x10000000 in the 29 bits a float drops.
                long dist = Math.abs((Double.doubleToRawLongBits(d) & 0x1FFFFFFFL) - 0x10000000L);
                boolean exact = !truncated && mant <= MAX_EXACT;
                if ((exact ? dist != 0 : dist > 16) && d >= Float.MIN_NORMAL) {
                    float f = (float) d;
                    return neg ? -f : f;
                }
            }
            return Float.parseFloat(new String(b, start, i - start, StandardCharsets.ISO_8859_1));
        }

        private static boolean digit(byte c) {
            return c >= '0' && c <= '9';
        }
    }
}
