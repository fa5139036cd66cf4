package io.streamebm.pipeline.calibration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The rank table a snapshot carries: ranks, and a decoder that refuses anything but a valid table. */
class EnergyPercentilesTest {

    private static final EnergyPercentiles TABLE = EnergyPercentiles.of(new float[] {-1, 0.5f, 0.5f, 2},
            new long[] {1, 3, 4, 8});

    @Test
    void ranksAreTheShareOfRecordsAtOrBelow() {
        assertEquals(8, TABLE.records());
        assertEquals(0.0, TABLE.percentile(-1.5));
        assertEquals(0.125, TABLE.percentile(-1));
        assertEquals(0.125, TABLE.percentile(0.4));
        assertEquals(0.5, TABLE.percentile(0.5), "equal energies count together");
        assertEquals(0.5, TABLE.percentile(1.9));
        assertEquals(1.0, TABLE.percentile(2));
        assertEquals(1.0, TABLE.percentile(Double.POSITIVE_INFINITY));
        assertEquals(0.0, TABLE.percentile(Double.NEGATIVE_INFINITY));
        assertTrue(Double.isNaN(TABLE.percentile(Double.NaN)));
    }

    @Test
    void roundTrips() throws IOException {
        byte[] bytes = TABLE.encode();
        assertEquals(1 + 8 + 4 + 4 * 8, bytes.length);
        assertEquals(TABLE, EnergyPercentiles.decode(bytes));
    }

    @Test
    void refusesTablesThatAreNotARankFunction() {
        assertRefused(table(2, 1, 8, new float[] {1}, new int[] {8}), "unknown calibration format 2");
        assertRefused(Arrays.copyOf(TABLE.encode(), 10), "ends early");
        assertRefused(Arrays.copyOf(TABLE.encode(), 20), "declares 4 entries but only 7 bytes remain");
        assertRefused(Arrays.copyOf(TABLE.encode(), TABLE.encode().length + 1), "1 unexpected bytes");
        assertRefused(table(1, Integer.MAX_VALUE, Long.MAX_VALUE, new float[] {1}, new int[] {8}),
                "declares 2147483647 entries but only 8 bytes remain");
        assertRefused(table(1, 0, 8, new float[0], new int[0]), "declares 0 entries");
        assertRefused(table(1, 2, 8, new float[] {1, Float.NaN}, new int[] {4, 4}), "entry 1 has the energy NaN");
        assertRefused(table(1, 2, 8, new float[] {1, Float.POSITIVE_INFINITY}, new int[] {4, 4}), "Infinity");
        assertRefused(table(1, 2, 8, new float[] {2, 1}, new int[] {4, 4}), "energies decrease at entry 1");
        assertRefused(table(1, 2, 8, new float[] {1, 2}, new int[] {8, 0}), "entry 1 has the weight 0");
        assertRefused(table(1, 2, 8, new float[] {1, 2}, new int[] {-1, 9}), "entry 0 has the weight -1");
        assertRefused(table(1, 2, 9, new float[] {1, 2}, new int[] {4, 4}), "add up to 8 records, the header says 9");
        assertThrows(IllegalArgumentException.class, () -> EnergyPercentiles.of(new float[] {2, 1}, new long[] {1, 2}));
    }

    /** Corrupted tables are refused with an IOException, never anything else; any accepted one still ranks in order. */
    @Test
    void bitFlipsNeverCrashTheDecoder() {
        byte[] valid = EnergyPercentiles.of(new float[] {-3, -1, 0, 0.25f, 4, 9}, new long[] {2, 4, 8, 16, 32, 64}).encode();
        Random random = new Random(17);
        int accepted = 0;
        for (int trial = 0; trial < 20_000; trial++) {
            byte[] bytes = valid.clone();
            for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
            }
            try {
                EnergyPercentiles p = EnergyPercentiles.decode(bytes);
                accepted++;
                double last = 0;
                for (double e = -10; e <= 10; e += 0.125) {
                    double q = p.percentile(e);
                    assertTrue(q >= last && q <= 1, "ranks in order: " + p);
                    last = q;
                }
            } catch (IOException expected) {
                // refused with a reason
            }
        }
        assertTrue(accepted < 20_000, "most corruptions are refused: " + accepted + " accepted");
    }

    private static void assertRefused(byte[] bytes, String reason) {
        IOException e = assertThrows(IOException.class, () -> EnergyPercentiles.decode(bytes));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    private static byte[] table(int format, int count, long records, float[] energies, int[] weights) {
        ByteBuffer b = ByteBuffer.allocate(13 + 4 * energies.length + 4 * weights.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) format).putLong(records).putInt(count);
        for (float e : energies) {
            b.putFloat(e);
        }
        for (int w : weights) {
            b.putInt(w);
        }
        return b.array();
    }
}
