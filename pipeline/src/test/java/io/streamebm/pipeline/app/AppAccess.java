package io.streamebm.pipeline.app;

import io.streamebm.connectors.codec.SampleDecoder;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.train.TrainerOptions;
import java.util.Map;

/** Opens the package-private translations of {@link KafkaParts} and {@link TrainingJob} to tests of other packages. */
public final class AppAccess {

    private AppAccess() {
    }

    /** The decoder a configuration asks for. */
    public static SampleDecoder decoder(PipelineConfig c) {
        return KafkaParts.decoder(c);
    }

    /** The trainer options a configuration implies. */
    public static TrainerOptions trainerOptions(PipelineConfig c) {
        return TrainingJob.trainerOptions(c);
    }

    /** The consumer properties a configuration gives a client named {@code clientId}. */
    public static Map<String, Object> consumerProperties(PipelineConfig c, String clientId) {
        return KafkaParts.consumerProperties(c, clientId);
    }
}
