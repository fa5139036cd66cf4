package io.streamebm.pipeline.calibration;

import io.streamebm.pipeline.config.PipelineConfig;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import org.apache.datasketches.kll.KllFloatsSketch;
import org.apache.datasketches.memory.Memory;
import org.apache.datasketches.quantilescommon.FloatsSortedView;

/**
 * A streaming quantile sketch of the energies of recent training records, measured under the
 * model of their time: what calibrates the scores of {@code score}. The trainer adds the energy
 * of every record it trains on; each snapshot carries {@link #percentiles()}.
 *
 * <p><b>Recent</b> means the last {@code calibration.window-records} to twice that many records.
 * Two sketches take turns: records go into the current one, and when it holds a full window it
 * becomes the previous one and the one before is dropped. Reading merges the two. The energy scale
 * of an energy-based model moves as it trains (energies have no fixed zero), so energies measured
 * under a model long gone must age out, and a sketch that never forgets would rank new records
 * against them. A sliding window would be exact but costs a copy of every energy in it; two
 * rotating sketches cost two sketches.
 *
 * <p><b>Which sketch.</b> KLL from Apache DataSketches ({@code datasketches-java} 6.2, the newest
 * line that runs on Java 17 without JVM flags), with k = {@value #K}. Measured on 80,000 lognormal
 * energies in two windows and 400,000 fresh ones, twelve seeds, the share of fresh records ranked at
 * 0.995 or above (the default anomaly threshold; 0.5% expected): k = 200, the library default,
 * 0.22-0.93%; k = 400, 0.42-0.69%; k = 1000, 0.41-0.62%; k = 2000, 0.47-0.55%. The issue asks for
 * 0.5 ± 0.3%, so k = 200 is too coarse and 1000 leaves a margin; the sketch then keeps about 3,000
 * floats and an update costs about 30 ns. DataSketches' REQ sketch, built for accuracy near rank 1,
 * was tighter still (0.46-0.52% with 5 KB) but costs about 100 ns an update, as much as the whole
 * budget for calibration and drift detection on the cheapest training step. t-digest was the
 * fallback had DataSketches not resolved.
 *
 * <p>Only the trainer thread uses a sketch: it is not thread-safe.
 */
public final class EnergySketch {

    /** KLL's accuracy parameter; see the class comment for why 1000. */
    public static final int K = 1000;

    private static final byte FORMAT = 1;

    private final long windowRecords;
    private KllFloatsSketch previous;
    private KllFloatsSketch current;

    /** @param windowRecords records per window: recent means the last one to two windows */
    public EnergySketch(long windowRecords) {
        if (windowRecords < 1) {
            throw new IllegalArgumentException("windowRecords must be >= 1, got " + windowRecords);
        }
        this.windowRecords = windowRecords;
        this.current = KllFloatsSketch.newHeapInstance(K);
    }

    /** The sketch {@code calibration.window-records} asks for. */
    public static EnergySketch fromConfig(PipelineConfig config) {
        return new EnergySketch(config.longValue("calibration.window-records"));
    }

    /**
     * Adds the energy of one training record. NaN is skipped (it ranks nowhere); an energy beyond
     * the float range is kept as the largest float of its sign, still above or below every other.
     */
    public void add(double energy) {
        if (Double.isNaN(energy)) {
            return;
        }
        current.update((float) Math.max(-Float.MAX_VALUE, Math.min(Float.MAX_VALUE, energy)));
        if (current.getN() >= windowRecords) {
            previous = current;
            current = KllFloatsSketch.newHeapInstance(K);
        }
    }

    /** Adds the energies of a batch, in order. */
    public void addAll(double[] energies) {
        for (double e : energies) {
            add(e);
        }
    }

    /** The number of records the recent windows hold. */
    public long records() {
        return current.getN() + (previous == null ? 0 : previous.getN());
    }

    /** Records per window. */
    public long windowRecords() {
        return windowRecords;
    }

