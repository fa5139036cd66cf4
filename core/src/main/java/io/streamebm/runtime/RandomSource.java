package io.streamebm.runtime;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The seedable source of all randomness in {@code core}: samplers, losses, datasets and
 * initialisers take one, so the same seed gives the same run.
 *
 * <p>It is xoshiro256++ with the Ziggurat method for normals, written in Java rather than
 * ND4J's native generator because its whole state is four longs (plus a cached normal kept for
 * states exported by older versions, which used the polar method): it can be
 * exported into a checkpoint and restored exactly with {@link #state()} and {@link #restore}.
 * Not thread-safe: give each thread its own source, for instance with {@link #fork()}.
 */
public final class RandomSource {

    private long s0;
    private long s1;
    private long s2;
    private long s3;
    private boolean haveSpare;
    private double spare;

    /** A source seeded with {@code seed}; equal seeds give equal streams. */
    public RandomSource(long seed) {
        long x = seed;
        s0 = splitMix(x += 0x9E3779B97F4A7C15L);
        s1 = splitMix(x += 0x9E3779B97F4A7C15L);
        s2 = splitMix(x += 0x9E3779B97F4A7C15L);
        s3 = splitMix(x + 0x9E3779B97F4A7C15L);
    }

    private RandomSource(long[] state) {
        restore(state);
    }

    private static long splitMix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The next 64 uniformly random bits. */
    public long nextLong() {
        long result = Long.rotateLeft(s0 + s3, 23) + s0;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, 1). */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform integer in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        return (int) (((nextLong() >>> 33) * bound) >>> 31);
    }

    // Ziggurat tables (Marsaglia and Tsang 2000, 128 layers). The layer index comes from the low 7
    // bits and the value from the high 32 bits of one 64-bit draw, so the two are independent; the
    // original 32-bit version reused bits for both, which skews the tails.
    private static final int ZIG_LAYERS = 128;
    private static final double ZIG_R = 3.442619855899;
    private static final double ZIG_V = 9.91256303526217e-3;
    private static final long[] ZIG_K = new long[ZIG_LAYERS];
    private static final double[] ZIG_W = new double[ZIG_LAYERS];
    private static final double[] ZIG_F = new double[ZIG_LAYERS];

    static {
        double m1 = 2147483648.0;
        double dn = ZIG_R;
        double tn = dn;
        double q = ZIG_V / Math.exp(-0.5 * dn * dn);
        ZIG_K[0] = (long) ((dn / q) * m1);
        ZIG_K[1] = 0;
        ZIG_W[0] = q / m1;
        ZIG_W[ZIG_LAYERS - 1] = dn / m1;
        ZIG_F[0] = 1.0;
        ZIG_F[ZIG_LAYERS - 1] = Math.exp(-0.5 * dn * dn);
        for (int i = ZIG_LAYERS - 2; i >= 1; i--) {
            dn = Math.sqrt(-2 * Math.log(ZIG_V / dn + Math.exp(-0.5 * dn * dn)));
            ZIG_K[i + 1] = (long) ((dn / tn) * m1);
            tn = dn;
            ZIG_F[i] = Math.exp(-0.5 * dn * dn);
            ZIG_W[i] = dn / m1;
        }
    }

    /**
     * Standard normal, by the Ziggurat method: one 64-bit draw and a table lookup in about 99% of
     * the calls, which is what keeps samplers that draw tens of millions of normals fast.
     */
    public double nextGaussian() {
        if (haveSpare) {
            // Only a state restored from an older polar-method checkpoint carries a spare.
            haveSpare = false;
            return spare;
        }
        long bits = nextLong();
        int iz = (int) bits & (ZIG_LAYERS - 1);
        long hz = (int) (bits >>> 32);
        if (Math.abs(hz) < ZIG_K[iz]) {
            return hz * ZIG_W[iz];
        }
        return gaussianSlowPath(hz, iz);
    }

    private double gaussianSlowPath(long hz, int iz) {
        while (true) {
            double x = hz * ZIG_W[iz];
            if (iz == 0) {
                // The base layer's tail beyond R, sampled exactly (Marsaglia 1964).
                double t;
                double y;
                do {
                    t = -Math.log(1.0 - nextDouble()) / ZIG_R;
                    y = -Math.log(1.0 - nextDouble());
                } while (y + y < t * t);
                return hz > 0 ? ZIG_R + t : -ZIG_R - t;
            }
            if (ZIG_F[iz] + nextDouble() * (ZIG_F[iz - 1] - ZIG_F[iz]) < Math.exp(-0.5 * x * x)) {
                return x;
            }
            long bits = nextLong();
            iz = (int) bits & (ZIG_LAYERS - 1);
            hz = (int) (bits >>> 32);
            if (Math.abs(hz) < ZIG_K[iz]) {
                return hz * ZIG_W[iz];
            }
        }
    }

    /** Standard normal as a float (the same draw as {@link #nextGaussian()}). */
    public float nextGaussianFloat() {
        return (float) nextGaussian();
    }

    // Float Ziggurat: 7 bits pick the layer and 25 signed bits the value, so one 64-bit draw gives
    // two normals. 24 bits of resolution are all a float can hold, and halving the generator calls
    // matters when samplers draw tens of millions of normals per call.
    private static final int[] ZIGF_K = new int[ZIG_LAYERS];
    private static final float[] ZIGF_W = new float[ZIG_LAYERS];

    static {
        double scale = 16777216.0 / 2147483648.0;
        for (int i = 0; i < ZIG_LAYERS; i++) {
            ZIGF_K[i] = (int) (ZIG_K[i] * scale);
            ZIGF_W[i] = (float) (ZIG_W[i] / scale);
        }
    }

    private float floatGaussian(int word) {
        int iz = word & (ZIG_LAYERS - 1);
        int hz = word >> 7;
        if (Math.abs(hz) < ZIGF_K[iz]) {
            return hz * ZIGF_W[iz];
        }
        // Rare (about 1%): finish with the exact double-precision slow path.
        return (float) gaussianSlowPath(hz * 128L, iz);
    }

    /**
     * Fills {@code out[from, to)} with standard normals scaled by {@code scale}, two per 64-bit draw
     * (float resolution). This is the bulk path samplers use; its sequence differs from repeated
     * {@link #nextGaussian()} calls but is equally deterministic for a seed.
     */
    public void fillGaussian(float[] out, int from, int to, double scale) {
        if (haveSpare && from < to) {
            haveSpare = false;
            out[from++] = (float) (scale * spare);
        }
        float sc = (float) scale;
        int i = from;
        for (; i + 1 < to; i += 2) {
            long bits = nextLong();
            out[i] = sc * floatGaussian((int) bits);
            out[i + 1] = sc * floatGaussian((int) (bits >>> 32));
        }
        if (i < to) {
            out[i] = sc * floatGaussian((int) nextLong());
        }
    }

    /** Fills {@code out} with standard normals scaled by {@code scale}. */
    public void fillGaussian(double[] out, int from, int to, double scale) {
        for (int i = from; i < to; i++) {
            out[i] = scale * nextGaussian();
        }
    }

    /** Fills an array (any shape, FLOAT or DOUBLE) with standard normals, in C order. */
    public INDArray fillGaussian(INDArray out) {
        long n = out.length();
        if (out.dataType() == DataType.FLOAT && !out.isView() && out.ordering() == 'c') {
            FloatBuffer fb = out.data().asNioFloat();
            float[] chunk = new float[(int) Math.min(n, 4096)];
            for (int i = 0; i < n; i += chunk.length) {
                int len = (int) Math.min(chunk.length, n - i);
                fillGaussian(chunk, 0, len, 1.0);
                fb.put(i, chunk, 0, len);
            }
            return out;
        }
        if (out.dataType() == DataType.DOUBLE && !out.isView() && out.ordering() == 'c') {
            java.nio.DoubleBuffer db = out.data().asNioDouble();
            for (int i = 0; i < n; i++) {
                db.put(i, nextGaussian());
            }
            return out;
        }
        for (long i = 0; i < n; i++) {
            out.putScalar(i, nextGaussian());
        }
        return out;
    }

    /** Fills an array with uniforms in [lo, hi), in C order. */
    public INDArray fillUniform(INDArray out, double lo, double hi) {
        long n = out.length();
        for (long i = 0; i < n; i++) {
            out.putScalar(i, lo + (hi - lo) * nextDouble());
        }
        return out;
    }

    /** A new {@code [rows, cols]} array of standard normals. */
    public INDArray gaussian(DataType type, long rows, long cols) {
        return fillGaussian(Nd4j.createUninitialized(type, rows, cols));
    }

    /** An independent source derived from this one (advances this one). */
    public RandomSource fork() {
        return new RandomSource(nextLong());
    }

    /** The complete state, for checkpoints: six longs. */
    public long[] state() {
        return new long[] {s0, s1, s2, s3, haveSpare ? 1 : 0, Double.doubleToRawLongBits(spare)};
    }

    /** Restores a state returned by {@link #state()}; the stream then continues exactly. */
    public void restore(long[] state) {
        if (state == null || state.length != 6) {
            throw new IllegalArgumentException("a RandomSource state has 6 longs, got "
                    + (state == null ? "null" : Arrays.toString(state)));
        }
        if ((state[0] | state[1] | state[2] | state[3]) == 0) {
            throw new IllegalArgumentException("an all-zero xoshiro state is invalid");
        }
        s0 = state[0];
        s1 = state[1];
        s2 = state[2];
        s3 = state[3];
        haveSpare = state[4] != 0;
        spare = Double.longBitsToDouble(state[5]);
    }

    /** A source that continues from {@code state}. */
    public static RandomSource fromState(long[] state) {
        return new RandomSource(state);
    }
}
