package io.streamebm.pipeline.app;

import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.drift.Drift;
import io.streamebm.pipeline.drift.DriftEvent;
import io.streamebm.pipeline.drift.DriftOptions;
import io.streamebm.pipeline.drift.DriftReaction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes the trainer's drift events to {@code drift.events-topic} (default
 * {@code <model.name>.events}): one JSON object per drift ({@link DriftEvent#toJson()}), keyed by
 * model name, sent into the open output transaction like dead letters and snapshots, so that a
 * {@code read_committed} reader sees each event once, together with the offsets of the records
 * that revealed it.
 */
final class DriftPublisher {

    private final String topic;
    private final String modelName;

    DriftPublisher(PipelineConfig config) {
        this.topic = DriftOptions.fromConfig(config).eventsTopic();
        this.modelName = config.string("model.name");
    }

    /**
     * Sends the event of a drift the trainer found now into {@code outputs}' transaction.
     *
     * @return the event sent, for the log
     */
    DriftEvent publish(TransactionalOutputs outputs, long step, long recordsSeen, Drift drift, String detector,
            DriftReaction reaction) {
        DriftEvent event = new DriftEvent(modelName, step, recordsSeen, Instant.now(), drift, detector, reaction);
        outputs.send(new ProducerRecord<>(topic, modelName.getBytes(StandardCharsets.UTF_8),
                event.toJson().getBytes(StandardCharsets.UTF_8)));
        return event;
    }
}
