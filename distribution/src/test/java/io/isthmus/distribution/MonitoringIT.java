package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.core.Gateway;
import io.isthmus.core.testing.LeakGuard;
import io.isthmus.core.testing.TestGateways;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped monitoring files against a real Debian Prometheus (2.42) scraping a live gateway that
 * carries WebRoute and Remoted traffic: {@code promtool check rules} passes, Prometheus loads the rules,
 * every dashboard panel's query and every vector selector of every alert returns series, and two alerts
 * really go off (a dead instance; waiting connections at max-waiting).
 *
 * <p>Every protocol's row is asserted: {@link TrafficMix} drives WebRoute, Remoted, Bare, websocktunnel,
 * websockify and Wisp traffic, with refusals and egress refusals, so nothing is left pending.
 */
@ExtendWith(LeakGuard.class)
class MonitoringIT {

    private static final Path MONITORING = Path.of("src/dist/monitoring");
    /** Metric names with their label matchers, as they appear in our queries. */
    private static final Pattern SELECTOR = Pattern.compile("\\b((?:isthmus|process|jvm|netty)_[a-z_]+|up)(\\{[^}]*})?");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    static Path binary(String name) {
        Path p = Path.of("/usr/bin", name);
        assertThat(p).as(name + " is not installed; run ./test.sh, or: apt-get install -y --no-install-recommends prometheus")
                .isExecutable();
        return p;
    }

    @Test
    void rulesCheckAndEveryPanelAndAlertFindsSeries() throws Exception {
        Path rules = MONITORING.resolve("isthmus-alerts.yml").toAbsolutePath();
        ChildProcess check = ChildProcess.run(dir, Duration.ofSeconds(30), binary("promtool").toString(), "check", "rules",
                rules.toString());
        assertThat(check.exitCode()).as(check.toString()).isZero();
        assertThat(check.stdout()).contains("SUCCESS: 8 rules found");

        try (Gateway gateway = TestGateways.start(TrafficMix.config() + "isthmus.plugins.webroute.max-waiting = 1\n");
             TrafficMix traffic = TrafficMix.start(gateway, 2)) {
            int prometheusPort = Loopback.freePort();
            int deadPort = Loopback.freePort();
            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, """
                    global:
                      scrape_interval: 1s
                      evaluation_interval: 1s
                    rule_files: ["%s"]
                    scrape_configs:
                      - job_name: isthmus
                        static_configs:
                          - targets: ["127.0.0.1:%d", "127.0.0.1:%d"]
                    """.formatted(rules, gateway.adminAddress().getPort(), deadPort));
            ChildProcess promtoolConfig = ChildProcess.run(dir, Duration.ofSeconds(30), binary("promtool").toString(),
                    "check", "config", config.toString());
            assertThat(promtoolConfig.exitCode()).as(promtoolConfig.toString()).isZero();

            try (ChildProcess prometheus = ChildProcess.start(dir, Map.of(), List.of(binary("prometheus").toString(),
                    "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + prometheusPort, "--log.level=warn"))) {
                String api = "http://127.0.0.1:" + prometheusPort;
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                        .until(() -> get(api + "/-/ready").statusCode() == 200);

                List<String> panelQueries = panelQueries();
                assertThat(panelQueries).hasSizeGreaterThan(40);
                Map<String, JsonNode> alertRules = alertRules(api);
                assertThat(alertRules.keySet()).containsExactlyInAnyOrder("IsthmusDown", "IsthmusRefusalsRising",
                        "IsthmusEgressRefusalsRising", "IsthmusWaitingNearCap", "IsthmusDrainCuttingLinks", "IsthmusDrainTimedOut",
                        "IsthmusMemoryPressure", "IsthmusConfigReloadFailed");
                alertRules.forEach((name, rule) -> assertThat(rule.path("health").asText()).as(name + ": " + rule).isNotEqualTo("err"));
                Set<String> alertSelectors = new LinkedHashSet<>();
                alertRules.values().forEach(rule -> alertSelectors.addAll(selectors(rule.path("query").asText())));

                // Every name is one docs/METRICS.md documents.
                String documented = Files.readString(Path.of("../docs/METRICS.md"));
                for (String q : concat(panelQueries, alertSelectors)) {
                    for (String selector : selectors(q)) {
                        String name = selector.replaceAll("\\{.*", "").replaceAll("_(sum|count)$", "");
                        if (!name.equals("up")) {
                            assertThat(documented).as("docs/METRICS.md documents " + name).contains("`" + name);
                        }
                    }
                }

                List<String> asserted = concat(panelQueries, alertSelectors);
                // Rates need two scrapes inside their window: wait until every query has series.
                Map<String, Integer> missing = new LinkedHashMap<>();
                try {
                    await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                        missing.clear();
                        for (String q : asserted) {
                            int n = series(api, q);
                            if (n == 0) {
                                missing.put(q, n);
                            }
                        }
                        return missing.isEmpty();
                    });
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    // Reported below, query by query.
                }
                assertThat(missing.keySet()).as("queries without series").isEmpty();
                // Every alert expression as a whole is valid PromQL at run time (empty is fine: nothing is wrong).
                for (JsonNode rule : alertRules.values()) {
                    assertThat(query(api, rule.path("query").asText()).path("status").asText()).isEqualTo("success");
                }
                System.out.printf("MonitoringIT: all %d dashboard queries and %d alert selectors return series%n",
                        panelQueries.size(), alertSelectors.size());

                // Two alerts go off for real: the dead target, and one waiter against max-waiting = 1.
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    JsonNode alerts = JSON.readTree(get(api + "/api/v1/alerts").body()).path("data").path("alerts");
                    List<String> active = new ArrayList<>();
                    alerts.forEach(a -> active.add(a.path("labels").path("alertname").asText() + "/"
                            + a.path("labels").path("protocol").asText(a.path("labels").path("instance").asText())));
                    assertThat(active).contains("IsthmusDown/127.0.0.1:" + deadPort, "IsthmusWaitingNearCap/webroute");
                });
            }
        }
    }

    private static List<String> concat(List<String> a, Set<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** Every panel target of the shipped dashboard, with Grafana's variables filled in. */
    private static List<String> panelQueries() throws Exception {
        JsonNode dashboard = JSON.readTree(MONITORING.resolve("isthmus-dashboard.json").toFile());
        List<String> out = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                out.add(target.path("expr").asText().replace("$__rate_interval", "30s").replace("$instance", ".*"));
            }
        }
        return out;
    }

    /** The alerting rules as Prometheus loaded them, by name. */
    private static Map<String, JsonNode> alertRules(String api) throws Exception {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (JsonNode group : JSON.readTree(get(api + "/api/v1/rules").body()).path("data").path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                if (rule.path("type").asText().equals("alerting")) {
                    out.put(rule.path("name").asText(), rule);
                }
            }
        }
        return out;
    }

    /** The instant vector selectors of an expression: each metric name with its own label matchers. */
    static Set<String> selectors(String expr) {
        Set<String> out = new LinkedHashSet<>();
        Matcher m = SELECTOR.matcher(expr);
        while (m.find()) {
            out.add(m.group(1) + (m.group(2) == null ? "" : m.group(2)));
        }
        return out;
    }

    private static int series(String api, String query) throws Exception {
        JsonNode res = query(api, query);
        assertThat(res.path("status").asText()).as(query + " -> " + res).isEqualTo("success");
        return res.path("data").path("result").size();
    }

    private static JsonNode query(String api, String query) throws Exception {
        return JSON.readTree(get(api + "/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)).body());
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
