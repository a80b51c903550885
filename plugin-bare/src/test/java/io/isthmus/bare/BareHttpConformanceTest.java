package io.isthmus.bare;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** §D cases 1-18 (generic and v3 HTTP) against a real origin on loopback; egress widened to loopback here only. */
class BareHttpConformanceTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestOrigin origin;
    private static Gateway gateway;

    @BeforeAll
    static void start() throws Exception {
        origin = new TestOrigin();
        gateway = TestGateways.start("""
                isthmus.plugins.bare.egress.allow-cidrs = ["127.0.0.0/8"]
                isthmus.plugins.bare.manifest.maintainer-email = "ops@example.org"
                """);
    }

    @AfterAll
    static void stop() {
        gateway.close();
        origin.close();
    }

    private Wire.Response send(String head) throws Exception {
        return send(head, null);
    }

    private Wire.Response send(String head, byte[] body) throws Exception {
        try (RawClient c = new RawClient(gateway.address())) {
            c.send(head);
            if (body != null) {
                c.send(body);
            }
            return Wire.read(c, head.startsWith("HEAD "));
        }
    }

    private String hostHeaders() {
        return "X-Bare-Headers: {\"Host\":\"127.0.0.1:" + origin.port() + "\"}";
    }

    private Wire.Response v3(String path, String... more) throws Exception {
        String[] lines = new String[more.length + 2];
        lines[0] = "X-Bare-URL: " + origin.base() + path;
        lines[1] = hostHeaders();
        System.arraycopy(more, 0, lines, 2, more.length);
        return send(Wire.head("GET", "/bare/v3/", lines));
    }

    private static void assertCors(Wire.Response r) {
        assertThat(r.header("access-control-allow-origin")).isEqualTo("*");
        assertThat(r.header("access-control-allow-headers")).isEqualTo("*");
        assertThat(r.header("access-control-allow-methods")).isEqualTo("*");
        assertThat(r.header("access-control-expose-headers")).isEqualTo("*");
        assertThat(r.header("access-control-max-age")).isEqualTo("7200");
        assertThat(r.header("x-robots-tag")).isEqualTo("noindex");
    }

    private static void assertError(Wire.Response r, int status, String code, String id) throws Exception {
        assertThat(r.status()).isEqualTo(status);
        assertThat(r.header("content-type")).isEqualTo("application/json");
        JsonNode json = JSON.readTree(r.body());
        assertThat(json.get("code").asText()).isEqualTo(code);
        if (id != null) {
            assertThat(json.get("id").asText()).isEqualTo(id);
        }
        assertCors(r);
    }

    @Test
    void case01_manifest() throws Exception {
        Wire.Response r = send(Wire.head("GET", "/bare/"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("content-type")).isEqualTo("application/json");
        assertCors(r);
        JsonNode json = JSON.readTree(r.body());
        assertThat(json.get("versions").toString()).isEqualTo("[\"v1\",\"v2\",\"v3\"]");
        assertThat(json.get("language").asText()).isEqualTo("Java");
        assertThat(json.get("memoryUsage").isNumber()).isTrue();
        assertThat(json.at("/maintainer/email").asText()).isEqualTo("ops@example.org");
        assertThat(json.at("/project/name").asText()).isEqualTo("isthmus");
    }

    @Test
    void case02_optionsAnywhere() throws Exception {
        for (String path : List.of("/bare/v3/", "/bare/nonexistent")) {
            Wire.Response r = send(Wire.head("OPTIONS", path));
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEmpty();
            assertCors(r);
        }
    }

    @Test
    void case03_unknownRoutes() throws Exception {
        assertError(send(Wire.head("GET", "/bare/v4/")), 404, "UNKNOWN", "error.NotFoundError");
        assertError(send(Wire.head("GET", "/bare/v3")), 404, "UNKNOWN", "error.NotFoundError");
    }

    @Test
    void case04_forwardsHeadersAndReportsRemote() throws Exception {
        Wire.Response r = send(Wire.head("GET", "/bare/v3/",
                "X-Bare-URL: " + origin.base() + "/echo?q=1",
                "X-Bare-Headers: {\"Host\":\"127.0.0.1:" + origin.port() + "\",\"X-Test\":[\"1\",\"2\"]}",
                "Accept-Encoding: gzip", "Accept-Language: fr", "User-Agent: outer-ua"));
        assertThat(r.status()).isEqualTo(200);
        assertCors(r);
        assertThat(r.header("x-bare-status")).isEqualTo("200");
        assertThat(r.header("x-bare-status-text")).isEqualTo("OK");
        JsonNode remoteHeaders = JSON.readTree(r.header("x-bare-headers"));
        assertThat(remoteHeaders.get("Content-Type").asText()).isEqualTo("application/json");
        assertThat(remoteHeaders.get("Set-Cookie").toString()).isEqualTo("[\"a=1\",\"b=2\"]");
        JsonNode seen = JSON.readTree(r.body());
        assertThat(seen.get("uri").asText()).isEqualTo("/echo?q=1");
        assertThat(seen.get("headers").toString()).isEqualTo("[[\"Host\",\"127.0.0.1:" + origin.port() + "\"],"
                + "[\"X-Test\",\"1\"],[\"X-Test\",\"2\"],[\"accept-encoding\",\"gzip\"],[\"accept-language\",\"fr\"]]");
    }

    @Test
    void case05_remoteStatusIsReported() throws Exception {
        Wire.Response r = v3("/status?code=404&text=Nope");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("x-bare-status")).isEqualTo("404");
        assertThat(r.header("x-bare-status-text")).isEqualTo("Nope");
        assertThat(r.text()).isEqualTo("status-body");
    }

    @Test
    void case06_passStatus() throws Exception {
        assertThat(v3("/status?code=404&text=Nope", "X-Bare-Pass-Status: 404").status()).isEqualTo(404);
        Wire.Response noContent = v3("/status?code=204&text=No", "X-Bare-Pass-Status: 204");
        assertThat(noContent.status()).isEqualTo(204);
        assertThat(noContent.body()).isEmpty();
        // Not passed: a 200 that says it has no body, so the connection stays usable.
        Wire.Response plain = v3("/status?code=204&text=No");
        assertThat(plain.status()).isEqualTo(200);
        assertThat(plain.header("content-length")).isEqualTo("0");
    }

    @Test
    void case07_missingHeaders() throws Exception {
        assertError(send(Wire.head("GET", "/bare/v3/", hostHeaders())), 400, "MISSING_BARE_HEADER", "request.headers.x-bare-url");
        assertError(send(Wire.head("GET", "/bare/v3/", "X-Bare-URL: " + origin.base() + "/echo")), 400,
                "MISSING_BARE_HEADER", "request.headers.x-bare-headers");
    }

    @Test
    void case08_invalidBareHeaders() throws Exception {
        assertError(send(Wire.head("GET", "/bare/v3/", "X-Bare-URL: " + origin.base() + "/echo", "X-Bare-Headers: {bad")),
                400, "INVALID_BARE_HEADER", "request.headers.x-bare-headers");
        assertError(send(Wire.head("GET", "/bare/v3/", "X-Bare-URL: " + origin.base() + "/echo", "X-Bare-Headers: {\"a\":1}")),
                400, "INVALID_BARE_HEADER", "bare.headers.a");
    }

    @Test
    void case09_unusableUrls() throws Exception {
        for (String url : List.of("ftp://127.0.0.1/", "not a url")) {
            Wire.Response r = send(Wire.head("GET", "/bare/v3/", "X-Bare-URL: " + url, hostHeaders()));
            assertThat(r.status()).isBetween(400, 599);
            assertThat(JSON.readTree(r.body()).get("code").asText()).isNotEmpty();
            assertCors(r);
        }
    }

    @Test
    void case10_forwardHeaders() throws Exception {
        assertError(v3("/echo", "X-Bare-Forward-Headers: user-agent, host"), 400, "FORBIDDEN_BARE_HEADER",
                "request.headers.x-bare-forward-headers");
        Wire.Response r = v3("/echo", "X-Bare-Forward-Headers: user-agent", "User-Agent: fwd-ua");
        assertThat(JSON.readTree(r.body()).get("headers").toString()).contains("[\"user-agent\",\"fwd-ua\"]");
    }

    @Test
    void case11_passHeadersAndStatusChecked() throws Exception {
        assertError(v3("/echo", "X-Bare-Pass-Headers: vary"), 400, "FORBIDDEN_BARE_HEADER", null);
        assertError(v3("/echo", "X-Bare-Pass-Status: 200, abc"), 400, "INVALID_BARE_HEADER", "request.headers.x-bare-pass-status");
    }

    @Test
    void case12_cacheModePassesCacheHeaders() throws Exception {
        Wire.Response cached = send(Wire.head("GET", "/bare/v3/?cache=abc", "X-Bare-URL: " + origin.base() + "/cache", hostHeaders()));
        assertThat(cached.status()).isEqualTo(200);
        assertThat(cached.header("etag")).isEqualTo("\"abc\"");
        assertThat(cached.header("cache-control")).isEqualTo("max-age=60");
        assertThat(cached.header("last-modified")).isNotNull();
        Wire.Response plain = v3("/cache");
        assertThat(plain.header("etag")).isNull();
        assertThat(plain.header("cache-control")).isNull();
        assertThat(plain.header("last-modified")).isNotNull();
    }

    @Test
    void case13_cacheModeRevalidates() throws Exception {
        Wire.Response r = send(Wire.head("GET", "/bare/v3/?cache=abc", "X-Bare-URL: " + origin.base() + "/cache", hostHeaders(),
                "If-None-Match: \"abc\""));
        assertThat(r.status()).isEqualTo(304);
        assertThat(r.header("etag")).isEqualTo("\"abc\"");
        assertThat(r.names()).noneMatch(n -> n.startsWith("x-bare-"));
        Wire.Response plain = v3("/cache", "If-None-Match: \"abc\"");
        assertThat(plain.status()).isEqualTo(200);
        assertThat(plain.text()).isEqualTo("cached-body");
    }

    @Test
    void case14_gzipPassedThroughByteForByte() throws Exception {
        Wire.Response r = v3("/gzip", "Accept-Encoding: gzip");
        assertThat(r.header("content-encoding")).isEqualTo("gzip");
        assertThat(r.header("content-length")).isEqualTo(Integer.toString(TestOrigin.GZIP_BODY.length));
        assertThat(r.body()).isEqualTo(TestOrigin.GZIP_BODY);
    }

    @Test
    void case15_splitRequestHeadersJoined() throws Exception {
        String json = "{\"Host\":\"127.0.0.1:" + origin.port() + "\"}";
        Wire.Response r = send(Wire.head("GET", "/bare/v3/", "X-Bare-URL: " + origin.base() + "/echo",
                "X-Bare-Headers-0: ;" + json.substring(0, 10), "X-Bare-Headers-1: ;" + json.substring(10)));
        assertThat(r.status()).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).get("headers").get(0).toString()).isEqualTo("[\"Host\",\"127.0.0.1:" + origin.port() + "\"]");
        assertError(send(Wire.head("GET", "/bare/v3/", "X-Bare-URL: " + origin.base() + "/echo",
                "X-Bare-Headers-0: ;" + json.substring(0, 10), "X-Bare-Headers-1: " + json.substring(10))),
                400, "INVALID_BARE_HEADER", "request.headers.x-bare-headers-1");
    }

    @Test
    void case16_longResponseHeadersSplit() throws Exception {
        Wire.Response r = v3("/long-header");
        assertThat(r.header("x-bare-headers")).isNull();
        String p0 = r.header("x-bare-headers-0");
        String p1 = r.header("x-bare-headers-1");
        assertThat(p0).startsWith(";").hasSizeLessThanOrEqualTo(3073);
        assertThat(p1).startsWith(";").hasSizeLessThanOrEqualTo(3073);
        JsonNode joined = JSON.readTree(p0.substring(1) + p1.substring(1) + (r.header("x-bare-headers-2") == null ? ""
                : r.header("x-bare-headers-2").substring(1)));
        assertThat(joined.get("X-Long").asText()).isEqualTo(TestOrigin.LONG_VALUE);
    }

    @Test
    void case17_framingHeadersNeverReachTheRemote() throws Exception {
        byte[] body = "hello-body".getBytes(StandardCharsets.US_ASCII);
        Wire.Response r = send(Wire.head("POST", "/bare/v3/", "X-Bare-URL: " + origin.base() + "/echo",
                "X-Bare-Headers: {\"Host\":\"h\",\"Connection\":\"x\",\"Content-Length\":\"999\",\"Transfer-Encoding\":\"gzip\"}",
                "Content-Length: " + body.length), body);
        JsonNode seen = JSON.readTree(r.body());
        assertThat(seen.get("body").asText()).isEqualTo("hello-body");
        assertThat(seen.get("method").asText()).isEqualTo("POST");
        assertThat(seen.get("headers").toString()).doesNotContain("999").doesNotContain("\"Connection\"")
                .doesNotContain("gzip");
        // A chunked upload goes to the origin chunked.
        Wire.Response chunked = send(Wire.head("POST", "/bare/v3/", "X-Bare-URL: " + origin.base() + "/echo", hostHeaders(),
                "Transfer-Encoding: chunked"), "5\r\nhello\r\n6\r\n-chunk\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(JSON.readTree(chunked.body()).get("body").asText()).isEqualTo("hello-chunk");
    }

    @Test
    void case18_unreachableRemotes() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        assertError(send(Wire.head("GET", "/bare/v3/", "X-Bare-URL: http://127.0.0.1:" + closed + "/", hostHeaders())),
                500, "CONNECTION_REFUSED", "response");
        assertError(send(Wire.head("GET", "/bare/v3/", "X-Bare-URL: http://nonexistent.invalid/", hostHeaders())),
                500, "HOST_NOT_FOUND", "request");
    }

    @Test
    void expectContinueIsAnsweredByTheGateway() throws Exception {
        try (RawClient c = new RawClient(gateway.address())) {
            c.send(Wire.head("POST", "/bare/v3/", "X-Bare-URL: " + origin.base() + "/echo", hostHeaders(),
                    "Expect: 100-continue", "Content-Length: 4"));
            assertThat(c.readHead()).startsWith("HTTP/1.1 100 Continue\r\n");
            c.send("body");
            assertThat(JSON.readTree(Wire.read(c, false).body()).get("body").asText()).isEqualTo("body");
        }
    }

    @Test
    void redirectsAreReturnedNotFollowed() throws Exception {
        Wire.Response r = v3("/redirect");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("x-bare-status")).isEqualTo("302");
        assertThat(JSON.readTree(r.header("x-bare-headers")).get("Location").asText()).isEqualTo("/echo");
    }

    @Test
    void chunkedOriginBodiesAreReframed() throws Exception {
        Wire.Response r = v3("/chunked");
        assertThat(r.header("transfer-encoding")).isEqualTo("chunked");
        assertThat(r.text()).isEqualTo("part1-part2");
    }

    @Test
    void headRequestHasNoBody() throws Exception {
        Wire.Response r = send(Wire.head("HEAD", "/bare/v3/", "X-Bare-URL: " + origin.base() + "/gzip", hostHeaders()));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("content-length")).isEqualTo(Integer.toString(TestOrigin.GZIP_BODY.length));
    }

    @Test
    void keepAliveAndPipelinedRequestsShareOneConnectionEachSide() throws Exception {
        int before = origin.accepted.get();
        try (RawClient c = new RawClient(gateway.address())) {
            String one = Wire.head("GET", "/bare/v3/", "X-Bare-URL: " + origin.base() + "/status?code=200&text=A", hostHeaders());
            // Two requests in one write (pipelined), then a third after the answers.
            c.send(one + one);
            for (int i = 0; i < 2; i++) {
                Wire.Response r = Wire.read(c, false);
                assertThat(r.header("x-bare-status-text")).isEqualTo("A");
            }
            c.send(Wire.head("GET", "/bare/"));
            assertThat(Wire.read(c, false).status()).isEqualTo(200);
            c.send(one);
            assertThat(Wire.read(c, false).text()).isEqualTo("status-body");
        }
        // Every exchange above reused the first origin connection (the test's origin serves keep-alive).
        assertThat(origin.accepted.get() - before).isLessThanOrEqualTo(1);
    }

    @Test
    void metricsCountRequestsErrorsBytesAndPoolUse() throws Exception {
        v3("/status?code=200&text=M");
        v3("/status?code=200&text=M");
        send(Wire.head("GET", "/bare/v3/", hostHeaders()));
        String scrape = gateway.metrics().scrape();
        assertThat(scrape).contains("isthmus_bare_requests_total{outcome=\"ok\",protocol=\"bare\",version=\"v3\"}")
                .contains("isthmus_bare_requests_total{outcome=\"missing_bare_header\",protocol=\"bare\",version=\"v3\"}")
                .contains("isthmus_bare_body_bytes_total{direction=\"downstream\"")
                .contains("isthmus_bare_upstream_requests_total{connection=\"reused\"")
                .contains("isthmus_bare_upstream_requests_total{connection=\"new\"")
                .contains("isthmus_bare_upstream_idle_connections")
                .contains("isthmus_bare_response_head_seconds_count");
    }
}
