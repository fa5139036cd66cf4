package io.streamebm.pipeline.app;

import io.streamebm.connectors.KafkaSender;
import io.streamebm.connectors.codec.SampleCodec;
import io.streamebm.connectors.codec.SampleCodecs;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.ProducerRecord;
import reactor.core.publisher.Flux;

/**
 * Streams samples from a generator into a topic at a steady rate, each send confirmed by the
 * broker. Used by the {@code produce} command and by the demo.
 */
public final class SyntheticProducer {

    private final KafkaSender sender;
    private final String topic;
    private final SampleCodec codec;
    private final Supplier<float[]> samples;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicLong sent = new AtomicLong();

    /**
     * @param sender  where records go
     * @param topic   the input topic
     * @param codec   the value format (JSON or float32; the content-type header says which)
     * @param samples an endless sample generator
     */
    public SyntheticProducer(KafkaSender sender, String topic, SampleCodec codec, Supplier<float[]> samples) {
        this.sender = sender;
        this.topic = topic;
        this.codec = codec;
        this.samples = samples;
    }

    /**
     * Sends {@code count} records (0: until {@link #stop()}) at about {@code ratePerSecond}
     * records per second (0: as fast as the broker confirms), and returns how many were confirmed.
     * The first record to each partition is confirmed before any other goes out ({@link #openPartitions}).
     */
    public long run(long count, double ratePerSecond) {
        openPartitions(count);
        // About 20 chunks a second at the requested rate; large chunks when unthrottled, so that
        // many sends are in flight at once.
        int chunk = ratePerSecond > 0 ? (int) Math.max(1, Math.min(5000, ratePerSecond / 20)) : 2000;
        Duration tick = ratePerSecond > 0 ? Duration.ofNanos((long) (chunk * 1e9 / ratePerSecond)) : null;
        Flux<Long> ticks = tick == null ? Flux.generate(s -> s.next(0L)) : Flux.interval(Duration.ZERO, tick).onBackpressureDrop();
        ticks.takeWhile(t -> !stopped.get() && (count <= 0 || sent.get() < count))
                .concatMap(t -> {
                    long n = count <= 0 ? chunk : Math.min(chunk, count - sent.get());
                    return Flux.range(0, (int) n).map(i -> record((int) (sent.get() + i), null))
                            .flatMap(sender::send, 1024).count().doOnNext(sent::addAndGet);
                }, 1)
                .blockLast();
        return sent.get();
    }

    /**
     * Writes one record to each partition (the first {@code count} partitions if {@code count} is
     * smaller), all at once, and waits until each is confirmed. A Kafka broker before 4.5 accepts
     * any first sequence number from an idempotent producer it knows nothing of on a partition: if
     * a partition is not led yet when the first batch arrives (a topic just created, or auto-created
     * by this very producer), that batch is refused as retriable, a later batch in flight behind it
     * may be accepted, and the first one is then refused as out of order on every retry until
     * {@code delivery.timeout.ms} expires it (KAFKA-15591): its records are lost and the run fails
     * after two minutes. With one confirmed record per partition, the broker knows this producer's
     * sequence everywhere before a second batch is in flight, so a refused batch is retried in order.
     */
    private void openPartitions(long count) {
        if (stopped.get()) {
            return;
        }
        int partitions = sender.producer().partitionsFor(topic).size();
        int n = (int) (count <= 0 ? partitions : Math.min(partitions, count));
        Flux.range(0, n).map(p -> record((int) sent.get() + p, p))
                .flatMap(sender::send, n).count().doOnNext(sent::addAndGet)
                .block();
    }

    /** Record {@code seq} of the stream (keyed by its number), to {@code partition} or, if null, where its key hashes. */
    private ProducerRecord<byte[], byte[]> record(int seq, Integer partition) {
        byte[] key = Integer.toString(seq).getBytes(StandardCharsets.UTF_8);
        ProducerRecord<byte[], byte[]> r = SampleCodecs.record(topic, key, samples.get(), codec);
        return partition == null ? r : new ProducerRecord<>(topic, partition, r.key(), r.value(), r.headers());
    }

    /** Records confirmed so far. */
    public long sent() {
        return sent.get();
    }

    /** Ends {@link #run} after the current chunk. */
    public void stop() {
        stopped.set(true);
    }
}
