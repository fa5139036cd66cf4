package io.streamebm.pipeline.app;

import io.streamebm.connectors.KafkaSender;
import io.streamebm.connectors.codec.SampleCodec;
import io.streamebm.connectors.codec.SampleCodecs;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
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
     */
    public long run(long count, double ratePerSecond) {
        // About 20 chunks a second at the requested rate; large chunks when unthrottled, so that
        // many sends are in flight at once.
        int chunk = ratePerSecond > 0 ? (int) Math.max(1, Math.min(5000, ratePerSecond / 20)) : 2000;
        Duration tick = ratePerSecond > 0 ? Duration.ofNanos((long) (chunk * 1e9 / ratePerSecond)) : null;
        Flux<Long> ticks = tick == null ? Flux.generate(s -> s.next(0L)) : Flux.interval(Duration.ZERO, tick).onBackpressureDrop();
        ticks.takeWhile(t -> !stopped.get() && (count <= 0 || sent.get() < count))
                .concatMap(t -> {
                    long n = count <= 0 ? chunk : Math.min(chunk, count - sent.get());
                    return Flux.range(0, (int) n).map(i -> {
                        int seq = (int) (sent.get() + i);
                        byte[] key = Integer.toString(seq).getBytes(StandardCharsets.UTF_8);
                        return SampleCodecs.record(topic, key, samples.get(), codec);
                    }).flatMap(sender::send, 1024).count().doOnNext(sent::addAndGet);
                }, 1)
                .blockLast();
        return sent.get();
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
