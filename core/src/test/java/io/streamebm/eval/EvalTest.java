package io.streamebm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.energy.GaussianEnergy;
import io.streamebm.runtime.RandomSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Evaluation metrics against quantities known in closed form. */
class EvalTest {

    static double logNormal2(double x, double y, double mx, double my, double s) {
        return -((x - mx) * (x - mx) + (y - my) * (y - my)) / (2 * s * s) - Math.log(2 * Math.PI * s * s);
    }

    @Test
    void gridDensityOfAnEnergyMatchesTheAnalyticDensity() {
        GaussianEnergy g = new GaussianEnergy(Nd4j.createFromArray(0.5, -0.5), Nd4j.eye(2).mul(0.25));
        GridDensity model = GridDensity.ofEnergy(g, -4, 4, -4, 4, 80);
        GridDensity ref = GridDensity.ofLogDensity((x, y) -> logNormal2(x, y, 0.5, -0.5, 0.5), -4, 4, -4, 4, 80);
        assertTrue(model.totalVariation(ref) < 1e-6, "TV " + model.totalVariation(ref));
        assertTrue(model.klDivergence(ref) < 1e-9);
        // Normalised: mass sums to one, density integrates to one, and peaks at 1/(2πσ²).
        double total = 0;
        double peak = 0;
        for (double[] row : model.density()) {
            for (double v : row) {
                total += v * model.cellArea();
                peak = Math.max(peak, v);
            }
        }
        assertEquals(1.0, total, 1e-9);
        assertEquals(1 / (2 * Math.PI * 0.25), peak, 0.05);
    }

    @Test
    void klAndTotalVariationOfShiftedGaussians() {
        // KL(N(a, I) ‖ N(b, I)) = ½‖a − b‖²; TV of unit-variance Gaussians shifted by δ = 2Φ(δ/2) − 1.
        GridDensity p = GridDensity.ofLogDensity((x, y) -> logNormal2(x, y, 0, 0, 1), -8, 9, -8, 8, 200);
        GridDensity q = GridDensity.ofLogDensity((x, y) -> logNormal2(x, y, 1, 0, 1), -8, 9, -8, 8, 200);
        assertEquals(0.5, p.klDivergence(q), 1e-3);
        assertEquals(0.3829249, p.totalVariation(q), 2e-3);
        assertEquals(0.0, p.totalVariation(p), 0);
        assertThrows(IllegalArgumentException.class,
                () -> p.totalVariation(GridDensity.ofLogDensity((x, y) -> 0, -1, 1, -1, 1, 10)));
    }

    static INDArray normals(long seed, int n, double shift) {
        return new RandomSource(seed).gaussian(DataType.DOUBLE, n, 2).addi(shift);
    }

    @Test
    void mmdSeparatesDistributions() {
        double same = Mmd.mmd2(normals(1, 400, 0), normals(2, 400, 0));
        double shifted = Mmd.mmd2(normals(1, 400, 0), normals(3, 400, 1.0));
        assertTrue(Math.abs(same) < 0.01, "same " + same);
        assertTrue(shifted > 0.1, "shifted " + shifted);
        // Median heuristic on standard normals in 2-D: median distance of N(0, 2I) ≈ √(2·2 ln 2).
        assertEquals(Math.sqrt(4 * Math.log(2)), Mmd.medianBandwidth(normals(4, 300, 0), normals(5, 300, 0)), 0.1);
    }

    @Test
    void gaussianNllMatchesTheFormula() {
        INDArray x = Nd4j.createFromArray(new double[][] {{1, -1}, {0, 0}});
        double[][] cov = {{1, 0.5}, {0.5, 2}};
        double det = 1.75;
        // (x−μ)ᵀΣ⁻¹(x−μ) with μ = (1, −1): 0 for the first point, [1, −1]Σ⁻¹[−1, 1]ᵀ... computed by hand:
        // Σ⁻¹ = [[2, −0.5], [−0.5, 1]] / 1.75; d = (−1, 1): dᵀΣ⁻¹d = (2 + 1 + 1) / 1.75.
        double q = 4 / 1.75;
        double expected = 0.5 * (0 + Math.log(det) + 2 * Math.log(2 * Math.PI))
                + 0.5 * (q + Math.log(det) + 2 * Math.log(2 * Math.PI));
        assertEquals(expected / 2, GaussianNll.mean(x, new double[] {1, -1}, cov), 1e-12);
        assertThrows(IllegalArgumentException.class,
                () -> GaussianNll.mean(x, new double[] {0, 0}, new double[][] {{1, 2}, {2, 1}}));
    }

    static double[][] ar1(long seed, int chains, int n, double phi, double[] offsets) {
        RandomSource r = new RandomSource(seed);
        double[][] out = new double[chains][n];
        double s = Math.sqrt(1 - phi * phi);
        for (int c = 0; c < chains; c++) {
            double x = r.nextGaussian();
            for (int i = 0; i < n; i++) {
                x = phi * x + s * r.nextGaussian();
                out[c][i] = x + offsets[c];
            }
        }
        return out;
    }

    @Test
    void effectiveSampleSizeOfIndependentAndAutocorrelatedChains() {
        double[] zero = new double[4];
        double iid = ChainDiagnostics.effectiveSampleSize(ar1(7, 4, 2000, 0.0, zero));
        assertEquals(8000, iid, 8000 * 0.15);
        // AR(1): τ = (1 + φ)/(1 − φ) = 19 for φ = 0.9.
        double ar = ChainDiagnostics.effectiveSampleSize(ar1(8, 4, 5000, 0.9, zero));
        assertEquals(20000 / 19.0, ar, 20000 / 19.0 * 0.25);
    }

    @Test
    void splitRHatFlagsChainsThatDisagree() {
        double mixed = ChainDiagnostics.splitRHat(ar1(9, 4, 1000, 0.5, new double[4]));
        assertTrue(mixed < 1.01, "mixed " + mixed);
        double stuck = ChainDiagnostics.splitRHat(ar1(10, 4, 1000, 0.5, new double[] {0, 0, 2, 2}));
        assertTrue(stuck > 1.1, "stuck " + stuck);
        assertThrows(IllegalArgumentException.class, () -> ChainDiagnostics.splitRHat(new double[][] {{1, 2}}));
    }
}
