package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.streamebm.pipeline.checkpoint.FileCheckpointStore;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.train.EbmLearner;
import io.streamebm.pipeline.train.InputBatch;
import io.streamebm.pipeline.train.OnlineTrainer;
import io.streamebm.pipeline.train.TrainerListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/** A checkpoint written with lower-case settings is resumed by a configuration that spells them otherwise. */
class TypedCheckpointShapeTest {

    @TempDir
    Path dir;

    private PipelineConfig config(String type, String activation, String loss) {
        Map<String, String> m = new HashMap<>(Map.of("model.hidden", "8,8", "loss.chains", "32", "loss.k", "2",
                "batch.max-size", "20", "checkpoint.every-steps", "1", "metrics.port", "0",
                "checkpoint.dir", dir.toString()));
        m.put("model.type", type);
        m.put("model.activation", activation);
        m.put("loss.type", loss);
        return PipelineConfig.parse(Map.of(), m);
    }

    private OnlineTrainer trainer(PipelineConfig c) {
        return new OnlineTrainer(new EbmLearner(c), new FileCheckpointStore(dir, 3, (id, r) -> { }),
                TrainingJob.trainerOptions(c), new TrainerListener() { });
    }

    private static Flux<InputBatch> batches(int count) {
        Random r = new Random(7);
        return Flux.range(0, count).map(b -> {
            List<InputBatch.Sample> s = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                s.add(new InputBatch.Sample("t-0", b * 20L + i, new float[] {(float) r.nextGaussian(), (float) r.nextGaussian()}));
            }
            return new InputBatch(s, Map.of("t-0", (b + 1) * 20L), () -> { });
        });
    }

    @Test
    void upperCaseSettingsResumeALowerCaseCheckpoint() {
        try (OnlineTrainer t = trainer(config("mlp", "silu", "pcd"))) {
            t.train(batches(2)).blockLast();
        }
        try (OnlineTrainer t = trainer(config("MLP", "SiLU", "PCD"))) {
            assertEquals(Map.of("t-0", 40L), t.restore(), "resumed, not refused as another model");
            assertEquals(2, t.step());
        }
    }
}
