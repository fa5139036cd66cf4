package io.streamebm.pipeline.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamebm.pipeline.config.ConfigException;
import io.streamebm.pipeline.config.PipelineConfig;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The drift event as JSON and as a log line, and the typed drift options of a configuration. */
class DriftEventTest {

    private static final DriftEvent EVENT = new DriftEvent("m \"1\"", 1200, 307_200,
            Instant.parse("2026-12-03T10:15:30.123Z"), new Drift(-1.02, 6.41, 198_656, 544),
            "adwin(delta=0.002, max-window=100000)", DriftReaction.RAISE_LR);

    @Test
    void theEventIsJsonWithEveryField() throws Exception {
        JsonNode json = new ObjectMapper().readTree(EVENT.toJson());
        assertEquals("drift", json.get("event").asText());
        assertEquals("m \"1\"", json.get("model").asText(), "free-text model names are escaped");
        assertEquals(1200, json.get("step").asLong());
        assertEquals(307_200, json.get("records").asLong());
        assertEquals("2026-12-03T10:15:30.123Z", json.get("time").asText());
        assertEquals(-1.02, json.get("meanBefore").asDouble());
        assertEquals(6.41, json.get("meanAfter").asDouble());
        assertEquals(7.43, json.get("change").asDouble(), 1e-12);
        assertEquals(198_656, json.get("recordsBefore").asLong());
        assertEquals(544, json.get("recordsAfter").asLong());
        assertEquals("adwin(delta=0.002, max-window=100000)", json.get("detector").asText());
        assertEquals("raise-lr", json.get("reaction").asText());
        assertEquals(12, json.size());
    }

    @Test
    void theLogLineGivesTheStepAndTheSizeOfTheChange() {
        assertEquals("drift at step 1200 (307200 records): mean energy -1.0200 -> 6.4100 (+7.4300), 198656 records"
                + " before, 544 after; adwin(delta=0.002, max-window=100000); reaction raise-lr", EVENT.logLine());
    }

    @Test
    void optionsComeFromTheConfigurationWithTheEventsTopicNamedAfterTheModel() {
        DriftOptions defaults = DriftOptions.fromConfig(PipelineConfig.parse(Map.of(), Map.of("model.name", "fraud")));
        assertEquals(new DriftOptions(0.002, 100_000, DriftReaction.NONE, 2.0, 200, "fraud.events"), defaults);
        assertEquals("adwin(delta=0.002, max-window=100000)", defaults.detector().describe());
        DriftOptions set = DriftOptions.fromConfig(PipelineConfig.parse(Map.of(), Map.of("drift.delta", "1e-5",
                "drift.max-window", "5000", "drift.reaction", "SNAPSHOT_PRE_DRIFT", "drift.raise-lr-factor", "3",
                "drift.raise-lr-steps", "50", "drift.events-topic", "ops.events")));
        assertEquals(new DriftOptions(1e-5, 5000, DriftReaction.SNAPSHOT_PRE_DRIFT, 3.0, 50, "ops.events"), set);
    }

    @Test
    void wrongValuesAreNamedWithTheirRule() {
        ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfig.parse(Map.of(), Map.of(
                "drift.delta", "1", "drift.max-window", "10", "drift.reaction", "panic", "drift.raise-lr-factor", "0.5",
                "drift.raise-lr-steps", "0", "drift.events-topic", "no spaces", "scoring.anomaly-percentile", "1.5",
                "calibration.window-records", "0")));
        String m = e.getMessage();
        for (String expected : new String[] {
            "drift.delta = '1': must be a number in (0, 1)",
            "drift.max-window = '10': must be an integer >= 64",
            "drift.reaction = 'panic': must be one of [none, reinit-chains, raise-lr, snapshot-pre-drift]",
            "drift.raise-lr-factor = '0.5': must be a number > 1",
            "drift.raise-lr-steps = '0': must be a positive integer",
            "drift.events-topic = 'no spaces': must be empty or a topic name",
            "scoring.anomaly-percentile = '1.5': must be a number in (0, 1]",
            "calibration.window-records = '0': must be a positive integer"}) {
            org.junit.jupiter.api.Assertions.assertTrue(m.contains(expected), expected + " in:\n" + m);
        }
        assertEquals(0.995, PipelineConfig.defaults().number("scoring.anomaly-percentile"));
        assertEquals(20_000, PipelineConfig.defaults().longValue("calibration.window-records"));
        assertEquals(25, PipelineConfig.defaults().integer("calibration.every-batches"));
        org.junit.jupiter.api.Assertions.assertFalse(PipelineConfig.defaults().bool("drift.enabled"),
                "drift detection costs a forward pass per batch: opt-in");
    }
}
