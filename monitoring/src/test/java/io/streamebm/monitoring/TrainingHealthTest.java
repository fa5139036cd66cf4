package io.streamebm.monitoring;

import io.streamebm.telemetry.LossDiagnostics;
import io.streamebm.telemetry.StepRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Readiness logic on a controlled clock: grace period, progress, stall, broker. */
class TrainingHealthTest {

    private static final long SECOND = 1_000_000_000L;

    private final AtomicLong clock = new AtomicLong(100 * SECOND);
    private final AtomicReference<BrokerStatus> broker =
            new AtomicReference<>(new BrokerStatus(true, 1, "c", "1 node(s)", 0));
    private final TrainingMetrics metrics = new TrainingMetrics("m", "pcd", clock::get);
    private final TrainingHealth health = new TrainingHealth(metrics, broker::get,
            Duration.ofSeconds(60), Duration.ofSeconds(120), clock::get);

    private void applyStep() {
        metrics.onStep(new StepRecord(1, 8, 0.1, 1, 1, new LossDiagnostics(0, 0, Double.NaN, Double.NaN, 0),
                Duration.ofMillis(1), StepRecord.Outcome.APPLIED, Map.of()));
    }

    @Test
    void startingIsReadyUntilTheGracePeriodEnds() {
        HealthStatus s = health.get();
        assertEquals(HealthStatus.Training.STARTING, s.training());
        assertTrue(s.ready());
        assertEquals(200, s.httpStatus());
        clock.addAndGet(121 * SECOND);
        s = health.get();
        assertEquals(HealthStatus.Training.STALLED, s.training());
        assertFalse(s.ready());
        assertEquals(503, s.httpStatus());
        assertTrue(s.live(), "a stall never fails liveness");
    }

    @Test
    void progressingUntilTheStallTimeoutThenReadyAgainOnTheNextStep() {
        clock.addAndGet(500 * SECOND);
        applyStep();
        assertEquals(HealthStatus.Training.PROGRESSING, health.get().training());
        clock.addAndGet(60 * SECOND);
        assertTrue(health.get().ready(), "exactly at the timeout still counts");
        clock.addAndGet(1);
        assertEquals(HealthStatus.Training.STALLED, health.get().training());
        assertFalse(health.get().ready());
        applyStep();
        assertTrue(health.get().ready());
        assertEquals(0.0, health.get().secondsSinceLastStep());
    }

    @Test
    void aFailedCheckpointMakesItUnreadyUntilOneSucceeds() {
        applyStep();
        metrics.onCheckpointFailed();
        HealthStatus s = health.get();
        assertEquals(HealthStatus.Training.CHECKPOINT_FAILING, s.training());
        assertFalse(s.ready());
        assertTrue(s.live(), "restarting does not fix a full disk");
        assertTrue(s.toJson().contains("\"state\":\"CHECKPOINT_FAILING\""), s.toJson());
        applyStep();
        assertFalse(health.get().ready(), "updates alone do not make it ready while checkpoints fail");
        metrics.onCheckpoint(Duration.ofMillis(3));
        assertEquals(HealthStatus.Training.PROGRESSING, health.get().training());
        assertTrue(health.get().ready());
    }

    @Test
    void unreachableBrokerMakesItUnreadyWhateverTraining() {
        applyStep();
        broker.set(BrokerStatus.unreachable("TimeoutException: no answer", 0));
        HealthStatus s = health.get();
        assertEquals(HealthStatus.Training.PROGRESSING, s.training());
        assertFalse(s.ready());
        String json = s.toJson();
        assertTrue(json.contains("\"ready\":false"), json);
        assertTrue(json.contains("\"reachable\":false"), json);
        assertTrue(json.contains("\"detail\":\"TimeoutException: no answer\""), json);
    }

    @Test
    void jsonEscapesStringsAndWritesNullForMissingNumbers() throws Exception {
        broker.set(BrokerStatus.unreachable("bad \"host\"\n\\x", 0));
        String json = health.get().toJson();
        var node = PromQl.JSON.readTree(json);
        assertEquals("bad \"host\"\n\\x", node.path("broker").path("detail").asText());
        assertTrue(node.path("training").path("secondsSinceLastStep").isNull());
        assertEquals("DOWN", node.path("status").asText());
    }
}
