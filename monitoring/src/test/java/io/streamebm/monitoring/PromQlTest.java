package io.streamebm.monitoring;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The PromQL helpers the live tests rely on must themselves be right, or those tests prove nothing. */
class PromQlTest {

    @Test
    void extractsMetricNamesNotFunctionsLabelsOrKeywords() {
        assertEquals(Set.of("ebm_train_step_seconds_bucket"), PromQl.metricNames(
                "histogram_quantile(0.99, sum by (model, le) (rate(ebm_train_step_seconds_bucket{model=~\"$model\"}[$__rate_interval])))"));
        assertEquals(Set.of("ebm_records_dead_lettered_total", "ebm_records_consumed_total"), PromQl.metricNames(
                "sum by (model) (rate(ebm_records_dead_lettered_total[5m])) / sum by (model) (rate(ebm_records_consumed_total[5m])) > 0.01"));
        assertEquals(Set.of("kafka_consumer_fetch_manager_records_lag"), PromQl.metricNames(
                "sum by (model) (max without (topic) (kafka_consumer_fetch_manager_records_lag)) > 1e3 and "
                        + "sum by (model) (deriv(kafka_consumer_fetch_manager_records_lag[5m])) > 0"));
        assertEquals(Set.of("up"), PromQl.metricNames("up{job=\"streamebm-pipeline\", x=\"a b\"} == 0"));
        assertEquals(Set.of("ebm_model_mmd"), PromQl.metricNames(
                "ebm_model_mmd > 3 * clamp_min(quantile_over_time(0.5, ebm_model_mmd[6h]), 0.01)"));
        assertEquals(Set.of("jvm_gc_pause_seconds_sum", "process_cpu_usage"), PromQl.metricNames(
                "sum by (model) (rate(jvm_gc_pause_seconds_sum[1m])) or sum by (model) (0 * process_cpu_usage)"));
    }

    @Test
    void makesTopLevelComparisonsBoolButLeavesMatchersAlone() {
        assertEquals("up{job!=\"x\",a=~\"y\"} == bool 0", PromQl.withBool("up{job!=\"x\",a=~\"y\"} == 0"));
        assertEquals("a > bool 1 and b >= bool 0", PromQl.withBool("a > 1 and b >= 0"));
        assertEquals("a > bool 1", PromQl.withBool("a > bool 1"));
        assertEquals("a{b=\"<>\"} < bool 2", PromQl.withBool("a{b=\"<>\"} < 2"));
    }

    @Test
    void substitutesGrafanaVariablesAndRejectsUnknownOnes() {
        assertEquals("rate(x{model=~\".*\"}[15s])",
                PromQl.substituteGrafanaVariables("rate(x{model=~\"$model\"}[$__rate_interval])", Map.of("model", ".*")));
        assertThrows(AssertionError.class, () -> PromQl.substituteGrafanaVariables("x{a=\"$nope\"}", Map.of()));
    }

    @Test
    void readsEveryPanelTargetAndEveryRule() {
        List<PromQl.Query> panels = PromQl.dashboardQueries();
        List<PromQl.Query> rules = PromQl.ruleQueries();
        assertTrue(panels.size() >= 15, "panel targets: " + panels.size());
        assertEquals(8, rules.size(), "alert rules: " + rules);
        assertTrue(rules.stream().anyMatch(q -> q.source().equals("rule EbmDriftDetected")));
        assertTrue(rules.stream().anyMatch(q -> q.source().equals("rule EbmTrainingStalled")));
        assertTrue(rules.stream().anyMatch(q -> q.source().equals("rule EbmModelQualityDegraded")));
        assertTrue(panels.stream().anyMatch(q -> q.expr().equals("ebm_model_mmd{model=~\"$model\"}")),
                "model-quality panel");
    }
}
