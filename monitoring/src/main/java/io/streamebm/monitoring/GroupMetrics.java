package io.streamebm.monitoring;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The meters of the model a consumer group trains together (scale-out): how many records the
 * group's model has counted, how many members have contributed to it, and what the parameter
 * exchange costs on the network.
 *
 * <p>Prometheus names, tagged {@code model} and {@code loss} like the training meters:
 * <ul>
 *   <li>{@code ebm_group_records_counted}: records whose updates are in the group's model and
 *       whose offsets the group has committed, as this member last read the params topic (alone:
 *       the records of the last durable checkpoint)</li>
 *   <li>{@code ebm_group_members}: members whose contributions the group's model holds (alone: 1)</li>
 *   <li>{@code ebm_params_published_bytes_total} and {@code ebm_params_read_bytes_total}: bytes
 *       this member wrote to and read from the params topic</li>
 *   <li>{@code ebm_group_round_wait_seconds_total}: time this member waited for the others'
 *       publications of its sync rounds, and {@code ebm_group_rounds_incomplete_total}: rounds it
 *       went on without somebody after {@code scale-out.round-timeout}</li>
 * </ul>
 * All exist from the first scrape on, at 0. A binder of its own: the group is not one member's
 * training updates. Thread-safe: every update is atomic.
 */
public final class GroupMetrics implements MeterBinder {

    private final Tags tags;
    private final AtomicLong recordsCounted = new AtomicLong();
    private final AtomicLong members = new AtomicLong();
    private final AtomicLong publishedBytes = new AtomicLong();
    private final AtomicLong readBytes = new AtomicLong();
    private final AtomicLong roundWaitNanos = new AtomicLong();
    private final AtomicLong roundsIncomplete = new AtomicLong();

    /**
     * @param model model name, the value of tag {@code model}
     * @param loss  loss name, the value of tag {@code loss}
     */
    public GroupMetrics(String model, String loss) {
        this.tags = MeterLabels.modelAndLoss(model, loss);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        Gauge.builder("ebm.group.records.counted", recordsCounted, AtomicLong::doubleValue)
                .description("Records the group's model has counted: their updates are in it and their offsets committed")
                .tags(tags)
                .strongReference(true)
                .register(registry);
        Gauge.builder("ebm.group.members", members, AtomicLong::doubleValue)
                .description("Members whose contributions the group's model holds")
                .tags(tags)
                .strongReference(true)
                .register(registry);
        FunctionCounter.builder("ebm.params.published.bytes", publishedBytes, AtomicLong::doubleValue)
                .description("Bytes this member published on the params topic")
                .baseUnit("bytes")
                .tags(tags)
                .register(registry);
        FunctionCounter.builder("ebm.params.read.bytes", readBytes, AtomicLong::doubleValue)
                .description("Bytes this member read from the params topic")
                .baseUnit("bytes")
                .tags(tags)
                .register(registry);
        FunctionCounter.builder("ebm.group.round.wait", roundWaitNanos, n -> n.get() / 1e9)
                .description("Time this member waited for the other members' publications of its sync rounds")
                .baseUnit("seconds")
                .tags(tags)
                .register(registry);
        FunctionCounter.builder("ebm.group.rounds.incomplete", roundsIncomplete, AtomicLong::doubleValue)
                .description("Sync rounds this member went on without a member after scale-out.round-timeout")
                .tags(tags)
                .register(registry);
    }

    /**
     * This member waited {@code nanos} for the others' publications of a round; {@code complete}
     * false: it went on without some of them.
     */
    public void onRoundWait(long nanos, boolean complete) {
        roundWaitNanos.addAndGet(nanos);
        if (!complete) {
            roundsIncomplete.incrementAndGet();
        }
    }

    /** The group's model as this member knows it now. */
    public void onGroupModel(long records, int contributors) {
        recordsCounted.set(records);
        members.set(contributors);
    }

    /** This member published a contribution of {@code bytes} bytes. */
    public void onPublished(long bytes) {
        publishedBytes.addAndGet(bytes);
    }

    /** This member read {@code bytes} bytes of contributions. */
    public void onRead(long bytes) {
        readBytes.addAndGet(bytes);
    }

    /** The records the group's model has counted, as last reported. */
    public long recordsCounted() {
        return recordsCounted.get();
    }

    /** The bytes published so far. */
    public long publishedBytes() {
        return publishedBytes.get();
    }

    /** The sync rounds this member went on without somebody, so far. */
    public long roundsIncomplete() {
        return roundsIncomplete.get();
    }

    /** The bytes read so far. */
    public long readBytes() {
        return readBytes.get();
    }
}
