package io.streamebm.connectors;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import io.streamebm.connectors.codec.SampleDecodeException;
import io.streamebm.connectors.codec.SampleDecoder;
import io.streamebm.connectors.dlq.DeadLetterPublisher;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Decodes a {@link ReceiverBatch} into samples and dead-letters the records that fail: use it as
 * {@code receiver.receive().concatMap(stage::decode)}.
 *
 * <p>Each rejected record is written to its dead-letter topic and acknowledged individually once that
 * write is confirmed, so it is never committed before its dead letter is safe. The returned Mono
 * completes after every dead letter of the batch is confirmed and fails if one cannot be written (the
 * stream must not go past a record that is neither trained on nor dead-lettered).
 */
public final class DecodingStage {

    private final SampleDecoder decoder;
    private final DeadLetterPublisher deadLetters;

    /**
     * @param decoder     decoding and validation rules
     * @param deadLetters where rejected records go
     */
    public DecodingStage(SampleDecoder decoder, DeadLetterPublisher deadLetters) {
        this.decoder = Objects.requireNonNull(decoder, "decoder");
        this.deadLetters = Objects.requireNonNull(deadLetters, "deadLetters");
    }

    /**
     * A stage that does not write dead letters itself: each {@link DecodedBatch} carries its
     * {@link DecodedBatch#rejections() rejections}, and the owner writes them, for instance inside
     * the Kafka transaction that also commits the offsets they belong to. Acknowledging the batch
     * then acknowledges the rejected records too.
     *
     * @param decoder decoding and validation rules
     * @return the stage
     */
    public static DecodingStage deferringDeadLetters(SampleDecoder decoder) {
        return new DecodingStage(Objects.requireNonNull(decoder, "decoder"));
    }

    private DecodingStage(SampleDecoder decoder) {
        this.decoder = decoder;
        this.deadLetters = null;
    }

    /**
     * @param batch a batch from a {@link KafkaReceiver}
     * @return its valid samples, once its dead letters are confirmed (or with its rejections, for a
     *         stage made by {@link #deferringDeadLetters})
     */
    public Mono<DecodedBatch> decode(ReceiverBatch batch) {
        return Mono.defer(() -> {
            List<DecodedSample> samples = new ArrayList<>(batch.size());
            List<Mono<?>> writes = null;
            List<Rejection> deferred = new ArrayList<>(0);
            for (ConsumerRecord<byte[], byte[]> r : batch.records()) {
                try {
                    float[] v = decoder.decode(r);
                    samples.add(new DecodedSample(r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), v));
                } catch (SampleDecodeException e) {
                    if (deadLetters == null) {
                        deferred.add(new Rejection(r, e.reason(), e.detail()));
                        continue;
                    }
                    if (writes == null) {
                        writes = new ArrayList<>();
                    }
                    writes.add(deadLetters.publish(r, e.reason(), e.detail())
                            .doOnSuccess(md -> batch.acknowledge(r)));
                }
            }
            DecodedBatch decoded = new DecodedBatch(batch, samples, writes == null ? 0 : writes.size(), deferred);
            if (writes == null) {
                return Mono.just(decoded);
            }
            return Flux.merge(Flux.fromIterable(writes)).then(Mono.just(decoded));
        });
    }
}
