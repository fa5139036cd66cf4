package io.streamebm.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The group's series exist from the first scrape and show what the trainer last reported. */
class GroupMetricsTest {

    @Test
    void theGroupSeriesStartAtZeroAndFollowTheReports() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        GroupMetrics g = new GroupMetrics("m", "pcd");
        g.bindTo(r);
        Map<String, Double> first = values(r.scrape());
        assertEquals(0.0, first.get("ebm_group_records_counted"));
        assertEquals(0.0, first.get("ebm_params_published_bytes_total"));
        assertEquals(0.0, first.get("ebm_group_rounds_incomplete_total"));
        g.onGroupModel(30_000, 4);
        g.onPublished(70_000);
        g.onPublished(70_000);
        g.onRead(210_000);
        g.onRoundWait(250_000_000L, true);
        g.onRoundWait(5_000_000_000L, false);
        Map<String, Double> later = values(r.scrape());
        assertEquals(30_000.0, later.get("ebm_group_records_counted"));
        assertEquals(4.0, later.get("ebm_group_members"));
        assertEquals(140_000.0, later.get("ebm_params_published_bytes_total"));
        assertEquals(210_000.0, later.get("ebm_params_read_bytes_total"));
        assertEquals(5.25, later.get("ebm_group_round_wait_seconds_total"), 1e-9);
        assertEquals(1.0, later.get("ebm_group_rounds_incomplete_total"));
    }

    /** The value of each series, which this binder serves once (one model, one loss). */
    private static Map<String, Double> values(String scrape) {
        Map<String, Double> out = new HashMap<>();
        PromQl.samples(scrape).forEach((name, lines) -> {
            List<String> one = lines;
            String[] tokens = one.get(0).trim().split("\\s+");
            out.put(name, Double.parseDouble(tokens[tokens.length - 1]));
        });
        return out;
    }
}
