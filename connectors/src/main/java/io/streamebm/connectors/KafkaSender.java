package io.streamebm.connectors;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A reactive Kafka producer: each send is a {@link Mono} that completes with the broker's confirmation
 * ({@link RecordMetadata}) or fails with the producer's error. Used for dead letters, model snapshots and
 * scores.
 *
 * <p>At most {@link SenderOptions#maxInFlight()} sends are handed to the producer and unconfirmed at a
 * time; further sends wait in a queue (without blocking the subscribing thread) and go out as
 * confirmations come back. A send is only handed over when its Mono is subscribed, and a Mono cancelled
 * before that is never sent. Thread-safe. Close it to flush and release the producer.
 */
public final class KafkaSender implements AutoCloseable {

    private final SenderOptions options;
    private final Producer<byte[], byte[]> producer;
    private final AtomicInteger permits;
    private final AtomicInteger wip = new AtomicInteger();
    private final ConcurrentLinkedQueue<Pending> waiting = new ConcurrentLinkedQueue<>();
    // Producer callbacks run on its network thread; a send made there could block it forever when the
    // buffer is full, so queued sends are dispatched from this worker instead.
    private final Scheduler dispatcher;
    private volatile boolean closed;

    private KafkaSender(SenderOptions options, Function<Map<String, Object>, Producer<byte[], byte[]>> factory) {
        this.options = options;
        this.producer = factory.apply(new HashMap<>(options.producerProperties()));
        this.permits = new AtomicInteger(options.maxInFlight());
        this.dispatcher = Schedulers.newSingle("streamebm-kafka-sender", true);
    }

    /**
     * @param options producer configuration
     * @return a sender with its producer created
     */
    public static KafkaSender create(SenderOptions options) {
        return new KafkaSender(options, KafkaProducer::new);
    }

    /** Lets tests use a {@code MockProducer}. */
    static KafkaSender create(SenderOptions options, Function<Map<String, Object>, Producer<byte[], byte[]>> factory) {
        return new KafkaSender(options, factory);
    }

    /** @return the underlying producer, e.g. to bind client metrics; do not close it directly */
    public Producer<?, ?> producer() {
        return producer;
    }

    /** @return sends handed to the producer and not yet confirmed */
    public int inFlight() {
        return options.maxInFlight() - permits.get();
    }

    /**
     * @param record the record
     * @return completes with the metadata once the broker confirms the write
     */
    public Mono<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
        return Mono.create(sink -> {
            if (closed) {
                sink.error(new IllegalStateException("KafkaSender is closed"));
                return;
            }
            Pending p = new Pending(record, sink);
            sink.onCancel(() -> p.cancelled = true);
            waiting.add(p);
            drain();
        });
    }

    /**
     * Sends a stream of records, with at most {@link SenderOptions#maxInFlight()} unconfirmed.
     *
     * @param records the records
     * @return the confirmations, in the order of the records
     */
    public Flux<RecordMetadata> send(Publisher<ProducerRecord<byte[], byte[]>> records) {
        return Flux.from(records).flatMapSequential(this::send, options.maxInFlight(), 1);
    }

    private void drain() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        do {
            Pending p;
            while (permits.get() > 0 && (p = waiting.poll()) != null) {
                if (p.cancelled) {
                    continue;
                }
                permits.decrementAndGet();
                dispatch(p);
            }
        } while (wip.decrementAndGet() != 0);
    }

    private void dispatch(Pending p) {
        try {
            producer.send(p.record, (metadata, error) -> {
                release();
                if (error != null) {
                    p.sink.error(error);
                } else {
                    p.sink.success(metadata);
                }
            });
        } catch (RuntimeException e) {
            release();
            p.sink.error(e);
        }
    }

    private void release() {
        permits.incrementAndGet();
        if (!waiting.isEmpty() && !closed) {
            dispatcher.schedule(this::drain);
        }
    }

    /** Flushes and closes the producer, waiting up to {@link SenderOptions#closeTimeout()}; sends still queued fail. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        producer.close(options.closeTimeout());
        Pending p;
        while ((p = waiting.poll()) != null) {
            p.sink.error(new IllegalStateException("KafkaSender closed before this record was sent"));
        }
        dispatcher.dispose();
    }

    private static final class Pending {
        final ProducerRecord<byte[], byte[]> record;
        final MonoSink<RecordMetadata> sink;
        volatile boolean cancelled;

        Pending(ProducerRecord<byte[], byte[]> record, MonoSink<RecordMetadata> sink) {
            this.record = record;
            this.sink = sink;
        }
    }
}
