package io.isthmus.core.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.core.BuildInfo;
import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** An unclaimed GET / answers a small page naming the enabled protocols; it can be turned off. */
class LandingPageTest {

    private static String exchange(Gateway gateway, String request) throws IOException {
        try (RawClient c = new RawClient(gateway.address())) {
            c.send(request);
            return c.readToEofAscii();
        }
    }

    private static String body(String response) {
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }

    @Test
    void browsersGetHtmlAndApisGetJsonNamingEachProtocolAndItsMounts() throws IOException {
        try (Gateway gateway = TestGateways.start("")) {
            String html = exchange(gateway, "GET / HTTP/1.1\r\nHost: x\r\nAccept: text/html,*/*\r\n\r\n");
            assertThat(html).startsWith("HTTP/1.1 200 OK\r\n").contains("Content-Type: text/html; charset=utf-8\r\n");
            assertThat(body(html)).contains("<h1>Isthmus</h1>").contains("<td>probe</td>").contains("<code>/info/</code>")
                    .contains(BuildInfo.version());

            String json = exchange(gateway, "GET / HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n");
            assertThat(json).startsWith("HTTP/1.1 200 OK\r\n").contains("Content-Type: application/json\r\n");
            JsonNode page = new ObjectMapper().readTree(body(json));
            assertThat(page.path("version").asText()).isEqualTo(BuildInfo.version());
            assertThat(page.path("protocols").get(0).path("name").asText()).isEqualTo("probe");
            assertThat(page.path("protocols").get(0).path("mounts").toString()).contains("/pair/", "/info/deeper/");

            String head = exchange(gateway, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(head).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\n");
            // Only "/" itself: other unclaimed paths and other methods stay 404.
            assertThat(exchange(gateway, "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 404 ");
            assertThat(exchange(gateway, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")).startsWith("HTTP/1.1 404 ");
        }
    }

    @Test
    void anOperatorCanTurnItOff() throws IOException {
        try (Gateway gateway = TestGateways.start("isthmus.landing.enabled = false")) {
            assertThat(exchange(gateway, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 404 Not Found\r\n");
        }
    }
}
