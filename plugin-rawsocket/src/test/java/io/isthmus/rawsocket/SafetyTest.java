package io.isthmus.rawsocket;

import static io.isthmus.rawsocket.WebsockifyConformanceTest.counter;
import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.TestGateways;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What keeps the bridge from being an open proxy: the default egress policy (loopback, private and metadata
 * targets refused, a listener recording that nothing arrived), allow-lists, the Origin rule, the per-IP cap,
 * and per-connection options refused before any dial.
 */
class SafetyTest {

    static LoopbackTargets recorded;
    static LoopbackTargets echoes;
    static int recorder;
    static int echo;
    /** Default egress policy; client targets on for websockify, wsproxy and udp. */
    static Gateway strict;
    /** Loopback allowed, client targets on, so that a dial would succeed if an option let it through. */
    static Gateway open;

    @BeforeAll
    static void start() throws Exception {
        recorded = new LoopbackTargets();
        echoes = new LoopbackTargets();
        recorder = recorded.recorder();
        echo = echoes.echo();
        strict = TestGateways.start("""
                isthmus.plugins.rawsocket {
                  websockify.client-targets = true
                  wsproxy.enabled = true
                  udp.client-targets = true
                  demo.services = false
                }
                """);
        open = TestGateways.start("""
                isthmus.egress.allow-cidrs = ["127.0.0.0/8"]
                isthmus.plugins.rawsocket {
                  allowed-origins = ["https://app.example"]
                  max-connections-per-ip = 3
                  websockify { client-targets = true, allow-ports = ["%d", "%d"] }
                  demo.services = false
                }
                """.formatted(echo, recorder));
    }

    @AfterAll
    static void stop() throws Exception {
        strict.close();
        open.close();
        recorded.close();
        echoes.close();
    }

    private static WsClient.Frame closeOf(Gateway g, String target) throws IOException {
        try (WsClient ws = WsClient.connectBinary(g.address(), target)) {
            assertThat(ws.status).as(target).isEqualTo(101);
            WsClient.Frame f = ws.readDataOrClose();
            assertThat(f.opcode()).as(target).isEqualTo(WsClient.CLOSE);
            return f;
        }
    }

