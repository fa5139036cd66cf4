package io.streamebm.bench.pipeline;

import io.streamebm.bench.HarnessArgs;
import io.streamebm.datasets.DatasetStream;
import io.streamebm.datasets.Datasets;
import io.streamebm.pipeline.checkpoint.FileCheckpointStore;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.drift.Drift;
import io.streamebm.pipeline.drift.DriftOptions;
import io.streamebm.pipeline.drift.DriftReaction;
import io.streamebm.pipeline.train.EbmLearner;
import io.streamebm.pipeline.train.InputBatch;
import io.streamebm.pipeline.train.OnlineTrainer;
import io.streamebm.pipeline.train.TrainerListener;
import io.streamebm.pipeline.train.TrainerOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;

/**
 * False drifts of the real trainer on a stationary stream, without Kafka: {@link OnlineTrainer}
 * with {@code drift.enabled} (reaction none) trains the {@code train} defaults (any key can be
 * overridden) on eight Gaussians (std 0.1) in micro-batches of the given size, and prints every
 * drift it reports; with {@code switch-at=<record>} the stream turns into the checkerboard at that
 * record, and the drift it reports then is the one to find. {@code TrainerDriftTest} checks the
 * same through the broker with the light model at batches of 256; this runs other seeds, models,
 * losses and batch sizes in less time.
 *
 * <p>Run: {@code OMP_NUM_THREADS=1 java -cp bench/target/benchmarks.jar
 * io.streamebm.bench.pipeline.TrainerDriftHarness [records, default 2000000] [batch, default 256]
 * [seed, default 1] [key=value]...}.
 */
public final class TrainerDriftHarness {

    /** The harness's own key: the record at which the stream switches to the checkerboard. */
    private static final String SWITCH_AT = "switch-at";

    private TrainerDriftHarness() {
    }

    /** Trains and prints each drift and a summary line. */
    public static void main(String[] args) throws IOException {
        long records = args.length > 0 ? Long.parseLong(args[0]) : 2_000_000;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 1;
        Map<String, String> settings = HarnessArgs.overrides(args, 3);
        String switchAt = settings.remove(SWITCH_AT);
        long switchRecord = switchAt == null ? Long.MAX_VALUE : Long.parseLong(switchAt);
        settings.put("seed", Long.toString(seed));
        settings.put("drift.enabled", "true");
        settings.putIfAbsent("drift.reaction", "none");
        PipelineConfig config = PipelineConfig.parse(Map.of(), settings);
        TrainerOptions options = TrainerOptions.builder()
                .maxBatchSize(batch)
                .maxWait(Duration.ofSeconds(10))
                .checkpointEverySteps(1_000_000)
                .checkpointInterval(Duration.ofHours(1))
                .snapshotEverySteps(1_000_000)
                .drift(DriftOptions.fromConfig(config))
                .build();
        DatasetStream before = Datasets.eightGaussians(2.0, 0.1, seed);
        DatasetStream after = Datasets.checkerboard(4.0, seed + 1);
        List<String> drifts = new ArrayList<>();
        TrainerListener listener = new TrainerListener() {
            @Override
            public void drifted(long step, long recordsSeen, Drift drift, String detector, DriftReaction reaction) {
                String line = String.format(Locale.ROOT, "drift at step %d, record %d: change %.3f", step, recordsSeen,
                        drift.change());
                drifts.add(line);
                System.out.println(line);
            }
        };
        Path dir = Files.createTempDirectory("trainer-drift");
        AtomicLong position = new AtomicLong();
        Flux<InputBatch> input = Flux.range(0, (int) ((records + batch - 1) / batch)).map(b -> {
            List<InputBatch.Sample> samples = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                long at = position.getAndIncrement();
                samples.add(new InputBatch.Sample("t-0", at, at < switchRecord ? before.next() : after.next()));
            }
            return new InputBatch(samples, Map.of("t-0", position.get()), () -> { });
        });
        long t0 = System.nanoTime();
        try (OnlineTrainer trainer = new OnlineTrainer(new EbmLearner(config), new FileCheckpointStore(dir, 1, (id, r) -> { }),
                options, listener)) {
            trainer.train(input).blockLast();
            System.out.printf(Locale.ROOT, "records %d, batch %d, seed %d, %s: %d drifts in %.0f s%n",
                    trainer.recordsSeen(), batch, seed, settings, drifts.size(), (System.nanoTime() - t0) / 1e9);
        }
    }
}
