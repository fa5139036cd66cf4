package io.streamebm.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the PromQL out of the provisioning files (so the tests follow the files, not a copy)
 * and does the little PromQL surgery the tests need.
 */
public final class PromQl {

    public static final ObjectMapper JSON = new ObjectMapper();

    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without",
            "on", "ignoring", "group_left", "group_right", "inf", "nan", "atan2");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENT = Pattern.compile("(?<![\\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");
    private static final Pattern COMPARISON = Pattern.compile("(==|!=|>=|<=|>|<)(?!\\s*bool\\b)");

    private PromQl() {
    }

    /** A query with where it came from, for failure messages. */
    public record Query(String source, String expr) {
    }

    public static Path dashboardFile() {
        return TestSupport.repoRoot().resolve("monitoring/grafana/dashboards/streamebm-training.json");
    }

    public static Path rulesFile() {
        return TestSupport.repoRoot().resolve("monitoring/prometheus/alerts.yml");
    }

    public static Path prometheusConfigFile() {
        return TestSupport.repoRoot().resolve("monitoring/prometheus/prometheus.yml");
    }

    public static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> readYaml(Path file) {
        try {
            return (Map<String, Object>) new Yaml().load(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every panel target's expression of the dashboard (rows included, recursively). */
    public static List<Query> dashboardQueries() {
        List<Query> out = new ArrayList<>();
        collectPanels(readJson(dashboardFile()).path("panels"), out);
        return out;
    }

    private static void collectPanels(JsonNode panels, List<Query> out) {
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asText("");
                if (!expr.isBlank()) {
                    out.add(new Query("panel '" + panel.path("title").asText() + "' target "
                            + target.path("refId").asText(), expr));
                }
            }
            collectPanels(panel.path("panels"), out);
        }
    }

    /** Every alerting and recording rule's expression. */
    @SuppressWarnings("unchecked")
    public static List<Query> ruleQueries() {
        List<Query> out = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) readYaml(rulesFile()).get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                Object name = rule.containsKey("alert") ? rule.get("alert") : rule.get("record");
                out.add(new Query("rule " + name, String.valueOf(rule.get("expr")).strip()));
            }
        }
        return out;
    }

    /**
     * Replaces Grafana's template variables by what Grafana would send for "All" over a short
     * range, and fails on any variable left over (a panel using an undefined variable).
     */
    public static String substituteGrafanaVariables(String expr, Map<String, String> variables) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("__rate_interval", "15s");
        all.put("__interval", "15s");
        all.put("__range", "5m");
        all.putAll(variables);
        String out = expr;
        for (Map.Entry<String, String> e : all.entrySet()) {
            out = out.replace("${" + e.getKey() + "}", e.getValue()).replace("$" + e.getKey(), e.getValue());
        }
        if (out.contains("$")) {
            throw new AssertionError("unknown template variable left in: " + out);
        }
        return out;
    }

    /**
     * Makes every comparison a {@code bool} comparison, so that an alert expression returns its
     * series (as 0 or 1) whether or not the alert would fire; the test then proves that the
     * series exist. Comparisons inside label matchers and strings are left alone.
     */
    public static String withBool(String expr) {
        StringBuilder out = new StringBuilder();
        int depthBraces = 0;
        int i = 0;
        while (i < expr.length()) {
            char c = expr.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                int end = skipString(expr, i);
                out.append(expr, i, end);
                i = end;
                continue;
            }
            if (c == '{') {
                depthBraces++;
            } else if (c == '}') {
                depthBraces--;
            }
            if (depthBraces == 0) {
                Matcher m = COMPARISON.matcher(expr).region(i, expr.length());
                if (m.lookingAt() && !(c == '=' && i + 1 < expr.length() && expr.charAt(i + 1) == '~')) {
                    out.append(m.group(1)).append(" bool");
                    i = m.end();
                    continue;
                }
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    /**
     * Every metric name the dashboard's panels and the alert rules select, except {@code up}
     * (synthesized by Prometheus for each target, never exposed), sorted.
     */
    public static Set<String> referencedMetricNames() {
        List<Query> queries = new ArrayList<>(dashboardQueries());
        queries.addAll(ruleQueries());
        Set<String> names = new java.util.TreeSet<>();
        for (Query q : queries) {
            names.addAll(metricNames(q.expr()));
        }
        names.remove("up");
        return names;
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{.*})?\\s+\\S+.*$");

    /** Sample lines of a Prometheus text-format scrape, by series name. */
    public static Map<String, List<String>> samples(String scrape) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String line : scrape.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (m.matches()) {
                out.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(line);
            }
        }
        return out;
    }

    /** The metric names an expression selects. */
    public static Set<String> metricNames(String expr) {
        String s = stripStrings(expr);
        s = s.replaceAll("\\{[^}]*}", " ");
        s = s.replaceAll("\\[[^]]*]", " ");
        s = GROUPING.matcher(s).replaceAll(" ");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = IDENT.matcher(s);
        while (m.find()) {
            String id = m.group(1);
            boolean call = m.group(2) != null;
            if (!call && !KEYWORDS.contains(id.toLowerCase())) {
                names.add(id);
            }
        }
        return names;
    }

    private static String stripStrings(String expr) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < expr.length()) {
            char c = expr.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                int end = skipString(expr, i);
                out.append("\"\"");
                i = end;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static int skipString(String s, int start) {
        char quote = s.charAt(start);
        int i = start + 1;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\\' && quote != '`') {
                i += 2;
                continue;
            }
            if (c == quote) {
                return i + 1;
            }
            i++;
        }
        return s.length();
    }
}
