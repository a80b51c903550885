package io.isthmus.rawsocket.wisp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.core.Gateway;
import io.isthmus.core.testing.NodeScripts;
import io.isthmus.core.testing.TestGateways;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real npm {@code @mercuryworkshop/wisp-js} 0.5.0 client, run by Node, against the gateway: v2 and v1,
 * TCP and UDP, 8 concurrent streams, flow control over 300 packets, a refused target (0x44) and, on a
 * gateway with the default egress policy, blocked loopback targets (0x48); and the wsproxy URL convention
 * through the client's {@code WispWebSocket}, beside a plain WebSocket on both raw wsproxy paths.
 */
class WispJsClientInteropTest {

    static LoopbackServices services;
    static Gateway open;
    static Gateway strict;

    @BeforeAll
    static void start() {
        services = new LoopbackServices();
        open = TestGateways.start("""
                isthmus.plugins.rawsocket.wisp {
                  egress.allow-cidrs = ["127.0.0.0/8"]
                  motd = "hello from isthmus"
                }
                isthmus.plugins.rawsocket.wsproxy.enabled = true
                isthmus.plugins.rawsocket.egress.allow-cidrs = ["127.0.0.0/8"]
                """);
        strict = TestGateways.start("");
    }

    @AfterAll
    static void stop() {
        open.close();
        strict.close();
        services.close();
    }

    static String wispUrl(Gateway g) {
        return "ws://127.0.0.1:" + g.address().getPort() + "/sockets/wisp/";
    }

    static Path script(String name) {
        return Path.of("src/test/resources/wisp", name).toAbsolutePath();
    }

    @Test
    void theWispJsClientPassesEveryCheck() throws Exception {
        NodeScripts.Run run = NodeScripts.run(script("wisp-js-client.cjs"),
                List.of(wispUrl(open), wispUrl(strict), Integer.toString(services.tcpEcho()),
                        Integer.toString(services.udpEcho()), Integer.toString(LoopbackServices.closedPort())),
                Map.of(), Duration.ofSeconds(90));
        System.out.println(run.lastLine());
        JsonNode report = new ObjectMapper().readTree(run.lastLine());
        assertThat(report.path("results").size()).as(run.toString()).isEqualTo(14);
        for (JsonNode r : report.path("results")) {
            assertThat(r.path("ok").asBoolean()).as(r.path("name").asText() + ": " + r.path("detail")).isTrue();
        }
        assertThat(run.exitCode()).as(run.toString()).isZero();
    }

    @Test
    void wsproxyUrlsWorkThroughWispWebSocketAndBothRawPaths() throws Exception {
        String base = "ws://127.0.0.1:" + open.address().getPort();
        NodeScripts.Run run = NodeScripts.run(script("wisp-js-wsproxy.cjs"),
                List.of(wispUrl(open), base + "/sockets/ws/", Integer.toString(services.tcpEcho()),
                        Integer.toString(services.tcpBanner("hello"))),
                Map.of(), Duration.ofSeconds(60));
        System.out.println(run.lastLine());
        JsonNode report = new ObjectMapper().readTree(run.lastLine());
        assertThat(report.path("results").size()).as(run.toString()).isEqualTo(6);
        for (JsonNode r : report.path("results")) {
            assertThat(r.path("ok").asBoolean()).as(r.path("name").asText() + ": " + r.path("detail")).isTrue();
        }
        assertThat(run.exitCode()).as(run.toString()).isZero();
    }
}