    /**
     * The rank function of the recent energies, or empty before the first one: the union of the two
     * windows' retained energies with their weights. Not a KLL merge, which would compact, lose a
     * little accuracy, and draw random bits: the same sketch always gives the same table.
     */
    public Optional<EnergyPercentiles> percentiles() {
        if (records() == 0) {
            return Optional.empty();
        }
        Weighted a = Weighted.of(current);
        Weighted b = previous == null ? Weighted.of(null) : Weighted.of(previous);
        float[] energies = new float[a.energies.length + b.energies.length];
        long[] cumulative = new long[energies.length];
        int i = 0;
        int j = 0;
        long total = 0;
        for (int k = 0; k < energies.length; k++) {
            if (j == b.energies.length || (i < a.energies.length && a.energies[i] <= b.energies[j])) {
                total += a.weights[i];
                energies[k] = a.energies[i++];
            } else {
                total += b.weights[j];
                energies[k] = b.energies[j++];
            }
            cumulative[k] = total;
        }
        return Optional.of(EnergyPercentiles.of(energies, cumulative));
    }

    /** A window's retained energies in increasing order, with the records each stands for. */
    private record Weighted(float[] energies, long[] weights) {

        /**
         * From a sketch's sorted view, without the entries of weight 0 (the view adds the minimum
         * and maximum that way when it no longer retains them; they do not change a rank).
         */
        static Weighted of(KllFloatsSketch sketch) {
            if (sketch == null || sketch.isEmpty()) {
                return new Weighted(new float[0], new long[0]);
            }
            FloatsSortedView view = sketch.getSortedView();
            float[] q = view.getQuantiles();
            long[] c = view.getCumulativeWeights();
            float[] energies = new float[q.length];
            long[] weights = new long[q.length];
            int n = 0;
            for (int i = 0; i < q.length; i++) {
                long w = c[i] - (i == 0 ? 0 : c[i - 1]);
                if (w > 0) {
                    energies[n] = q[i];
                    weights[n++] = w;
                }
            }
            return new Weighted(java.util.Arrays.copyOf(energies, n), java.util.Arrays.copyOf(weights, n));
        }
    }

    /**
     * The state of both windows, for the trainer's checkpoint: a restarted trainer then ranks
     * against the energies it saw before the restart instead of an empty sketch.
     *
     * <pre>
     *   format int8 1, windowRecords int64, then the previous and the current window, each as
     *   length int32 and KLL's own serialisation (length 0: no previous window yet)
     * </pre>
     */
    public byte[] toBytes() {
        byte[] p = previous == null ? new byte[0] : previous.toByteArray();
        byte[] c = current.toByteArray();
        return ByteBuffer.allocate(1 + 8 + 4 + p.length + 4 + c.length).order(ByteOrder.LITTLE_ENDIAN)
                .put(FORMAT).putLong(windowRecords).putInt(p.length).put(p).putInt(c.length).put(c).array();
    }

    /**
     * Restores a sketch written by {@link #toBytes()} that goes on with {@code windowRecords} per
     * window (the configuration may have changed since). Meant for the trainer's own checkpoint,
     * whose digest has been checked; the KLL bytes are handed to the library as they are.
     *
     * @throws IOException when the bytes are not such a sketch
     */
    public static EnergySketch fromBytes(byte[] bytes, long windowRecords) throws IOException {
        EnergySketch s = new EnergySketch(windowRecords);
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            if (in.get() != FORMAT) {
                throw new IOException("unknown energy sketch format " + bytes[0]);
            }
            in.getLong(); // the window size it was written with; windowRecords replaces it
            byte[] p = window(in);
            byte[] c = window(in);
            if (in.hasRemaining()) {
                throw new IOException(in.remaining() + " unexpected bytes after the energy sketch");
            }
            s.previous = p.length == 0 ? null : KllFloatsSketch.heapify(Memory.wrap(p));
            s.current = KllFloatsSketch.heapify(Memory.wrap(c));
            return s;
        } catch (BufferUnderflowException e) {
            throw new IOException("energy sketch ends early (" + bytes.length + " bytes)");
        } catch (RuntimeException e) {
            throw new IOException("energy sketch unreadable: " + e.getMessage(), e);
        }
    }

    private static byte[] window(ByteBuffer in) throws IOException {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new IOException("an energy sketch window declares " + n + " bytes, " + in.remaining() + " remain");
        }
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }
}
