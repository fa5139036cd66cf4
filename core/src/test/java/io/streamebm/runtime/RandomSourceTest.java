package io.streamebm.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RandomSourceTest {

    @Test
    void zigguratNormalsHaveTheRightMomentsAndTails() {
        RandomSource r = new RandomSource(123);
        int n = 2_000_000;
        double s1 = 0;
        double s2 = 0;
        double s4 = 0;
        long beyond2 = 0;
        long beyond35 = 0;
        for (int i = 0; i < n; i++) {
            double x = r.nextGaussian();
            s1 += x;
            s2 += x * x;
            s4 += x * x * x * x;
            if (Math.abs(x) > 2) {
                beyond2++;
            }
            if (Math.abs(x) > 3.5) {
                beyond35++;
            }
        }
        assertEquals(0.0, s1 / n, 0.004);
        assertEquals(1.0, s2 / n, 0.005);
        assertEquals(3.0, s4 / n, 0.03);
        // P(|X| > 2) = 0.0455, P(|X| > 3.5) = 4.65e-4 (the latter exercises the tail beyond R = 3.44).
        assertEquals(0.0455, (double) beyond2 / n, 0.001);
        assertEquals(4.65e-4, (double) beyond35 / n, 0.6e-4);
    }

    @Test
    void bulkFloatNormalsHaveTheRightMomentsAndTails() {
        RandomSource r = new RandomSource(77);
        float[] buf = new float[100_001];
        double s1 = 0;
        double s2 = 0;
        double s4 = 0;
        long beyond35 = 0;
        long n = 0;
        for (int rep = 0; rep < 20; rep++) {
            r.fillGaussian(buf, 0, buf.length, 1.0);
            for (float x : buf) {
                s1 += x;
                s2 += x * x;
                s4 += (double) x * x * x * x;
                if (Math.abs(x) > 3.5) {
                    beyond35++;
                }
                n++;
            }
        }
        assertEquals(0.0, s1 / n, 0.004);
        assertEquals(1.0, s2 / n, 0.005);
        assertEquals(3.0, s4 / n, 0.03);
        assertEquals(4.65e-4, (double) beyond35 / n, 0.6e-4);
        // Scaling, sub-ranges and determinism.
        float[] a = new float[11];
        float[] b = new float[11];
        new RandomSource(5).fillGaussian(a, 1, 10, 2.0);
        new RandomSource(5).fillGaussian(b, 1, 10, 1.0);
        assertEquals(0f, a[0], 0f);
        assertEquals(0f, a[10], 0f);
        for (int i = 1; i < 10; i++) {
            assertEquals(2 * b[i], a[i], 1e-6f);
        }
    }

    @Test
    void stateRestoresExactly() {
        RandomSource a = new RandomSource(5);
        for (int i = 0; i < 17; i++) {
            a.nextGaussian();
        }
        long[] state = a.state();
        double[] expected = new double[100];
        for (int i = 0; i < 100; i++) {
            expected[i] = a.nextGaussian();
        }
        RandomSource b = RandomSource.fromState(state);
        double[] actual = new double[100];
        for (int i = 0; i < 100; i++) {
            actual[i] = b.nextGaussian();
        }
        assertArrayEquals(expected, actual, 0.0);
    }
}
