package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.monitoring.BrokerStatus;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Warnings about an unreachable cluster: after 5 s, then with gaps of 10 s, 20 s, ... up to a cap, and a notice on recovery. */
class BrokerWatchTest {

    private static final long S = 1_000_000_000L;

    private BrokerStatus status = BrokerStatus.unreachable("connection refused", 0);
    private final List<Long> warnedAt = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final List<String> notices = new ArrayList<>();

    private BrokerWatch watch() {
        return new BrokerWatch("k1:9092,k2:9092", () -> status, 0, warnings::add, notices::add);
    }

    /** Looks once a second from {@code from} to {@code to} seconds, noting when a warning came. */
    private void run(BrokerWatch w, long from, long to) {
        for (long t = from; t <= to; t++) {
            int before = warnings.size();
            w.observe(t * S);
            if (warnings.size() > before) {
                warnedAt.add(t);
            }
        }
    }

    @Test
    void anUnreachableClusterIsReportedAfterFiveSecondsThenWithBackOffUpToFiveMinutes() {
        BrokerWatch w = watch();
        run(w, 1, 1300);
        assertEquals(List.of(5L, 15L, 35L, 75L, 155L, 315L, 615L, 915L, 1215L), warnedAt);
        assertTrue(warnings.get(0).contains("cannot reach Kafka at k1:9092,k2:9092 for 5 s (connection refused)"),
                warnings.get(0));
        assertTrue(warnings.get(0).contains("next warning in 10 s"), warnings.get(0));
        assertTrue(notices.isEmpty());
    }

    @Test
    void aReachableClusterIsNeverReportedAndRecoveryIsNoticedOnce() {
        BrokerWatch w = watch();
        status = new BrokerStatus(true, 1, "c", "1 node(s)", 0);
        run(w, 1, 100);
        assertTrue(warnings.isEmpty() && notices.isEmpty());

        status = BrokerStatus.unreachable("timeout", 0);
        run(w, 101, 125); // the outage starts at 101: warned at 106 and 116
        assertEquals(List.of(106L, 116L), warnedAt);
        status = new BrokerStatus(true, 1, "c", "1 node(s)", 0);
        run(w, 126, 200);
        assertEquals(List.of("Kafka at k1:9092,k2:9092 is reachable again after 25 s"), notices);

        status = BrokerStatus.unreachable("timeout", 0);
        run(w, 201, 225); // a new outage starts the back-off afresh
        assertEquals(List.of(106L, 116L, 206L, 216L), warnedAt);
    }

    @Test
    void aBriefOutageIsNotReported() {
        BrokerWatch w = watch();
        status = new BrokerStatus(true, 1, "c", "1 node(s)", 0);
        run(w, 1, 5);
        status = BrokerStatus.unreachable("timeout", 0);
        run(w, 6, 9);
        status = new BrokerStatus(true, 1, "c", "1 node(s)", 0);
        run(w, 15, 60);
        assertTrue(warnings.isEmpty() && notices.isEmpty(), warnings + " " + notices);
    }
}
