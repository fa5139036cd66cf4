package io.streamebm.monitoring;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamebm.connectors.codec.DecodeReason;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/METRICS.md against the code: every StreamEBM series the meters serve is documented, every
 * StreamEBM name the page mentions is served, every metric of the dashboard and the rules is
 * documented, and the README links the page from inside the repository.
 */
class MetricsDocTest {

    private static final Pattern CODE = Pattern.compile("`([^`]+)`");
    private static final Pattern EBM_NAME = Pattern.compile("\\bebm_[a-z_]+\\b");

    private static String doc() throws IOException {
        return Files.readString(TestSupport.repoRoot().resolve("docs/METRICS.md"));
    }

    /** Metric names written as code on the page. */
    private static Set<String> documented(String doc) {
        Set<String> names = new TreeSet<>();
        Matcher m = CODE.matcher(doc);
        while (m.find()) {
            names.add(m.group(1).strip());
        }
        return names;
    }

    private static Set<String> served() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainingMetrics m = new TrainingMetrics("m", "pcd");
        m.bindTo(r);
        m.declareRecordReasons(DecodeReason.tags());
        m.declareDivergenceReactions(List.of("both"));
        new DriftMetrics("m", "pcd").bindTo(r);
        new GroupMetrics("m", "pcd").bindTo(r);
        return PromQl.samples(r.scrape()).keySet();
    }

    @Test
    void everyServedStreamEbmSeriesIsDocumentedAndNothingElse() throws IOException {
        String doc = doc();
        Set<String> documented = documented(doc);
        Set<String> served = served();
        List<String> undocumented = new ArrayList<>();
        for (String name : served) {
            if (name.startsWith("ebm_") && !documented.contains(name)) {
                undocumented.add(name);
            }
        }
        assertTrue(undocumented.isEmpty(), "served but not in docs/METRICS.md: " + undocumented);
        List<String> stale = new ArrayList<>();
        Matcher m = EBM_NAME.matcher(doc);
        while (m.find()) {
            if (!served.contains(m.group())) {
                stale.add(m.group());
            }
        }
        assertTrue(stale.isEmpty(), "named in docs/METRICS.md but not served: " + stale);
    }

    @Test
    void everyMetricOfTheDashboardAndTheRulesAndEveryReasonIsDocumented() throws IOException {
        Set<String> documented = documented(doc());
        List<String> missing = new ArrayList<>();
        for (String name : PromQl.referencedMetricNames()) {
            if (!documented.contains(name)) {
                missing.add(name);
            }
        }
        for (String reason : DecodeReason.tags()) {
            if (!documented.contains(reason)) {
                missing.add("reason " + reason);
            }
        }
        assertTrue(missing.isEmpty(), "not in docs/METRICS.md: " + missing);
    }

    @Test
    void theReadmeLinksThePageInsideTheRepository() throws IOException {
        String readme = Files.readString(TestSupport.repoRoot().resolve("README.md"));
        assertTrue(readme.contains("(docs/METRICS.md)"), "README links docs/METRICS.md");
        assertFalse(readme.contains("../shared/"), "README points outside the repository");
    }
}