    @Test
    void loopbackPrivateAndMetadataTargetsAreRefusedByTheDefaultPolicy() throws IOException {
        String[] targets = {
            "/sockets/websockify?host=127.0.0.1&port=" + recorder,
            "/sockets/websockify?remoteAddress=localhost&remotePort=" + recorder,
            "/sockets/websockify?host=%5B::ffff:127.0.0.1%5D&port=" + recorder,
            "/sockets/websockify?host=2130706433&port=" + recorder,
            "/sockets/ws/127.0.0.1:" + recorder,
            "/sockets/ws/10.0.0.1:80",
            "/sockets/ws/192.168.1.1:5900",
            "/sockets/ws/169.254.169.254:80",
            "/sockets/ws/metadata.google.internal:80",
            "/sockets/ws/%5Bfd00:ec2::254%5D:80",
            "/sockets/udp/127.0.0.1:" + recorder,
        };
        double before = counter(strict, "isthmus_egress_refusals_total", "protocol=\"rawsocket\"");
        for (String target : targets) {
            WsClient.Frame close = closeOf(strict, target);
            assertThat(close.closeCode()).as(target).isEqualTo(1011);
            assertThat(close.closeReason()).as(target).startsWith("Failed to connect to downstream server: ");
        }
        assertThat(recorded.accepted.get()).isZero();
        double refusals = 0;
        for (String line : strict.metrics().scrape().split("\n")) {
            if (line.startsWith("isthmus_egress_refusals_total{") && line.contains("protocol=\"rawsocket\"")) {
                refusals += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        assertThat(refusals).isGreaterThanOrEqualTo(targets.length);
    }

    @Test
    void clientTargetsAreOffByDefaultAndTokensNeedAFile() throws IOException {
        try (Gateway defaults = TestGateways.start("isthmus.egress.allow-cidrs = [\"127.0.0.0/8\"]")) {
            WsClient.Frame close = closeOf(defaults, "/sockets/websockify?host=127.0.0.1&port=" + recorder);
            assertThat(close.closeCode()).isEqualTo(1008);
            assertThat(close.closeReason()).isEqualTo("No target: give ?token=NAME");
            try (WsClient ws = WsClient.connectBinary(defaults.address(), "/sockets/udp/127.0.0.1:" + recorder)) {
                assertThat(ws.status).as("no path targets on udp by default").isEqualTo(404);
            }
            try (WsClient ws = WsClient.connectBinary(defaults.address(), "/sockets/ws/127.0.0.1:" + recorder)) {
                assertThat(ws.status).as("wsproxy is off by default").isEqualTo(404);
            }
        }
        assertThat(recorded.accepted.get()).isZero();
    }

    @Test
    void optionsOutOfRangeAreRefusedBeforeAnyDialNamingTheOption() throws IOException {
        String base = "/sockets/websockify?host=127.0.0.1&port=" + recorder + "&";
        Map<String, String> cases = Map.of(
                "keepAliveDelay=999", "Invalid option keepAliveDelay: must be at least 1000 ms",
                "sendBufferSize=0", "Invalid option sendBufferSize: must be more than 0",
                "receiveBufferSize=-5", "Invalid option receiveBufferSize: expected a whole number",
                "noDelay=yes", "Invalid option noDelay: expected true or false",
                "dnsQueryType=ipv5", "Invalid option dnsQueryType: expected ipv4 or ipv6",
                "connectTimeout=0", "Invalid option connectTimeout: must be more than 0 ms",
                "idleTimeout=99999999", "Invalid option idleTimeout: must be at most 3600000 ms");
        for (var c : cases.entrySet()) {
            WsClient.Frame close = closeOf(open, base + c.getKey());
            assertThat(close.closeCode()).as(c.getKey()).isEqualTo(1008);
            assertThat(close.closeReason()).as(c.getKey()).isEqualTo(c.getValue());
        }
        assertThat(recorded.accepted.get()).isZero();
        assertThat(counter(open, "isthmus_rejections_total", "reason=\"invalid_option\"")).isGreaterThanOrEqualTo(cases.size());
    }

    @Test
    void validOptionsAreApplied() throws IOException {
        String target = "/sockets/websockify?host=127.0.0.1&port=" + echo
                + "&noDelay=false&keepAliveDelay=2000&sendBufferSize=65536&receiveBufferSize=99999999"
                + "&dnsQueryType=ipv4&connectTimeout=2000&idleTimeout=60000";
        try (WsClient ws = WsClient.connectBinary(open.address(), target)) {
            ws.sendBinary(new byte[] {9, 8, 7});
            assertThat(ws.readBytes(3)).containsExactly(9, 8, 7);
        }
    }

    @Test
    void theClientsIdleTimeoutClosesWith1001() throws IOException {
        try (WsClient ws = WsClient.connectBinary(open.address(), "/sockets/websockify?host=127.0.0.1&port=" + echo + "&idleTimeout=300")) {
            ws.sendBinary(new byte[] {1});
            assertThat(ws.readBytes(1)).containsExactly(1);
            WsClient.Frame close = ws.readDataOrClose();
            assertThat(close.closeCode()).isEqualTo(1001);
            assertThat(close.closeReason()).isEqualTo("Idle timeout");
        }
    }

    @Test
    void anIpv6OnlyQueryForAnIpv4TargetIsRefused() throws IOException {
        WsClient.Frame close = closeOf(open, "/sockets/websockify?host=127.0.0.1&port=" + echo + "&dnsQueryType=ipv6");
        assertThat(close.closeCode()).isEqualTo(1011);
        assertThat(close.closeReason()).contains("is not an IPv6 address");
    }

    @Test
    void targetsOffTheEndpointsAllowListAreRefused() throws IOException {
        WsClient.Frame close = closeOf(open, "/sockets/websockify?host=127.0.0.1&port=" + LoopbackTargets.closedPort());
        assertThat(close.closeCode()).isEqualTo(1008);
        assertThat(close.closeReason()).startsWith("Target not allowed");
    }

    @Test
    void pagesFromOtherOriginsAreRefusedUnlessListed() throws IOException {
        String target = "/sockets/websockify?host=127.0.0.1&port=" + echo;
        try (WsClient ws = WsClient.connect(open.address(), target, Map.of("Origin", "https://evil.example"))) {
            assertThat(ws.status).isEqualTo(403);
        }
        try (WsClient ws = WsClient.connect(open.address(), target, Map.of("Origin", "https://app.example"))) {
            assertThat(ws.status).isEqualTo(101);
        }
        String own = "http://" + open.address().getHostString() + ":" + open.address().getPort();
        try (WsClient ws = WsClient.connect(open.address(), target, Map.of("Origin", own))) {
            assertThat(ws.status).isEqualTo(101);
        }
    }

    @Test
    void connectionsPerAddressAreCapped() throws IOException {
        String target = "/sockets/websockify?host=127.0.0.1&port=" + echo;
        try (WsClient a = WsClient.connectBinary(open.address(), target);
             WsClient b = WsClient.connectBinary(open.address(), target);
             WsClient c = WsClient.connectBinary(open.address(), target);
             WsClient d = WsClient.connectBinary(open.address(), target)) {
            assertThat(new int[] {a.status, b.status, c.status}).containsOnly(101);
            assertThat(d.status).isEqualTo(429);
        }
    }
}
