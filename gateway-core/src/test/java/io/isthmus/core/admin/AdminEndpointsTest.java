package io.isthmus.core.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The admin listener scraped over real HTTP, and kept off the public port. */
class AdminEndpointsTest {

    static Gateway gateway;
    static HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        gateway = TestGateways.start("");
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    static HttpResponse<String> get(String path) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + gateway.adminAddress().getPort() + path);
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthAndReadinessAnswer200() throws Exception {
        assertThat(get("/healthz").statusCode()).isEqualTo(200);
        assertThat(get("/livez").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = get("/readyz");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ready\n");
    }

    @Test
    void metricsArePrometheusTextWithCoreMeters() throws Exception {
        // Some traffic first, so that per-protocol meters exist.
        try (RawClient c = new RawClient(gateway.address())) {
            c.send("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
            c.readToEof();
        }
        HttpResponse<String> res = get("/metrics");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("content-type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain"));
        assertThat(res.body())
                .contains("isthmus_build_info{")
                .contains("jvm_memory_used_bytes")
                .contains("isthmus_connections_active{protocol=\"http\"}")
                .contains("isthmus_rejections_total{protocol=\"http\",reason=\"no_route\"}")
                .contains("netty_allocator_memory_used");
    }

    @Test
    void metricsLabelsNeverCarryPathsOrAddresses() throws Exception {
        try (RawClient c = new RawClient(gateway.address())) {
            c.send("GET /secret-path-xyz HTTP/1.1\r\nHost: x\r\n\r\n");
            c.readToEof();
        }
        assertThat(get("/metrics").body()).doesNotContain("secret-path-xyz").doesNotContain("127.0.0.1");
    }

    @Test
    void spliceMetersHaveTheirDocumentedNames() throws Exception {
        String head = "GET /pair/metrics-names HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: probe-pair\r\n\r\n";
        try (RawClient a = new RawClient(gateway.address())) {
            a.send(head);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> gateway.metrics().protocol("http").activeConnections() >= 1);
            try (RawClient b = new RawClient(gateway.address())) {
                b.send(head);
                a.readHead();
                b.readHead();
                a.send("12345");
                b.readExactly(5);
            }
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> gateway.splices().liveCount() == 0);
        assertThat(get("/metrics").body())
                .contains("isthmus_spliced_bytes_total{direction=\"upstream\",protocol=\"probe\"} 5.0")
                .contains("isthmus_splices_active{protocol=\"probe\"} 0")
                .contains("isthmus_splice_duration_seconds_count{protocol=\"probe\"}");
    }

    @Test
    void unknownAdminPathsAre404() throws Exception {
        assertThat(get("/nope").statusCode()).isEqualTo(404);
    }

    @Test
    void adminPathsAreNotServedOnThePublicPort() throws IOException {
        try (RawClient c = new RawClient(gateway.address())) {
            c.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 404 ");
        }
    }
}
