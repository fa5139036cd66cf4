package io.streamebm.examples;

import io.streamebm.energy.DoubleWellEnergy;
import io.streamebm.runtime.RandomSource;
import io.streamebm.samplers.HamiltonianMonteCarlo;
import io.streamebm.samplers.LangevinDynamics;
import io.streamebm.samplers.SamplingTrace;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Samples the 2-D double well E(x) = 2·Σ(xᵢ² − 1)² with Langevin dynamics and with HMC, starting
 * every chain in one corner well, and prints what the chains found: the mean, the variance, the
 * fraction of the mass in each of the four wells (about 25% each when the chains have mixed) and,
 * for HMC, the acceptance rate.
 *
 * <p>Run: {@code java -cp core.jar:… io.streamebm.examples.SampleDoubleWell [chains] [steps] [seed]}.
 */
public final class SampleDoubleWell {

    private SampleDoubleWell() {
    }

    /**
     * @param args optional: number of chains (default 2000), steps (default 5000), seed (default 1)
     */
    public static void main(String[] args) {
        int chains = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 1L;
        DoubleWellEnergy energy = new DoubleWellEnergy();
        // Start every chain in the (−1, −1) well so that the result shows real barrier crossings.
        INDArray start = Nd4j.zeros(DataType.FLOAT, chains, 2).subi(1.0);

        long t0 = System.nanoTime();
        LangevinDynamics langevin = new LangevinDynamics(energy, 0.01).withSeed(seed);
        INDArray x = langevin.sample(start, steps);
        double ms = (System.nanoTime() - t0) / 1e6;
        report("Langevin (η = 0.01, " + steps + " steps, " + chains + " chains, " + String.format("%.0f ms", ms) + ")",
                x, Double.NaN);

        t0 = System.nanoTime();
        HamiltonianMonteCarlo hmc = new HamiltonianMonteCarlo(energy, 0.1, 10, null, new RandomSource(seed));
        int hmcSteps = Math.max(1, steps / 10);
        SamplingTrace trace = hmc.run(start.castTo(DataType.DOUBLE), hmcSteps, Math.max(1, hmcSteps / 5));
        ms = (System.nanoTime() - t0) / 1e6;
        report("HMC (ε = 0.1, L = 10, " + hmcSteps + " steps, " + String.format("%.0f ms", ms) + ")",
                trace.finalChains(), hmc.lastAcceptanceRate());
        System.out.println("HMC mean energy at recorded steps: " + java.util.Arrays.toString(
                java.util.Arrays.stream(trace.meanEnergy()).map(v -> Math.round(v * 1000) / 1000.0).toArray()));
    }

    private static void report(String title, INDArray x, double acceptance) {
        int n = (int) x.size(0);
        double[] mean = x.mean(0).castTo(DataType.DOUBLE).toDoubleVector();
        double[] var = x.var(false, 0).castTo(DataType.DOUBLE).toDoubleVector();
        int[] wells = new int[4];
        for (int i = 0; i < n; i++) {
            int w = (x.getDouble(i, 0) > 0 ? 1 : 0) + (x.getDouble(i, 1) > 0 ? 2 : 0);
            wells[w]++;
        }
        System.out.println(title);
        System.out.printf("  mean     (%.3f, %.3f)%n", mean[0], mean[1]);
        System.out.printf("  variance (%.3f, %.3f)%n", var[0], var[1]);
        System.out.printf("  wells    (−,−) %.1f%%  (+,−) %.1f%%  (−,+) %.1f%%  (+,+) %.1f%%%n",
                100.0 * wells[0] / n, 100.0 * wells[1] / n, 100.0 * wells[2] / n, 100.0 * wells[3] / n);
        System.out.printf("  x₁ > 0   %.1f%%%n", 100.0 * (wells[1] + wells[3]) / n);
        if (!Double.isNaN(acceptance)) {
            System.out.printf("  acceptance rate %.3f%n", acceptance);
        }
    }
}
