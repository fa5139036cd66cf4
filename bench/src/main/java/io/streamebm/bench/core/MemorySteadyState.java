package io.streamebm.bench.core;

import io.streamebm.energy.GaussianEnergy;
import io.streamebm.runtime.RandomSource;
import io.streamebm.energy.mlp.MlpEnergy;
import io.streamebm.samplers.LangevinDynamics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Long-run memory check of the samplers: runs Langevin on the 2-D Gaussian (10,000 chains, 1,000
 * steps per call) and on the 2→128→128→1 MLP (256 chains, 1 step per call) for a given time, and
 * prints the resident set size, the JVM heap (used and committed) and the off-heap bytes that
 * JavaCPP tracks for ND4J every few seconds. A steady off-heap total and an RSS that stops growing
 * once the heap has reached its working size mean that nothing leaks per step.
 *
 * <p>Run: {@code OMP_NUM_THREADS=1 java -Xmx1g -cp benchmarks.jar
 * io.streamebm.bench.core.MemorySteadyState [seconds per workload]}.
 */
public final class MemorySteadyState {

    private MemorySteadyState() {
    }

    /** @param args optional: seconds per workload (default 60) */
    public static void main(String[] args) throws IOException {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        GaussianEnergy g2 = new GaussianEnergy(Nd4j.zeros(DataType.FLOAT, 2), Nd4j.eye(2).castTo(DataType.FLOAT));
        LangevinDynamics gaussian = new LangevinDynamics(g2, 0.01).withSeed(1);
        INDArray chains = new RandomSource(2).gaussian(DataType.FLOAT, 10_000, 2);
        run("gaussian-2d 10k chains x 1000 steps/call", seconds, () -> gaussian.advance(chains, 1000));
        LangevinDynamics mlp = new LangevinDynamics(MlpEnergy.builder().build(), 0.01).withSeed(3);
        INDArray mlpChains = new RandomSource(4).gaussian(DataType.FLOAT, 256, 2);
        run("mlp 2-128-128-1 256 chains x 1 step/call", seconds, () -> mlp.advance(mlpChains, 1));
    }

    private static void run(String name, int seconds, Runnable call) throws IOException {
        System.out.println(name);
        System.out.println("  t[s]    calls   RSS[MB]  heapUsed[MB]  heapCommitted[MB]  nd4jOffHeap[MB]");
        long start = System.nanoTime();
        long nextReport = 0;
        long calls = 0;
        long peakRss = 0;
        while (true) {
            call.run();
            calls++;
            long elapsed = System.nanoTime() - start;
            if (elapsed >= nextReport) {
                long rss = rssKb();
                peakRss = Math.max(peakRss, rss);
                Runtime rt = Runtime.getRuntime();
                System.out.printf("  %5.1f %8d %9.1f %12.1f %18.1f %16.1f%n", elapsed / 1e9, calls, rss / 1024.0,
                        (rt.totalMemory() - rt.freeMemory()) / 1048576.0, rt.totalMemory() / 1048576.0,
                        org.bytedeco.javacpp.Pointer.totalBytes() / 1048576.0);
                nextReport += 5_000_000_000L;
            }
            if (elapsed > seconds * 1_000_000_000L) {
                break;
            }
        }
        System.out.printf("  peak RSS %.1f MB over %d calls%n", peakRss / 1024.0, calls);
    }

    private static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
