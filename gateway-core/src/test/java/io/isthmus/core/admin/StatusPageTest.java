package io.isthmus.core.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.core.Gateway;
import io.isthmus.core.testing.LeakGuard;
import io.isthmus.core.testing.ProbePairs;
import io.isthmus.core.testing.PrometheusText;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code /status.json} says what {@code /metrics} says, while pairs are linked; {@code /status} is served whole. */
@ExtendWith(LeakGuard.class)
class StatusPageTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    static Gateway gateway;
    static HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        gateway = TestGateways.start("isthmus.admin.top-talkers = 5\n");
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    static HttpResponse<String> get(String path) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + gateway.adminAddress().getPort() + path);
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode protocol(JsonNode status, String name) {
        for (JsonNode p : status.path("protocols")) {
            if (p.path("protocol").asText().equals(name)) {
                return p;
            }
        }
        throw new AssertionError("no protocol " + name + " in " + status);
    }

    static Map<String, Double> map(JsonNode object) {
        Map<String, Double> out = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue().asDouble());
        }
        return out;
    }

    static byte[] bytes(int n, long seed) {
        byte[] out = new byte[n];
        new java.util.Random(seed).nextBytes(out);
        return out;
    }

    @Test
    void jsonFiguresMatchMetricsWhilePairsAreLinked() throws Exception {
        try (RawClient stray = new RawClient(gateway.address())) {
            stray.send("GET /nowhere-status HTTP/1.1\r\nHost: x\r\n\r\n");
            stray.readToEof();
        }
        try (ProbePairs.Linked one = ProbePairs.link(gateway, "");
             ProbePairs.Linked two = ProbePairs.link(gateway, "")) {
            byte[] up = bytes(10_000, 1);
            byte[] down = bytes(30_000, 2);
            one.a().send(up);
            assertThat(one.b().readExactly(up.length)).isEqualTo(up);
            one.b().send(down);
            assertThat(one.a().readExactly(down.length)).isEqualTo(down);
            two.a().send(up);
            assertThat(two.b().readExactly(up.length)).isEqualTo(up);
            await().atMost(Duration.ofSeconds(5)).until(() -> one.splice().upstreamBytes() + two.splice().upstreamBytes() == 2L * up.length
                    && one.splice().downstreamBytes() == down.length);

            // Nothing moves now: both views must agree exactly.
            JsonNode status = JSON.readTree(get("/status.json").body());
            PrometheusText metrics = PrometheusText.parse(get("/metrics").body());
            for (String name : new String[] {"probe", "http"}) {
                JsonNode p = protocol(status, name);
                assertThat(p.path("connections").asDouble()).as(name + " connections")
                        .isEqualTo(metrics.sum("isthmus_connections_active", "protocol", name));
                assertThat(p.path("links").asDouble()).as(name + " links")
                        .isEqualTo(metrics.sum("isthmus_splices_active", "protocol", name));
                assertThat(map(p.path("rejections"))).as(name + " rejections")
                        .isEqualTo(new TreeMap<>(metrics.byLabel("isthmus_rejections_total", "reason", "protocol", name)));
                assertThat(map(p.path("handshakes"))).as(name + " handshakes")
                        .isEqualTo(new TreeMap<>(metrics.byLabel("isthmus_handshakes_total", "outcome", "protocol", name)));
            }
            JsonNode probe = protocol(status, "probe");
            assertThat(probe.path("links").asLong()).isEqualTo(2);
            assertThat(probe.path("connections").asLong()).isGreaterThanOrEqualTo(0);
            assertThat(probe.path("bytesUpstream").asDouble()).isEqualTo(
                    metrics.sum("isthmus_spliced_bytes_total", "protocol", "probe", "direction", "upstream"));
            assertThat(probe.path("bytesDownstream").asDouble()).isEqualTo(
                    metrics.sum("isthmus_spliced_bytes_total", "protocol", "probe", "direction", "downstream"));
            assertThat(probe.path("linksTotal").asDouble()).isEqualTo(metrics.sum("isthmus_splices_total", "protocol", "probe"));
            assertThat(protocol(status, "http").path("rejections").path("no_route").asLong()).isPositive();
            assertThat(status.path("state").asText()).isEqualTo("ready");

            // Top talkers: both probe links come from one loopback network, with exactly their bytes.
            JsonNode talker = status.path("topTalkers").get(0);
            assertThat(talker.path("protocol").asText()).isEqualTo("probe");
            assertThat(talker.path("client").asText()).matches("c-[0-9a-f]{8}");
            assertThat(talker.path("links").asInt()).isEqualTo(2);
            assertThat(talker.path("bytesUpstream").asLong()).isEqualTo(2L * up.length);
            assertThat(talker.path("bytesDownstream").asLong()).isEqualTo(down.length);

            // Rates: the bytes and links above show up per second within the window.
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200)).until(() -> {
                JsonNode p = protocol(JSON.readTree(get("/status.json").body()), "probe");
                return p.path("bytesUpstreamPerSecond").asDouble() > 0 && p.path("linksPerSecond").asDouble() > 0;
            });
        }
    }

    @Test
    void theJsonNamesNoAddressPathOrId() throws Exception {
        try (ProbePairs.Linked linked = ProbePairs.link(gateway, "")) {
            String body = get("/status.json").body();
            assertThat(body).doesNotContain("127.0.0.1").doesNotContain("/pair/").doesNotContain(linked.toString());
            assertThat(JSON.readTree(body).path("topTalkers")).isNotEmpty();
        }
    }

    @Test
    void thePageIsServedWithItsOwnFilesOnly() throws Exception {
        HttpResponse<String> page = get("/status");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("content-security-policy")).hasValueSatisfying(csp ->
                assertThat(csp).contains("default-src 'none'").contains("script-src 'self'").contains("connect-src 'self'"));
        assertThat(page.headers().firstValue("cache-control")).hasValue("no-store");
        assertThat(page.body()).contains("<script src=\"status.js\"").contains("status.css").doesNotContain("http://")
                .doesNotContain("https://");
        assertThat(get("/status.js").body()).contains("status.json").doesNotContain("http://").doesNotContain("https://");
        assertThat(get("/status.css").statusCode()).isEqualTo(200);
        assertThat(get("/status.json").headers().firstValue("content-type")).hasValue("application/json");
    }
}
