package io.streamebm.monitoring;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamebm.telemetry.LossDiagnostics;
import io.streamebm.telemetry.StepRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingMetricsTest {

    private static StepRecord step(long n, double loss, StepRecord.Outcome outcome) {
        // E+ − E- is exactly −0.2 in binary floating point (−1.0 − −0.8 is not).
        LossDiagnostics d = new LossDiagnostics(-0.45, -0.25, 0.6, -0.9, Duration.ofMillis(2).toNanos());
        return new StepRecord(n, 64, loss, 0.5, 4.0, d, Duration.ofMillis(3), outcome, Map.of("ebm.samples-0", 64L * n));
    }

    @Test
    void stepUpdatesEveryMeterAndTheContractNamesAppear() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AtomicLong clock = new AtomicLong(1_000);
        TrainingMetrics m = new TrainingMetrics("m1", "pcd", clock::get);
        m.bindTo(r);
        m.onStep(step(1, 0.25, StepRecord.Outcome.APPLIED));
        m.onRecordsConsumed(66);
        m.onRecordRejected("wrong-dimension");
        m.onRecordDeadLettered("wrong-dimension");
        m.onCheckpoint(Duration.ofMillis(12));
        m.onModelVersion(7);
        m.onDivergence("rollback");

        assertEquals(1.0, r.get("ebm.train.steps").functionCounter().count());
        assertEquals(66.0, r.get("ebm.records.consumed").functionCounter().count());
        assertEquals(0.25, r.get("ebm.train.loss").gauge().value());
        assertEquals(-0.2, r.get("ebm.energy.gap").gauge().value());
        assertEquals(4.0, r.get("ebm.param.norm").gauge().value());
        assertEquals(7.0, r.get("ebm.model.version").gauge().value());
        assertEquals(1, r.get("ebm.train.step").timer().count());
        assertEquals(1, r.get("ebm.checkpoint").timer().count());
        assertEquals(1.0, r.get("ebm.records.rejected").tag("reason", "wrong-dimension").functionCounter().count());
        assertEquals(1.0, r.get("ebm.divergences").tag("reaction", "rollback").functionCounter().count());
        assertEquals(1_000L, m.lastAppliedStepNanos().orElseThrow());

        String text = r.scrape();
        for (String name : new String[]{"ebm_train_steps_total", "ebm_records_consumed_total",
                "ebm_records_rejected_total", "ebm_records_dead_lettered_total", "ebm_train_loss",
                "ebm_energy_positive", "ebm_energy_negative", "ebm_energy_gap", "ebm_grad_norm",
                "ebm_param_norm", "ebm_train_step_seconds_bucket", "ebm_checkpoints_total", "ebm_model_version",
                "ebm_divergences_total", "ebm_checkpoint_seconds_count", "ebm_sampler_acceptance_rate",
                "ebm_chain_energy_mean", "ebm_train_rollbacks_total", "ebm_model_mmd"}) {
            assertTrue(text.contains("\n" + name + "{"), name + " in\n" + text);
        }
        for (Meter meter : r.getMeters()) {
            assertFalse(meter.getId().getDescription() == null || meter.getId().getDescription().isBlank(),
                    meter.getId() + " has a description");
            assertEquals("m1", meter.getId().getTag("model"));
            assertEquals("pcd", meter.getId().getTag("loss"));
        }
    }

    @Test
    void rolledBackStepsAreNotProgress() {
        SimpleMeterRegistry r = new SimpleMeterRegistry();
        TrainingMetrics m = new TrainingMetrics("m", "cd", () -> 5L);
        m.bindTo(r);
        m.onStep(step(0, Double.NaN, StepRecord.Outcome.ROLLED_BACK));
        assertEquals(0.0, r.get("ebm.train.steps").functionCounter().count());
        assertEquals(1.0, r.get("ebm.train.rollbacks").functionCounter().count());
        assertTrue(Double.isNaN(r.get("ebm.train.loss").gauge().value()), "the diverged loss is shown");
        assertTrue(m.lastAppliedStepNanos().isEmpty());
    }

    @Test
    void callsBeforeBindingAreKeptAndEveryRegistrySeesNewLabels() {
        TrainingMetrics m = new TrainingMetrics("m", "cd");
        m.onRecordsConsumed(10);
        m.onRecordDeadLettered("early");
        SimpleMeterRegistry a = new SimpleMeterRegistry();
        SimpleMeterRegistry b = new SimpleMeterRegistry();
        m.bindTo(a);
        m.bindTo(b);
        m.onRecordDeadLettered("late");
        for (SimpleMeterRegistry r : new SimpleMeterRegistry[]{a, b}) {
            assertEquals(10.0, r.get("ebm.records.consumed").functionCounter().count());
            assertEquals(1.0, r.get("ebm.records.dead.lettered").tag("reason", "early").functionCounter().count());
            assertEquals(1.0, r.get("ebm.records.dead.lettered").tag("reason", "late").functionCounter().count());
        }
    }

    @Test
    void distinctReasonsAreBoundedSoOneBadProducerCannotExplodeTheSeries() {
        SimpleMeterRegistry r = new SimpleMeterRegistry();
        TrainingMetrics m = new TrainingMetrics("m", "cd");
        m.bindTo(r);
        for (int i = 0; i < TrainingMetrics.MAX_DISTINCT_LABELS + 10; i++) {
            m.onRecordRejected("reason-" + i);
        }
        assertEquals(TrainingMetrics.MAX_DISTINCT_LABELS + 1, r.find("ebm.records.rejected").functionCounters().size());
        assertEquals(10.0, r.get("ebm.records.rejected").tag("reason", TrainingMetrics.OTHER).functionCounter().count());
    }

    @Test
    void declaredReasonsAndReactionsAreScrapedAtZeroBeforeAnyIncrement() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainingMetrics m = new TrainingMetrics("m1", "pcd");
        m.bindTo(r);
        m.declareRecordReasons(List.of("malformed_json", "wrong_dimension"));
        m.declareDivergenceReactions(List.of("lower-lr", "both"));
        m.declareRecordReasons(List.of("malformed_json")); // idempotent

        String text = r.scrape();
        for (String series : List.of(
                "ebm_records_rejected_total{loss=\"pcd\",model=\"m1\",reason=\"malformed_json\"} 0",
                "ebm_records_rejected_total{loss=\"pcd\",model=\"m1\",reason=\"wrong_dimension\"} 0",
                "ebm_records_dead_lettered_total{loss=\"pcd\",model=\"m1\",reason=\"malformed_json\"} 0",
                "ebm_records_dead_lettered_total{loss=\"pcd\",model=\"m1\",reason=\"wrong_dimension\"} 0",
                "ebm_divergences_total{loss=\"pcd\",model=\"m1\",reaction=\"lower-lr\"} 0",
                "ebm_divergences_total{loss=\"pcd\",model=\"m1\",reaction=\"both\"} 0")) {
            assertTrue(text.contains("\n" + series), series + " in\n" + text);
        }
        assertEquals(2, r.find("ebm.records.rejected").functionCounters().size());
        assertEquals(2, r.find("ebm.divergences").functionCounters().size());

        // A later increment moves the declared series; no second series appears.
        m.onRecordRejected("wrong_dimension");
        m.onDivergence("both");
        assertEquals(1.0, r.get("ebm.records.rejected").tag("reason", "wrong_dimension").functionCounter().count());
        assertEquals(0.0, r.get("ebm.records.rejected").tag("reason", "malformed_json").functionCounter().count());
        assertEquals(1.0, r.get("ebm.divergences").tag("reaction", "both").functionCounter().count());
        assertEquals(2, r.find("ebm.records.rejected").functionCounters().size());

        // Declared before a bind, they still appear on the registry bound later.
        SimpleMeterRegistry late = new SimpleMeterRegistry();
        TrainingMetrics early = new TrainingMetrics("m2", "pcd");
        early.declareDivergenceReactions(List.of("none"));
        early.bindTo(late);
        assertEquals(0.0, late.get("ebm.divergences").tag("reaction", "none").functionCounter().count());
    }

    @Test
    void declaredLabelsCountAgainstTheCardinalityBound() {
        SimpleMeterRegistry r = new SimpleMeterRegistry();
        TrainingMetrics m = new TrainingMetrics("m", "cd");
        m.bindTo(r);
        List<String> declared = IntStream.range(0, TrainingMetrics.MAX_DISTINCT_LABELS - 1)
                .mapToObj(i -> "known-" + i).toList();
        m.declareRecordReasons(declared);
        m.onRecordRejected("surprise-1"); // the 32nd distinct value still gets its own series
        m.onRecordRejected("surprise-2");
        m.onRecordRejected("surprise-3");
        assertEquals(TrainingMetrics.MAX_DISTINCT_LABELS + 1, r.find("ebm.records.rejected").functionCounters().size());
        assertEquals(1.0, r.get("ebm.records.rejected").tag("reason", "surprise-1").functionCounter().count());
        assertEquals(2.0, r.get("ebm.records.rejected").tag("reason", TrainingMetrics.OTHER).functionCounter().count());
    }

    @Test
    void modelQualityIsNaNUntilMeasuredThenTheLatestValue() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainingMetrics m = new TrainingMetrics("m1", "pcd");
        m.bindTo(r);
        assertTrue(Double.isNaN(r.get("ebm.model.mmd").gauge().value()), "no measurement yet");
        assertTrue(r.scrape().contains("\nebm_model_mmd{loss=\"pcd\",model=\"m1\"} NaN"), r.scrape());
        m.onModelQuality(0.125);
        m.onModelQuality(0.03);
        assertEquals(0.03, r.get("ebm.model.mmd").gauge().value());
        m.onModelQuality(-0.001); // an unbiased MMD² estimate can be slightly negative
        assertEquals(-0.001, r.get("ebm.model.mmd").gauge().value());
        assertTrue(r.scrape().contains("# HELP ebm_model_mmd "), "described, for promtool");
    }

    @Test
    void rejectsInvalidInput() {
        TrainingMetrics m = new TrainingMetrics("m", "cd");
        assertThrows(IllegalArgumentException.class, () -> m.onRecordsConsumed(-1));
        assertThrows(IllegalArgumentException.class, () -> m.onRecordRejected(" "));
        assertThrows(NullPointerException.class, () -> m.onStep(null));
        assertThrows(IllegalArgumentException.class, () -> new TrainingMetrics("", "cd"));
    }
}
