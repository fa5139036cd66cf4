package io.streamebm.bench.core;

import io.streamebm.datasets.Datasets;
import io.streamebm.optim.TrainingStep;
import io.streamebm.telemetry.StepRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Step time percentiles and peak memory of the {@link LossTrainingStepBench} workloads, run one
 * after another in one JVM for a fixed time each: after each loss it prints the median and p90
 * step time, the median sampling time, the peak resident set size so far (VmHWM) and the current
 * RSS, and the peak JVM heap used. JMH gives the averages; this gives the tails and the memory.
 *
 * <p>Run: {@code OMP_NUM_THREADS=1 java -Xmx1g -cp bench/target/benchmarks.jar
 * io.streamebm.bench.core.TrainingMemoryBench [seconds per loss] [losses...]}.
 */
public final class TrainingMemoryBench {

    private TrainingMemoryBench() {
    }

    /** @param args optional: seconds per loss (default 20), then loss names (default all) */
    public static void main(String[] args) throws IOException {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        List<String> losses = args.length > 1 ? Arrays.asList(args).subList(1, args.length)
                : List.of("cd", "pcd", "dsm", "sm", "ssm", "nce");
        var data = Datasets.eightGaussians(2, 0.1, 7);
        List<INDArray> batches = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            batches.add(data.nextBatch(256));
        }
        Runtime rt = Runtime.getRuntime();
        System.out.printf("%-4s %8s %8s %8s %8s %10s %10s %10s%n", "loss", "steps", "p50 ms", "p90 ms",
                "smp p50", "VmHWM MB", "VmRSS MB", "heap MB");
        for (String name : losses) {
            TrainingStep step = LossTrainingStepBench.trainingStep(name);
            List<Double> times = new ArrayList<>();
            List<Double> sampling = new ArrayList<>();
            long peakHeap = 0;
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            int i = 0;
            while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                StepRecord r = step.run(batches.get(i++ & 15));
                times.add((System.nanoTime() - t0) / 1e6);
                sampling.add(r.diagnostics().samplingNanos() / 1e6);
                if ((i & 63) == 0) {
                    peakHeap = Math.max(peakHeap, rt.totalMemory() - rt.freeMemory());
                }
            }
            // Drop the first fifth as warm-up.
            List<Double> warm = new ArrayList<>(times.subList(times.size() / 5, times.size()));
            List<Double> warmS = new ArrayList<>(sampling.subList(sampling.size() / 5, sampling.size()));
            warm.sort(null);
            warmS.sort(null);
            System.out.printf("%-4s %8d %8.3f %8.3f %8.3f %10.1f %10.1f %10.1f%n", name, times.size(),
                    warm.get(warm.size() / 2), warm.get(warm.size() * 9 / 10), warmS.get(warmS.size() / 2),
                    status("VmHWM") / 1024.0, status("VmRSS") / 1024.0, peakHeap / 1048576.0);
        }
    }

    /** A kB field of /proc/self/status, or −1 off Linux. */
    private static long status(String field) throws IOException {
        Path p = Path.of("/proc/self/status");
        if (!Files.exists(p)) {
            return -1;
        }
        for (String line : Files.readAllLines(p)) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
