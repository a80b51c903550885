package io.isthmus.webroute;

import static io.isthmus.webroute.Wire.OK101;
import static io.isthmus.webroute.Wire.awaitWaiting;
import static io.isthmus.webroute.Wire.park;
import static io.isthmus.webroute.Wire.readAscii;
import static io.isthmus.webroute.Wire.request;
import static io.isthmus.webroute.Wire.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The WebRoute meters as Prometheus shows them, and that no ID, path or address ever becomes a label. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebRouteMetricsTest {

    static Gateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateways.start("isthmus.plugins.webroute { default-timeout = 1s, half-close = true }");
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void waitingLinksTimeoutsRejectionsAndBytesAreCountedWithoutIdentifyingLabels() throws IOException {
        String secretId = "SECRET-ID-4711";
        String secretPath = "/secret-path-0815";
        try (RawClient a = park(gateway, request(secretPath, secretId))) {
            assertThat(gateway.metrics().scrape()).contains("isthmus_webroute_waiting{protocol=\"webroute\"} 1.0");
            try (RawClient b = send(gateway, request(secretPath, secretId))) {
                readAscii(a, OK101.length());
                readAscii(b, OK101.length());
                a.send("12345");
                assertThat(readAscii(b, 5)).isEqualTo("12345");
                b.send("123");
                assertThat(readAscii(a, 3)).isEqualTo("123");
                // half-close = true: A's FIN reaches B, and B may still answer.
                a.shutdownOutput();
                assertThat(b.isClosedByPeer()).isTrue();
                b.send("late");
                assertThat(readAscii(a, 4)).isEqualTo("late");
            }
        }
        try (RawClient lone = park(gateway, request("/lone", "x"))) {
            assertThat(lone.readToEofAscii()).isEqualTo(Wire.GATEWAY_TIMEOUT);
        }
        try (RawClient bad = send(gateway, request("/bad", "x").replace("GET", "PUT"))) {
            bad.readToEof();
        }
        awaitWaiting(gateway, 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.splices().liveCount() == 0);

        String scrape = gateway.metrics().scrape();
        assertThat(scrape)
                .contains("isthmus_webroute_waiting{protocol=\"webroute\"} 0.0")
                .contains("isthmus_handshakes_total{outcome=\"linked\",protocol=\"webroute\"} 1.0")
                .contains("isthmus_handshakes_total{outcome=\"timeout\",protocol=\"webroute\"} 1.0")
                .contains("isthmus_rejections_total{protocol=\"webroute\",reason=\"method_not_allowed\"} 1.0")
                .contains("isthmus_spliced_bytes_total{direction=\"upstream\",protocol=\"webroute\"} 5.0")
                .contains("isthmus_spliced_bytes_total{direction=\"downstream\",protocol=\"webroute\"} 7.0")
                .contains("isthmus_splice_duration_seconds_count{protocol=\"webroute\"} 1")
                .contains("isthmus_webroute_wait_seconds_count{protocol=\"webroute\"} 1")
                .doesNotContain(secretId).doesNotContain("secret-path").doesNotContain("127.0.0.1");
    }
}
