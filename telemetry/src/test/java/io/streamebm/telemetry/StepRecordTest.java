package io.streamebm.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The step record: what the optimizer step fills, what a trainer completes, and its invariants. */
class StepRecordTest {

    private static final LossDiagnostics D = new LossDiagnostics(-0.5, -0.25, 0.6, -0.4, 2_000_000);

    @Test
    void aMeasuredStepIsUnnumberedAppliedAndCoversNoInputYet() {
        StepRecord r = StepRecord.measured(64, 0.3, 1.5, 4.0, D, Duration.ofMillis(3));
        assertEquals(0, r.step());
        assertEquals(StepRecord.Outcome.APPLIED, r.outcome());
        assertEquals(Map.of(), r.sourcePositions());
        assertEquals(-0.25, r.diagnostics().energyGap(), 0);
        assertEquals(Duration.ofMillis(2), r.samplingDuration());
    }

    @Test
    void withCopiesChangeOneFieldAndKeepTheRest() {
        StepRecord measured = StepRecord.measured(64, 0.3, 1.5, 4.0, D, Duration.ofMillis(3));
        Map<String, Long> positions = new HashMap<>(Map.of("t-0", 64L));
        StepRecord done = measured.withStep(7).withOutcome(StepRecord.Outcome.ROLLED_BACK)
                .withSourcePositions(positions).withStepDuration(Duration.ofMillis(5));
        positions.put("t-1", 1L);
        assertEquals(new StepRecord(7, 64, 0.3, 1.5, 4.0, D, Duration.ofMillis(5), StepRecord.Outcome.ROLLED_BACK,
                Map.of("t-0", 64L)), done, "the positions are copied, not shared");
        assertEquals(0, measured.step(), "the original is unchanged");
    }

    @Test
    void aRefusedStepMeasuredNothing() {
        StepRecord r = StepRecord.refused(32);
        assertEquals(32, r.batchSize());
        assertEquals(StepRecord.Outcome.ROLLED_BACK, r.outcome());
        assertTrue(Double.isNaN(r.loss()) && Double.isNaN(r.gradNorm()) && Double.isNaN(r.paramNorm()));
        assertEquals(LossDiagnostics.NONE, r.diagnostics());
        assertEquals(Duration.ZERO, r.samplingDuration());
    }

    @Test
    void samplingNeverExceedsTheWholeStep() {
        StepRecord r = StepRecord.measured(8, 0.1, 1, 1, D, Duration.ofMillis(1));
        assertEquals(Duration.ofMillis(1), r.samplingDuration());
    }

    @Test
    void invalidRecordsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> StepRecord.refused(-1));
        assertThrows(IllegalArgumentException.class, () -> StepRecord.refused(1).withStep(-1));
        assertThrows(NullPointerException.class, () -> StepRecord.refused(1).withOutcome(null));
        assertThrows(NullPointerException.class, () -> StepRecord.measured(1, 0, 0, 0, null, Duration.ZERO));
    }
}
