package io.streamebm.connectors.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SampleCodecTest {

    private static float[] json(String s) {
        return JsonSampleCodec.INSTANCE.decode(s.getBytes(StandardCharsets.UTF_8));
    }

    private static DecodeReason jsonReason(String s) {
        return assertThrows(SampleFormatException.class, () -> json(s), s).reason();
    }

    @Test
    void parsesJsonArrays() {
        assertArrayEquals(new float[] {0.5f, -1.25f}, json("[0.5,-1.25]"));
        assertArrayEquals(new float[] {1f, 2f, 3f}, json(" \n\t[ 1 ,\r\n2,  3 ]  \n"));
        assertArrayEquals(new float[] {0f, -0f, 1e-3f, 2.5e10f, -7E+2f, 3e-2f}, json("[0,-0,1e-3,2.5e10,-7E+2,3e-2]"));
        assertArrayEquals(new float[] {123456789f}, json("[123456789]"));
        assertArrayEquals(new float[] {0.1f}, json("[0.1000000000000000000000000001]"));
        assertArrayEquals(new float[] {1.4e-45f}, json("[1.4e-45]"));
        assertArrayEquals(new float[] {0f}, json("[1e-60]"));
        float[] many = json("[" + "1,".repeat(40) + "2]");
        assertEquals(41, many.length);
        assertEquals(-0f, json("[-0.0]")[0]);
        assertTrue(1 / json("[-0.0]")[0] < 0, "negative zero keeps its sign");
    }

    @Test
    void roundsLikeFloatParseFloat() {
        Random rnd = new Random(42);
        for (int i = 0; i < 200_000; i++) {
            String s = switch (i % 6) {
                case 4 -> {
                    StringBuilder d = new StringBuilder(rnd.nextBoolean() ? "-" : "").append(1 + rnd.nextInt(9)).append('.');
                    for (int k = rnd.nextInt(30); k >= 0; k--) {
                        d.append(rnd.nextInt(10));
                    }
                    yield d.append('e').append(rnd.nextInt(50) - 25).toString();
                }
                // Exactly halfway between two floats, the case double rounding gets wrong.
                case 5 -> new java.math.BigDecimal((double) (float) rnd.nextGaussian())
                        .add(new java.math.BigDecimal(Math.ulp((float) 1.5) / 2).multiply(java.math.BigDecimal.valueOf(Math.abs(rnd.nextGaussian()) < 1 ? 1 : 0))).toString();
                case 0 -> Double.toString(rnd.nextGaussian() * Math.pow(10, rnd.nextInt(20) - 10));
                case 1 -> Float.toString((float) rnd.nextGaussian());
                case 2 -> String.format("%.6f", rnd.nextGaussian());
                default -> (rnd.nextInt(2000) - 1000) + "e" + (rnd.nextInt(80) - 40);
            };
            float expected = Float.parseFloat(s);
            assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(json("[" + s + "]")[0]), s);
        }
    }

    @Test
    void nonFiniteTokensAreReadSoThatValidationNamesThem() {
        assertTrue(Float.isNaN(json("[NaN]")[0]));
        assertEquals(Float.POSITIVE_INFINITY, json("[Infinity]")[0]);
        assertEquals(Float.NEGATIVE_INFINITY, json("[-Infinity]")[0]);
        assertEquals(Float.POSITIVE_INFINITY, json("[1e39]")[0]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "[1,]", "[,1]", "[1 2]", "[01]", "[1.]", "[.5]", "[1e]", "[+1]", "[\"1\"]",
            "[[1]]", "[1]x", "[1", "1", "[true]", "[null]", "[- 1]", "[1e+]", "[Inf]", "[nan]", "[1],[2]", "[0x10]"})
    void rejectsMalformedJson(String s) {
        assertEquals(DecodeReason.MALFORMED_JSON, jsonReason(s));
    }

    @Test
    void emptyJson() {
        assertEquals(DecodeReason.EMPTY, jsonReason("[]"));
        assertEquals(DecodeReason.EMPTY, jsonReason(" [ ] "));
        assertEquals(DecodeReason.EMPTY, jsonReason("   "));
    }

    @Test
    void malformedMessageSaysWhere() {
        SampleFormatException e = assertThrows(SampleFormatException.class, () -> json("[1,x]"));
        assertTrue(e.getMessage().contains("at byte 3"), e.getMessage());
    }

    @Test
    void jsonEncodeRoundTrips() {
        Random rnd = new Random(7);
        for (int i = 0; i < 1000; i++) {
            float[] v = new float[1 + rnd.nextInt(8)];
            for (int k = 0; k < v.length; k++) {
                v[k] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(10) - 5));
            }
            assertArrayEquals(v, JsonSampleCodec.INSTANCE.decode(JsonSampleCodec.INSTANCE.encode(v)));
        }
    }

    @Test
    void float32IsLittleEndianAndRoundTrips() {
        ByteBuffer bb = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        bb.putFloat(0.5f).putFloat(-1.25f);
        assertArrayEquals(new float[] {0.5f, -1.25f}, Float32SampleCodec.INSTANCE.decode(bb.array()));
        float[] v = {1f, Float.MIN_VALUE, -3.5e20f};
        assertArrayEquals(v, Float32SampleCodec.INSTANCE.decode(Float32SampleCodec.INSTANCE.encode(v)));
        assertArrayEquals(bb.array(), Float32SampleCodec.INSTANCE.encode(new float[] {0.5f, -1.25f}));
    }

    @Test
    void float32Errors() {
        assertEquals(DecodeReason.BAD_FLOAT32_LENGTH,
                assertThrows(SampleFormatException.class, () -> Float32SampleCodec.INSTANCE.decode(new byte[7])).reason());
        assertEquals(DecodeReason.EMPTY,
                assertThrows(SampleFormatException.class, () -> Float32SampleCodec.INSTANCE.decode(new byte[0])).reason());
    }

    @Test
    void numberTextSentAsFloat32IsRejectedNotReadAsFloats() {
        for (String text : new String[] {"12345678", "[1.5,2.]", "1e10,-3 ", "0.25,0.5"}) {
            SampleFormatException e = assertThrows(SampleFormatException.class,
                    () -> Float32SampleCodec.INSTANCE.decode(text.getBytes(StandardCharsets.US_ASCII)), text);
            assertEquals(DecodeReason.TEXT_AS_FLOAT32, e.reason(), text);
            assertTrue(e.getMessage().contains(text), e.getMessage());
        }
        // Real float32 samples pass: 100,000 random ones, none of them is taken for text.
        Random rnd = new Random(3);
        for (int i = 0; i < 100_000; i++) {
            float[] v = {(float) rnd.nextGaussian() * 10, (float) rnd.nextGaussian() * 10};
            assertArrayEquals(v, Float32SampleCodec.INSTANCE.decode(Float32SampleCodec.INSTANCE.encode(v)));
        }
    }

    @Test
    void finiteValuesBeyondTheBoundAreOutOfRange() {
        SampleDecoder d = SampleDecoder.builder().expectedDimension(2).build();
        assertEquals(1e6, d.maxAbsValue());
        SampleDecodeException e = assertThrows(SampleDecodeException.class, () -> d.decode(record("[1e38,1e38]".getBytes(), null)));
        assertEquals(DecodeReason.OUT_OF_RANGE, e.reason());
        assertTrue(e.getMessage().contains("out_of_range: value 0 is 1.0E38, beyond the bound |x| <= 1000000.0"), e.getMessage());
        assertEquals(DecodeReason.OUT_OF_RANGE, assertThrows(SampleDecodeException.class,
                () -> d.decode(record(Float32SampleCodec.INSTANCE.encode(new float[] {0f, -2e6f}), "application/x-float32"))).reason());
        assertArrayEquals(new float[] {-1e6f, 1e6f}, d.decode(record("[-1e6,1e6]".getBytes(), null)));
        SampleDecoder tight = SampleDecoder.builder().maxAbsValue(10).build();
        assertEquals(DecodeReason.OUT_OF_RANGE, assertThrows(SampleDecodeException.class,
                () -> tight.decode(record("[10.5]".getBytes(), null))).reason());
        assertThrows(IllegalArgumentException.class, () -> SampleDecoder.builder().maxAbsValue(0));
        assertThrows(IllegalArgumentException.class, () -> SampleDecoder.builder().maxAbsValue(Double.POSITIVE_INFINITY));
    }

    private static ConsumerRecord<byte[], byte[]> record(byte[] value, String contentType) {
        RecordHeaders h = new RecordHeaders();
        if (contentType != null) {
            h.add(SampleCodecs.CONTENT_TYPE_HEADER, contentType.getBytes(StandardCharsets.UTF_8));
        }
        return new ConsumerRecord<>("t", 3, 42L, 0L, TimestampType.CREATE_TIME, 0, value == null ? 0 : value.length,
                null, value, h, java.util.Optional.empty());
    }

    @Test
    void decoderChoosesCodecByHeaderAndValidates() {
        SampleDecoder d = SampleDecoder.builder().expectedDimension(2).maxRecordBytes(64).build();
        byte[] f32 = Float32SampleCodec.INSTANCE.encode(new float[] {1f, 2f});
        assertArrayEquals(new float[] {1f, 2f}, d.decode(record(f32, "application/x-float32")));
        assertArrayEquals(new float[] {1f, 2f}, d.decode(record("[1,2]".getBytes(), null)));
        assertArrayEquals(new float[] {1f, 2f}, d.decode(record("[1,2]".getBytes(), "Application/JSON; charset=utf-8")));

        SampleDecodeException e = assertThrows(SampleDecodeException.class, () -> d.decode(record("[1,2,3]".getBytes(), null)));
        assertEquals(DecodeReason.WRONG_DIMENSION, e.reason());
        assertEquals("t", e.topic());
        assertEquals(3, e.partition());
        assertEquals(42L, e.offset());
        assertTrue(e.getMessage().startsWith("t-3@42: wrong_dimension: expected 2 values, got 3"), e.getMessage());

        assertEquals(DecodeReason.NON_FINITE, assertThrows(SampleDecodeException.class,
                () -> d.decode(record("[1,NaN]".getBytes(), null))).reason());
        assertEquals(DecodeReason.NON_FINITE, assertThrows(SampleDecodeException.class,
                () -> d.decode(record(Float32SampleCodec.INSTANCE.encode(new float[] {1f, Float.POSITIVE_INFINITY}), "application/x-float32"))).reason());
        assertEquals(DecodeReason.TOO_LARGE, assertThrows(SampleDecodeException.class,
                () -> d.decode(record(new byte[65], "application/x-float32"))).reason());
        assertEquals(DecodeReason.EMPTY, assertThrows(SampleDecodeException.class, () -> d.decode(record(null, null))).reason());
        assertEquals(DecodeReason.UNSUPPORTED_CONTENT_TYPE, assertThrows(SampleDecodeException.class,
                () -> d.decode(record("[1,2]".getBytes(), "text/csv"))).reason());
        assertEquals(DecodeReason.BAD_FLOAT32_LENGTH, assertThrows(SampleDecodeException.class,
                () -> d.decode(record(new byte[7], "application/x-float32"))).reason());

        SampleDecoder forced = SampleDecoder.builder().forceCodec(Float32SampleCodec.INSTANCE).build();
        assertArrayEquals(new float[] {1f, 2f}, forced.decode(record(f32, "application/json")));
        assertThrows(IllegalArgumentException.class, () -> SampleDecoder.builder().expectedDimension(-1));
        assertThrows(IllegalArgumentException.class, () -> SampleDecoder.builder().maxRecordBytes(0));
    }
}
