package io.streamebm.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the alert rules do, not only that they parse: {@code promtool test rules} runs
 * {@code alerts.test.yml} (series in, alerts out, with the {@code for:} delays), every alert has a
 * test there, and the dashboard draws the model-quality alert's threshold with the rule's own
 * expression.
 */
class AlertRulesTest {

    private static final String QUALITY_ALERT = "EbmModelQualityDegraded";

    private static Path unitTests() {
        return PromQl.rulesFile().resolveSibling("alerts.test.yml");
    }

    @Test
    void promtoolUnitTestsOfTheRulesPass() {
        Path promtool = TestSupport.requireBinary("promtool");
        TestSupport.Result r = TestSupport.run(List.of(promtool.toString(), "test", "rules", unitTests().toString()),
                null, Duration.ofSeconds(60));
        assertEquals(0, r.exitCode(), "promtool test rules:\n" + r.output());
        assertTrue(r.output().contains("SUCCESS"), r.output());
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyAlertIsUnitTested() {
        Set<String> alerts = new LinkedHashSet<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) PromQl.readYaml(PromQl.rulesFile()).get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                if (rule.containsKey("alert")) {
                    alerts.add(String.valueOf(rule.get("alert")));
                }
            }
        }
        Map<String, Object> tests = PromQl.readYaml(unitTests());
        assertEquals(List.of("alerts.yml"), tests.get("rule_files"), "the tests load the repository's rules");
        Set<String> firing = new LinkedHashSet<>();
        for (Map<String, Object> test : (List<Map<String, Object>>) tests.get("tests")) {
            for (Map<String, Object> t : (List<Map<String, Object>>) test.getOrDefault("alert_rule_test", List.of())) {
                List<Object> expected = (List<Object>) t.get("exp_alerts");
                if (expected != null && !expected.isEmpty()) {
                    firing.add(String.valueOf(t.get("alertname")));
                }
            }
        }
        List<String> untested = new ArrayList<>(alerts);
        untested.removeAll(firing);
        assertTrue(untested.isEmpty(), "alerts without a unit test that makes them fire: " + untested);
    }

    @Test
    void theQualityPanelDrawsTheAlertThreshold() {
        String rule = PromQl.ruleQueries().stream().filter(q -> q.source().equals("rule " + QUALITY_ALERT))
                .findFirst().orElseThrow(() -> new AssertionError("no rule " + QUALITY_ALERT)).expr();
        String[] sides = rule.split(" > ", 2);
        assertEquals("ebm_model_mmd", sides[0].strip(), rule);
        String threshold = null;
        for (JsonNode panel : PromQl.readJson(PromQl.dashboardFile()).path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                if (target.path("legendFormat").asText().contains("alert threshold")) {
                    threshold = target.path("expr").asText();
                }
            }
        }
        assertNotNull(threshold, "the quality panel has an 'alert threshold' target");
        assertEquals(sides[1].strip(), threshold.replace("{model=~\"$model\"}", ""),
                "the dashboard's threshold line is the rule's right-hand side");
    }
}
