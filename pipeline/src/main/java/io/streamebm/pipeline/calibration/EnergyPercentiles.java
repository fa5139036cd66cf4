package io.streamebm.pipeline.calibration;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Where an energy ranks among the recent training energies: the rank function of an
 * {@link EnergySketch}, frozen when a snapshot is written, and what {@code score} turns into each
 * record's {@code percentile}.
 *
 * <p>It is the sketch's sorted view: the retained energies in increasing order, each with the
 * number of training records it stands for (its weight). {@link #percentile} is the share of
 * training records whose energy is at most the given one, so a record as unusual as the most
 * unusual 0.5% of the training stream gets 0.995 or more.
 *
 * <p>This, not the sketch library's own serialisation, is what travels in a snapshot. The snapshot
 * topic is untrusted input, and the library's deserialisers trust the sizes they read: fed
 * corrupted KLL or REQ bytes they threw {@code NegativeArraySizeException}, allocated until
 * {@code OutOfMemoryError} (which ends the scorer), or returned sketches whose ranks were not even
 * monotonic. {@link #decode} checks every size against the bytes present before it allocates, and
 * every entry for order and finiteness, so a forged table is refused with a reason and never
 * crashes the scorer.
 *
 * <h2>Format (version 1, little-endian)</h2>
 * <pre>
 *   format      int8        1
 *   records     int64       training records the table stands for, n &gt; 0
 *   count       int32       entries m, 1 &lt;= m &lt;= n
 *   energies    float32[m]  finite, non-decreasing
 *   weights     int32[m]    records each entry stands for, at least 1, adding up to n
 * </pre>
 * A window holds at most {@code calibration.window-records} records, an int, so a weight fits in
 * 32 bits: 8 bytes an entry, about 35 KB for two full windows.
 */
public final class EnergyPercentiles {

    /** The one format version this build writes and reads. */
    public static final byte FORMAT = 1;

    private static final int HEADER_BYTES = 1 + 8 + 4;
    private static final int ENTRY_BYTES = 4 + 4;

    private final float[] energies;
    private final long[] cumulative;
    private final long records;

    private EnergyPercentiles(float[] energies, long[] cumulative) {
        this.energies = energies;
        this.cumulative = cumulative;
        this.records = cumulative[cumulative.length - 1];
    }

    /**
     * A table from a sorted view.
     *
     * @param energies   retained energies, finite and non-decreasing
     * @param cumulative per entry, the records with an energy up to it: increasing, by 1 to
     *                   {@link Integer#MAX_VALUE} from one entry to the next (and from 0 to the first)
     * @throws IllegalArgumentException when the entries break those rules
     */
    public static EnergyPercentiles of(float[] energies, long[] cumulative) {
        String problem = problem(energies, cumulative);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return new EnergyPercentiles(energies.clone(), cumulative.clone());
    }

    /**
     * The share of recent training records whose energy is at most {@code energy}, in [0, 1]:
     * 0 below every one of them, 1 at or above the highest. NaN for a NaN energy, which ranks
     * nowhere. An energy beyond the float range ranks as the float infinity of its sign.
     */
    public double percentile(double energy) {
        if (Double.isNaN(energy)) {
            return Double.NaN;
        }
        float e = (float) energy;
        // The number of entries at or below e: the first index whose energy is above it.
        int lo = 0;
        int hi = energies.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (energies[mid] <= e) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo == 0 ? 0.0 : (double) cumulative[lo - 1] / records;
    }

    /** The number of training records the table stands for. */
    public long records() {
        return records;
    }

    /** The number of entries (retained energies). */
    public int size() {
        return energies.length;
    }

    /** The bytes of this table, in the format above. */
    public byte[] encode() {
        ByteBuffer out = ByteBuffer.allocate(HEADER_BYTES + ENTRY_BYTES * energies.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(FORMAT).putLong(records).putInt(energies.length);
        for (float e : energies) {
            out.putFloat(e);
        }
        for (int i = 0; i < cumulative.length; i++) {
            // of() and decode() guarantee weights in [1, Integer.MAX_VALUE].
            out.putInt((int) (cumulative[i] - (i == 0 ? 0 : cumulative[i - 1])));
        }
        return out.array();
    }

    /**
     * Reads and checks a table written by {@link #encode}. Nothing is allocated before its size has
     * been checked against the bytes present.
     *
     * @throws IOException naming what is wrong: an unknown format, impossible sizes, an early or
     *                     late end, or entries that are not finite, ordered and adding up
     */
    public static EnergyPercentiles decode(byte[] bytes) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            byte format = in.get();
            if (format != FORMAT) {
                throw new IOException("unknown calibration format " + format + " (this build reads " + FORMAT + ")");
            }
            long records = in.getLong();
            int count = in.getInt();
            if (records < 1 || count < 1 || count > records) {
                throw new IOException("declares " + count + " entries for " + records + " records");
            }
            if (count > in.remaining() / ENTRY_BYTES) {
                throw new IOException("declares " + count + " entries but only " + in.remaining() + " bytes remain");
            }
            float[] energies = new float[count];
            int[] weights = new int[count];
            in.asFloatBuffer().get(energies);
            in.position(in.position() + 4 * count);
            in.asIntBuffer().get(weights);
            in.position(in.position() + 4 * count);
            if (in.hasRemaining()) {
                throw new IOException(in.remaining() + " unexpected bytes after the entries");
            }
            long[] cumulative = new long[count];
            long total = 0;
            for (int i = 0; i < count; i++) {
                if (weights[i] < 1) {
                    throw new IOException("entry " + i + " has the weight " + weights[i]);
                }
                total += weights[i]; // at most 2^31 entries of at most 2^31: no overflow
                cumulative[i] = total;
            }
            String problem = problem(energies, cumulative);
            if (problem != null) {
                throw new IOException(problem);
            }
            if (cumulative[count - 1] != records) {
                throw new IOException("the entries add up to " + cumulative[count - 1] + " records, the header says "
                        + records);
            }
            return new EnergyPercentiles(energies, cumulative);
        } catch (BufferUnderflowException e) {
            throw new IOException("calibration ends early (" + bytes.length + " bytes)");
        }
    }

    /** Why entries do not form a rank function, or null. */
    private static String problem(float[] energies, long[] cumulative) {
        if (energies.length == 0 || energies.length != cumulative.length) {
            return "needs as many cumulative counts as energies, and at least one: " + energies.length + " and "
                    + cumulative.length;
        }
        for (int i = 0; i < energies.length; i++) {
            if (!Float.isFinite(energies[i])) {
                return "entry " + i + " has the energy " + energies[i];
            }
            if (i > 0 && energies[i] < energies[i - 1]) {
                return "energies decrease at entry " + i + " (" + energies[i - 1] + " then " + energies[i] + ")";
            }
            long weight = cumulative[i] - (i == 0 ? 0 : cumulative[i - 1]);
            if (weight < 1 || weight > Integer.MAX_VALUE) {
                return "entry " + i + " stands for " + weight + " records, not 1 to " + Integer.MAX_VALUE;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "EnergyPercentiles[" + records + " records, " + energies.length + " entries, energies "
                + energies[0] + " .. " + energies[energies.length - 1] + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EnergyPercentiles p && Arrays.equals(energies, p.energies)
                && Arrays.equals(cumulative, p.cumulative);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(energies) + Arrays.hashCode(cumulative);
    }
}
