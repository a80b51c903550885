package io.isthmus.bare;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** §D cases 21-26: the v3 WebSocket, v2 and v1 HTTP, the v2 and v1 WebSocket flows, against a loopback origin. */
class BareWebSocketAndLegacyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestOrigin origin;
    private static Gateway gateway;

    @BeforeAll
    static void start() throws Exception {
        origin = new TestOrigin();
        gateway = TestGateways.start("""
                isthmus.plugins.bare.egress.allow-cidrs = ["127.0.0.0/8"]
                isthmus.plugins.bare.websocket.connect-message-timeout = 1s
                isthmus.plugins.bare.websocket.handshake-timeout = 1s
                """);
    }

    @AfterAll
    static void stop() {
        gateway.close();
        origin.close();
    }

    private String ws(String path) {
        return "ws://127.0.0.1:" + gateway.address().getPort() + path;
    }

    private Wire.Response send(String head) throws Exception {
        try (RawClient c = new RawClient(gateway.address())) {
            c.send(head);
            return Wire.read(c, false);
        }
    }

    private String connect(String protocols) {
        return "{\"type\":\"connect\",\"remote\":\"ws://127.0.0.1:" + origin.port() + "/ws\",\"protocols\":" + protocols
                + ",\"headers\":{\"Host\":\"127.0.0.1:" + origin.port() + "\",\"Origin\":\"http://127.0.0.1:" + origin.port()
                + "\"},\"forwardHeaders\":[]}";
    }

    @Test
    void case21_v3WebSocketOpensAndRelaysByType() throws Exception {
        try (WsClient c = WsClient.open(ws("/bare/v3/"))) {
            c.socket.sendText(connect("[\"p1\",\"p2\"]"), true).join();
            assertThat(c.next()).isEqualTo("text:{\"type\":\"open\",\"protocol\":\"p1\",\"setCookies\":[]}");
            // The remote greets as soon as it opens: delivered after open, not lost.
            assertThat(c.next()).isEqualTo("text:greeting");
            c.socket.sendText("echo-me", true).join();
            assertThat(c.next()).isEqualTo("text:echo-me");
            c.socket.sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();
            assertThat(c.next()).isEqualTo("binary:3");
        }
    }

    @Test
    void case22_badOrLateConnectClosesWithNothingSent() throws Exception {
        for (int variant = 0; variant < 4; variant++) {
            try (WsClient c = WsClient.open(ws("/bare/v3/"))) {
                switch (variant) {
                    case 0 -> c.socket.sendBinary(ByteBuffer.wrap(connect("[]").getBytes()), true).join();
                    case 1 -> c.socket.sendText("{nope", true).join();
                    case 2 -> c.socket.sendText("{\"type\":\"hello\"}", true).join();
                    default -> {
                        // Nothing: the connect-message timeout (1 s here) closes it.
                    }
                }
                assertThat(c.end()).as("variant %d", variant).isNotNull();
                assertThat(c.messages).as("variant %d", variant).isEmpty();
            }
        }
    }

    @Test
    void remoteThatNeverAnswersTheUpgradeTimesOut() throws Exception {
        try (WsClient c = WsClient.open(ws("/bare/v3/"))) {
            // The origin reads the upgrade request for /hang and never answers it.
            c.socket.sendText("{\"type\":\"connect\",\"remote\":\"ws://127.0.0.1:" + origin.port() + "/hang\","
                    + "\"protocols\":[],\"headers\":{},\"forwardHeaders\":[]}", true).join();
            assertThat(c.end()).isNotNull();
            assertThat(c.messages).isEmpty();
        }
        assertThat(gateway.metrics().scrape()).contains("isthmus_bare_websockets_total{outcome=\"remote_failed\"");
    }

    @Test
    void case23_v2HttpHeadersChecked() throws Exception {
        String p = Integer.toString(origin.port());
        String headers = "X-Bare-Headers: {\"Host\":\"127.0.0.1:" + p + "\"}";
        assertThat(JSON.readTree(send(Wire.head("GET", "/bare/v2/", "X-Bare-Port: " + p, "X-Bare-Protocol: http:",
                "X-Bare-Path: /", headers)).body()).get("id").asText()).isEqualTo("request.headers.x-bare-host");
        Wire.Response port = send(Wire.head("GET", "/bare/v2/", "X-Bare-Host: 127.0.0.1", "X-Bare-Port: abc",
                "X-Bare-Protocol: http:", "X-Bare-Path: /", headers));
        assertThat(port.status()).isEqualTo(400);
        assertThat(JSON.readTree(port.body()).get("code").asText()).isEqualTo("INVALID_BARE_HEADER");
        Wire.Response protocol = send(Wire.head("GET", "/bare/v2/", "X-Bare-Host: 127.0.0.1", "X-Bare-Port: " + p,
                "X-Bare-Protocol: ftp:", "X-Bare-Path: /", headers));
        assertThat(protocol.status()).isEqualTo(400);
        assertThat(JSON.readTree(protocol.body()).get("code").asText()).isEqualTo("INVALID_BARE_HEADER");
        Wire.Response ok = send(Wire.head("GET", "/bare/v2/", "X-Bare-Host: 127.0.0.1", "X-Bare-Port: " + p,
                "X-Bare-Protocol: http:", "X-Bare-Path: /v2path?z=1", headers));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.header("x-bare-status")).isEqualTo("404");
        assertThat(origin.requests).anyMatch(r -> r.startsWith("GET /v2path?z=1\n"));
    }

    private String newMeta(int version, String path) throws Exception {
        String p = Integer.toString(origin.port());
        Wire.Response r = send(Wire.head("GET", "/bare/v" + version + "/ws-new-meta", "X-Bare-Host: 127.0.0.1",
                "X-Bare-Port: " + p, "X-Bare-Protocol: ws:", "X-Bare-Path: " + path,
                "X-Bare-Headers: {\"Host\":\"127.0.0.1:" + p + "\",\"Upgrade\":\"websocket\",\"Connection\":\"Upgrade\"}"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text()).matches("[0-9a-f]{32}");
        return r.text();
    }

    private Wire.Response meta(int version, String id) throws Exception {
        return send(Wire.head("GET", "/bare/v" + version + "/ws-meta", "X-Bare-ID: " + id));
    }

    @Test
    void case24_v2WebSocketFlow() throws Exception {
        String id = newMeta(2, "/ws");
        Wire.Response early = meta(2, id);
        assertThat(early.status()).isEqualTo(400);
        assertThat(JSON.readTree(early.body()).get("message").asText()).isEqualTo("Meta not ready");
        try (WsClient c = WsClient.open(ws("/bare/v2/"), id)) {
            assertThat(c.socket.getSubprotocol()).isEqualTo(id);
            assertThat(c.next()).isEqualTo("text:greeting");
            c.socket.sendText("v2-echo", true).join();
            assertThat(c.next()).isEqualTo("text:v2-echo");
            Wire.Response m = meta(2, id);
            assertThat(m.status()).isEqualTo(200);
            assertThat(m.header("x-bare-status")).isEqualTo("101");
            assertThat(JSON.readTree(m.header("x-bare-headers")).toString()).containsIgnoringCase("sec-websocket-accept");
            assertThat(JSON.readTree(meta(2, id).body()).get("message").asText()).isEqualTo("Unregistered ID");
        }
        Wire.Response unknown = meta(2, "0123456789abcdef0123456789abcdef");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(JSON.readTree(unknown.body()).get("code").asText()).isEqualTo("INVALID_BARE_HEADER");
    }

    @Test
    void case25_v1Http() throws Exception {
        String p = Integer.toString(origin.port());
        String[] base = {"X-Bare-Host: 127.0.0.1", "X-Bare-Port: " + p, "X-Bare-Protocol: http:", "X-Bare-Path: /echo",
            "X-Bare-Headers: {\"Host\":\"127.0.0.1:" + p + "\"}", "Accept-Language: de"};
        Wire.Response missing = send(Wire.head("GET", "/bare/v1/", base));
        assertThat(missing.status()).isEqualTo(400);
        assertThat(JSON.readTree(missing.body()).get("code").asText()).isEqualTo("MISSING_BARE_HEADER");
        String[] with = java.util.Arrays.copyOf(base, base.length + 1);
        with[base.length] = "X-Bare-Forward-Headers: [\"accept-language\"]";
        Wire.Response ok = send(Wire.head("GET", "/bare/v1/", with));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.header("x-bare-status")).isEqualTo("200");
        assertThat(JSON.readTree(ok.body()).get("headers").toString()).contains("[\"accept-language\",\"de\"]");
        with[3] = "X-Bare-Path: /missing";
        Wire.Response notFound = send(Wire.head("GET", "/bare/v1/", with));
        assertThat(notFound.status()).isEqualTo(200);
        assertThat(notFound.header("x-bare-status")).isEqualTo("404");
    }

    @Test
    void case26_v1WebSocketFlow() throws Exception {
        String id = newMeta(1, "/ws");
        String p = Integer.toString(origin.port());
        String json = "{\"remote\":{\"host\":\"127.0.0.1\",\"port\":" + p + ",\"path\":\"/ws\",\"protocol\":\"ws:\"},"
                + "\"headers\":{\"Host\":\"127.0.0.1:" + p + "\",\"Upgrade\":\"websocket\",\"Connection\":\"Upgrade\"},"
                + "\"forward_headers\":[\"sec-websocket-key\",\"sec-websocket-version\",\"sec-websocket-extensions\"],"
                + "\"id\":\"" + id + "\"}";
        try (WsClient c = WsClient.open(ws("/bare/v1/"), "bare", LegacyWebSocket.encodeProtocol(json))) {
            assertThat(c.socket.getSubprotocol()).isEqualTo("bare");
            assertThat(c.next()).isEqualTo("text:greeting");
            c.socket.sendText("v1-echo", true).join();
            assertThat(c.next()).isEqualTo("text:v1-echo");
            Wire.Response m = meta(1, id);
            assertThat(m.status()).isEqualTo(200);
            JsonNode headers = JSON.readTree(m.body()).get("headers");
            assertThat(headers.toString()).containsIgnoringCase("sec-websocket-accept");
            assertThat(meta(1, id).status()).isEqualTo(400);
        }
    }
}
