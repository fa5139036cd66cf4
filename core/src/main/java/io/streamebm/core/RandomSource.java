package io.streamebm.core;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The seedable source of all randomness in {@code core}: samplers, losses, datasets and
 * initialisers take one, so the same seed gives the same run.
 *
 * <p>It is xoshiro256++ with Marsaglia's polar method for normals, written in Java rather than
 * ND4J's native generator because its whole state is four longs and a cached normal: it can be
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

    /** Standard normal. */
    public double nextGaussian() {
        if (haveSpare) {
            haveSpare = false;
            return spare;
        }
        double u;
        double v;
        double s;
        do {
            u = 2 * nextDouble() - 1;
            v = 2 * nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double f = Math.sqrt(-2 * Math.log(s) / s);
        spare = v * f;
        haveSpare = true;
        return u * f;
    }

    /** Fills {@code out} with standard normals scaled by {@code scale}. */
    public void fillGaussian(float[] out, int from, int to, double scale) {
        for (int i = from; i < to; i++) {
            out[i] = (float) (scale * nextGaussian());
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
            for (int i = 0; i < n; i++) {
                fb.put(i, (float) nextGaussian());
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
