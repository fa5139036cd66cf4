package io.streamebm.monitoring;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The drift meters: present from the first scrape, counted, and timed from the latest drift. */
class DriftMetricsTest {

    @Test
    void bothSeriesExistBeforeAnyDriftAtZeroAndNaN() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new DriftMetrics("m", "pcd").bindTo(r);
        Map<String, List<String>> samples = PromQl.samples(r.scrape());
        assertEquals(List.of("ebm_drift_events_total{loss=\"pcd\",model=\"m\"} 0.0"), samples.get("ebm_drift_events_total"));
        assertEquals(List.of("ebm_time_since_last_drift_seconds{loss=\"pcd\",model=\"m\"} NaN"),
                samples.get("ebm_time_since_last_drift_seconds"));
    }

    @Test
    void eachDriftCountsAndRestartsTheClock() {
        AtomicLong now = new AtomicLong(5_000_000_000L);
        DriftMetrics drift = new DriftMetrics("m", "pcd", now::get);
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        drift.bindTo(r);
        assertTrue(Double.isNaN(drift.secondsSinceLastDrift()));
        drift.onDrift();
        now.addAndGet(90_000_000_000L);
        assertEquals(90.0, drift.secondsSinceLastDrift());
        drift.onDrift();
        now.addAndGet(1_500_000_000L);
        assertEquals(2, drift.drifts());
        String scrape = r.scrape();
        assertTrue(scrape.contains("ebm_drift_events_total{loss=\"pcd\",model=\"m\"} 2.0"), scrape);
        assertTrue(scrape.contains("ebm_time_since_last_drift_seconds{loss=\"pcd\",model=\"m\"} 1.5"), scrape);
    }

    @Test
    void theTagsMustNotBeBlank() {
        assertThrows(IllegalArgumentException.class, () -> new DriftMetrics(" ", "pcd"));
        assertThrows(NullPointerException.class, () -> new DriftMetrics("m", null));
    }
}
