package io.streamebm.pipeline.drift;

import io.streamebm.datasets.DatasetStream;

/**
 * A fixed energy model of the eight-Gaussians stream the demo trains on (radius 2, std 0.1), as a
 * well-trained model would see it: E(x) = −log(0.99 p(x) + 0.01 u), with p the true mixture density
 * and u a uniform floor over [−4.5, 4.5]², so that far points get a high but bounded energy, as a
 * learned network gives them (about 9, against about 0.3 on the data). Checkerboard records then
 * shift the mean energy by what a switch between the two streams shows a trained model.
 */
final class FixedModel {

    private static final double STD = 0.1;
    private static final double[][] CENTRES;

    static {
        double r = Math.sqrt(2);
        CENTRES = new double[][] {{2, 0}, {-2, 0}, {0, 2}, {0, -2}, {r, r}, {r, -r}, {-r, r}, {-r, -r}};
    }

    private FixedModel() {
    }

    /** The energy of one point. */
    static double energy(float[] x) {
        double p = 0;
        for (double[] c : CENTRES) {
            double dx = x[0] - c[0];
            double dy = x[1] - c[1];
            p += Math.exp(-(dx * dx + dy * dy) / (2 * STD * STD));
        }
        p /= 8 * 2 * Math.PI * STD * STD;
        return -Math.log(0.99 * p + 0.01 / 81);
    }

    /** The energies of the next {@code n} records of a stream. */
    static double[] energies(DatasetStream stream, int n) {
        double[] e = new double[n];
        for (int i = 0; i < n; i++) {
            e[i] = energy(stream.next());
        }
        return e;
    }
}
