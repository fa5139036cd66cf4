package io.streamebm.pipeline.app;

import io.streamebm.connectors.codec.SampleDecoder;
import io.streamebm.pipeline.config.PipelineConfig;
import java.util.Map;

/** Opens {@link KafkaParts}' package-private translations to tests of other packages. */
public final class KafkaPartsAccess {

    private KafkaPartsAccess() {
    }

    /** The decoder a configuration asks for. */
    public static SampleDecoder decoder(PipelineConfig c) {
        return KafkaParts.decoder(c);
    }

    /** The consumer properties a configuration gives a client named {@code clientId}. */
    public static Map<String, Object> consumerProperties(PipelineConfig c, String clientId) {
        return KafkaParts.consumerProperties(c, clientId);
    }
}
