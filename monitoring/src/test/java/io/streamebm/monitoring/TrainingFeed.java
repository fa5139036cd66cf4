package io.streamebm.monitoring;

import io.streamebm.connectors.codec.DecodeReason;
import io.streamebm.telemetry.LossDiagnostics;
import io.streamebm.telemetry.StepRecord;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Stands in for the trainer, which does not exist yet: a background thread that drives
 * {@link TrainingMetrics} the way an online PCD trainer on eight Gaussians would (records
 * consumed in micro-batches, a loss that settles, energies whose gap oscillates around zero,
 * shrinking gradients, rejected and dead-lettered records, checkpoints, snapshots, one
 * divergence with a rolled-back update, a model-quality measurement every 10 steps).
 */
final class TrainingFeed implements AutoCloseable {

    private static final int BATCH = 64;

    private final TrainingMetrics metrics;
    private final Thread thread;
    private final AtomicLong steps = new AtomicLong();
    private volatile boolean running = true;

    TrainingFeed(TrainingMetrics metrics) {
        this.metrics = metrics;
        // As the trainer does at start-up: the closed sets of reasons and reactions, at zero.
        metrics.declareRecordReasons(DecodeReason.tags());
        metrics.declareDivergenceReactions(List.of("lower-lr", "reinit-chains", "both", "none"));
        this.thread = new Thread(this::run, "training-feed");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    long steps() {
        return steps.get();
    }

    private void run() {
        SplittableRandom rnd = new SplittableRandom(42);
        long step = 0;
        long version = 0;
        long offset = 0;
        while (running) {
            metrics.onRecordsConsumed(BATCH + 2);
            // Two bad records per batch: one refused by validation, both sent to the DLQ.
            String wrongDimension = DecodeReason.WRONG_DIMENSION.tag();
            String malformed = DecodeReason.MALFORMED_JSON.tag();
            metrics.onRecordRejected(rnd.nextBoolean() ? wrongDimension : malformed);
            metrics.onRecordDeadLettered(wrongDimension);
            metrics.onRecordDeadLettered(malformed);
            offset += BATCH + 2;
            boolean diverge = step % 40 == 25;
            double t = step + 1;
            double loss = diverge ? Double.NaN : 2.0 / Math.sqrt(t) + 0.05 * rnd.nextGaussian();
            double ePos = -1.0 + 0.1 * rnd.nextGaussian();
            double eNeg = ePos - 0.2 * rnd.nextGaussian() / Math.sqrt(t);
            Duration took = Duration.ofNanos(1_000L * (2_000 + rnd.nextInt(6_000)));
            double gradNorm = diverge ? Double.POSITIVE_INFINITY : 3.0 / Math.sqrt(t) + 0.1 * rnd.nextDouble();
            double paramNorm = 5.0 - 4.0 / Math.sqrt(t);
            LossDiagnostics d = new LossDiagnostics(ePos, eNeg, 0.55 + 0.1 * rnd.nextDouble(),
                    ePos + 0.3 * rnd.nextGaussian(), took.multipliedBy(6).dividedBy(10).toNanos());
            StepRecord r = new StepRecord(diverge ? step : step + 1, BATCH, loss, gradNorm, paramNorm, d, took,
                    diverge ? StepRecord.Outcome.ROLLED_BACK : StepRecord.Outcome.APPLIED,
                    Map.of("ebm.samples-0", offset));
            metrics.onStep(r);
            if (step % 10 == 0) {
                // A quality probe every 10 steps: MMD falling from 0.5 towards a noise floor.
                metrics.onModelQuality(0.5 / t + 0.002 * rnd.nextDouble());
            }
            if (diverge) {
                metrics.onDivergence("both");
            } else {
                step++;
                steps.incrementAndGet();
            }
            if (step % 20 == 0) {
                metrics.onCheckpoint(Duration.ofMillis(5 + rnd.nextInt(20)));
                metrics.onModelVersion(++version);
            }
            TestSupport.sleep(10);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5_000);
    }
}
