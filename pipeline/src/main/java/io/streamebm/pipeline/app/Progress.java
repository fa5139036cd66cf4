package io.streamebm.pipeline.app;

import io.streamebm.telemetry.StepRecord;
import java.io.PrintStream;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;

/**
 * Prints one progress line every few seconds: records/s, step, loss, energy gap, consumer lag and
 * the latest model quality (MMD, and grid TV when the stream's density is known).
 */
final class Progress {

    private static final long EVERY_NANOS = 3_000_000_000L;

    private final PrintStream out;
    private final Supplier<Map<TopicPartition, Long>> lag;
    private long lastPrint = System.nanoTime();
    private long recordsSincePrint;
    private final Supplier<java.util.Optional<io.streamebm.pipeline.quality.QualityProbe.Measurement>> quality;
    private StepRecord last;

    Progress(PrintStream out, Supplier<Map<TopicPartition, Long>> lag,
            Supplier<java.util.Optional<io.streamebm.pipeline.quality.QualityProbe.Measurement>> quality) {
        this.out = out;
        this.lag = lag;
        this.quality = quality;
    }

    void onStep(StepRecord r) {
        recordsSincePrint += r.batchSize();
        last = r;
        if (System.nanoTime() - lastPrint >= EVERY_NANOS) {
            print();
        }
    }

    void print() {
        long now = System.nanoTime();
        double seconds = Math.max(1e-9, (now - lastPrint) / 1e9);
        if (last == null) {
            return;
        }
        long totalLag = 0;
        try {
            for (Long l : lag.get().values()) {
                totalLag += l == null ? 0 : Math.max(0, l);
            }
        } catch (RuntimeException e) {
            totalLag = -1;
        }
        StringBuilder q = new StringBuilder();
        quality.get().ifPresent(m -> {
            q.append(String.format(java.util.Locale.ROOT, " | mmd %.4f", m.mmd()));
            if (!Double.isNaN(m.tv())) {
                q.append(String.format(java.util.Locale.ROOT, " | tv %.3f", m.tv()));
            }
        });
        out.printf("records/s %8.0f | step %7d | loss %9.4f | gap %9.4f | lag %s%s%n",
                recordsSincePrint / seconds, last.step(), last.loss(), last.diagnostics().energyGap(),
                totalLag < 0 ? "?" : Long.toString(totalLag), q);
        out.flush();
        lastPrint = now;
        recordsSincePrint = 0;
    }
}
