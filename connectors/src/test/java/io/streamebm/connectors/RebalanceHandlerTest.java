package io.streamebm.connectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Which hook hears a revocation and which a loss (pure logic over a MockConsumer; the broker tests
 * cover real rebalances): a lost partition goes to {@link ReceiverOptions#onLost()} when the owner
 * set one, else to {@link ReceiverOptions#onRevoked()}, as before the hook existed.
 */
class RebalanceHandlerTest {

    private final TopicPartition p0 = new TopicPartition("t", 0);

    private static RebalanceHandler handler(ReceiverOptions options) {
        AckLedger ledger = new AckLedger(() -> { });
        return new RebalanceHandler(options, new MockConsumer<>("earliest"), ledger,
                new OffsetCommitter(false, ledger), () -> false, () -> { }, () -> { });
    }

    private static ReceiverOptions.Builder options(List<String> calls) {
        return ReceiverOptions.builder().bootstrapServers("localhost:9092").groupId("g").topics("t")
                .onRevoked(parts -> calls.add("revoked " + parts));
    }

    @Test
    void lostPartitionsGoToTheLostHookWhenThereIsOne() {
        List<String> calls = new ArrayList<>();
        RebalanceHandler h = handler(options(calls).onLost(parts -> calls.add("lost " + parts)).build());
        h.onPartitionsLost(List.of(p0));
        h.onPartitionsRevoked(List.of(p0));
        assertEquals(List.of("lost [t-0]", "revoked [t-0]"), calls);
    }

    @Test
    void withoutALostHookALossIsARevocation() {
        List<String> calls = new ArrayList<>();
        ReceiverOptions o = options(calls).build();
        handler(o).onPartitionsLost(List.of(p0));
        assertEquals(List.of("revoked [t-0]"), calls);
        // A copy keeps the choice.
        List<String> more = new ArrayList<>();
        ReceiverOptions withLost = o.toBuilder().onLost(parts -> more.add("lost")).build();
        handler(withLost.toBuilder().build()).onPartitionsLost(List.of(p0));
        assertEquals(List.of("lost"), more);
    }
}
