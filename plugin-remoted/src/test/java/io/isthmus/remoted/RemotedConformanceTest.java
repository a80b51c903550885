package io.isthmus.remoted;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.core.testing.WsFrames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Remoted conformance cases of the protocol notes (§6, cases 18–27), on real loopback sockets. */
class RemotedConformanceTest {

    static final String SK = "server-key-0123456789abcdef";
    static final String CK = "client-key-0123456789abcdef";
    static Gateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateways.start("""
                isthmus.plugins.remoted {
                  server-keys = ["%s"]
                  client-keys = ["%s"]
                  wait-timeout = 2s
                  ping-interval = 1s
                  dead-peer-timeout = 0
                }
                """.formatted(SK, CK));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    static String webRoute(String path, String key, String id, String extra) {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive, Upgrade\r\n"
                + (key == null ? "" : "X-Remoted-APIKey: " + key + "\r\n")
                + "WebRoute-Version: 1\r\nWebRoute-ID: " + id + "\r\n" + extra + "Upgrade: webroute\r\n\r\n";
    }

    static String exchange(String request) throws IOException {
        try (RawClient c = new RawClient(gateway.address())) {
            c.send(request);
            return c.readToEofAscii();
        }
    }

    static String body(String response) {
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }

    static RawWebSocket register(String path) throws IOException {
        RawWebSocket ws = RawWebSocket.open(gateway.address(), path, "X-Remoted-APIKey: " + SK + "\r\nOrigin: http://127.0.0.1\r\n");
        assertThat(ws.responseHead).startsWith("HTTP/1.1 101 Switching Protocols\r\n")
                .contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n");
        return ws;
    }

    static String uniquePath() {
        return "/p-" + UUID.randomUUID() + "/";
    }

    @Test
    void case18_missingOrWrongKeyGets403Json() throws IOException {
        String[] requests = {
                webRoute("/test/path/", "wrong-key-0123456789abcdef", "X", ""),
                "GET /test/path/ HTTP/1.1\r\nHost: h\r\nX-Remoted-APIKey: wrong-key-0123456789abcdef\r\n\r\n",
                "GET /test/path/ HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nOrigin: http://h\r\n"
                        + "Sec-WebSocket-Key: " + RawWebSocket.key() + "\r\nSec-WebSocket-Version: 13\r\n\r\n",
        };
        for (String request : requests) {
            assertInvalidKey(exchange(request));
        }
    }

    static void assertInvalidKey(String response) {
        assertThat(response).startsWith("HTTP/1.1 403 Forbidden\r\n").contains("Content-Type: application/json\r\n")
                .contains("Expires: Tue, 03 Jul 2001 06:00:00 GMT\r\n")
                .contains("Cache-Control: max-age=0, no-cache, must-revalidate, proxy-revalidate\r\n");
        assertThat(body(response)).isEqualTo(RemotedReplies.INVALID_KEY);
    }

    @Test
    void onTheSharedRootPrefixARequestWithoutKeyOrUpgradeIsNotRemoteds() throws IOException {
        // Neither keyed nor a WebSocket: it falls through to the landing page or a plain 404.
        assertThat(exchange("GET /test/path/ HTTP/1.1\r\nHost: h\r\n\r\n")).startsWith("HTTP/1.1 404 Not Found\r\n");
        // A key in the query string does not count, so this is not a Remoted request either.
        assertThat(exchange("GET /x/?X-Remoted-APIKey=" + CK + " HTTP/1.1\r\nHost: h\r\n\r\n")).startsWith("HTTP/1.1 404 ");
        assertThat(exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n")).startsWith("HTTP/1.1 200 OK\r\n").contains("remoted");
    }

    @Test
    void case18_underItsOwnPrefixEveryRequestWithoutAValidKeyGets403Json() throws IOException {
        try (Gateway own = TestGateways.start("isthmus.plugins.remoted { prefix = \"/remoted/\", server-keys = [\"" + SK
                + "\"], client-keys = [\"" + CK + "\"] }")) {
            for (String request : new String[] {
                    "GET /remoted/test/ HTTP/1.1\r\nHost: h\r\n\r\n",
                    "GET /remoted/x/?X-Remoted-APIKey=" + CK + " HTTP/1.1\r\nHost: h\r\n\r\n"}) {
                try (RawClient c = new RawClient(own.address())) {
                    c.send(request);
                    assertInvalidKey(c.readToEofAscii());
                }
            }
        }
    }

    @Test
    void case18_onItsOwnPrefixAnUnkeyedWebRouteUpgradeGets403Too() throws IOException {
        // On a shared prefix an unkeyed WebRoute upgrade is a plain WebRoute client; under a prefix of its own
        // Remoted answers every request as the reference server does.
        try (Gateway own = TestGateways.start("isthmus.plugins.remoted { prefix = \"/remoted/\", server-keys = [\"" + SK
                + "\"], client-keys = [\"" + CK + "\"] }");
             RawClient c = new RawClient(own.address())) {
            c.send(webRoute("/remoted/test/", null, "X", ""));
            String response = c.readToEofAscii();
            assertThat(response).startsWith("HTTP/1.1 403 Forbidden\r\n");
            assertThat(body(response)).isEqualTo(RemotedReplies.INVALID_KEY);
        }
    }

    @Test
    void case19_clientForAPathNobodyHoldsGets502() throws IOException {
        String response = exchange(webRoute("/nobody/", CK, "X", ""));
        assertThat(response).startsWith("HTTP/1.1 502 Bad Gateway\r\n");
        assertThat(body(response)).isEqualTo(RemotedReplies.MISSING_DESTINATION);
    }

    @Test
    void case20_aServerRegistersOnceAndASecondIsRefused() throws IOException {
        String path = uniquePath();
        try (RawWebSocket first = register(path)) {
            String second = RawWebSocket.open(gateway.address(), path, "X-Remoted-APIKey: " + SK + "\r\nOrigin: http://h\r\n").responseHead;
            assertThat(second).startsWith("HTTP/1.1 400 Bad Request\r\n");
        }
    }

    @Test
    void case21_handshakeRefusalsAreRawAndLeaveThePathFree() throws IOException {
        String path = uniquePath();
        try (RawWebSocket noOrigin = RawWebSocket.open(gateway.address(), path, "X-Remoted-APIKey: " + SK + "\r\n")) {
            assertThat(noOrigin.responseHead).isEqualTo("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n");
        }
        try (RawClient c = new RawClient(gateway.address())) {
            c.send("GET " + path + " HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: "
                    + RawWebSocket.key() + "\r\nSec-WebSocket-Version: 12\r\nOrigin: http://h\r\nX-Remoted-APIKey: " + SK + "\r\n\r\n");
            assertThat(c.readToEofAscii()).isEqualTo("HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nConnection: close\r\n\r\n");
        }
        assertThat(exchange(webRoute(path, CK, "X", ""))).startsWith("HTTP/1.1 502 ");
    }

    @Test
    void case22_plainRequestsGetTheirJson400() throws IOException {
        String asServer = exchange("GET /x/ HTTP/1.1\r\nHost: h\r\nX-Remoted-APIKey: " + SK + "\r\n\r\n");
        assertThat(asServer).startsWith("HTTP/1.1 400 Bad Request\r\n");
        assertThat(body(asServer)).isEqualTo(RemotedReplies.EXPECTED_WS_OR_WEBROUTE);
        String path = uniquePath();
        try (RawWebSocket ws = register(path)) {
            String asClient = exchange("GET " + path + " HTTP/1.1\r\nHost: h\r\nX-Remoted-APIKey: " + CK + "\r\n\r\n");
            assertThat(body(asClient)).isEqualTo(RemotedReplies.EXPECTED_WEBROUTE);
        }
    }

    @Test
    void case23and24_aClientIsAnnouncedAndLinkedByTheConnectBack() throws IOException {
        String path = uniquePath();
        try (RawWebSocket ws = register(path);
             RawClient client = new RawClient(gateway.address())) {
            client.send(webRoute(path + "?q=1", CK, "CLIENTID1", "WebRoute-Timeout: 90\r\n"));
            WsFrames.Frame note = readNonPing(ws);
            assertThat(note.opcode()).isEqualTo(1);
            assertThat(note.masked()).isFalse();
            assertThat(note.text()).isEqualTo("{\"ipaddr\":\"127.0.0.1:" + client.socket().getLocalPort()
                    + "\",\"id\":\"CLIENTID1\",\"timeout\":90}");
            try (RawClient back = new RawClient(gateway.address())) {
                back.send(webRoute(path + "?q=1", SK, "CLIENTID1", "WebRoute-Timeout: 90\r\n"));
                String ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: webroute\r\nConnection: Upgrade\r\n"
                        + "Sec-WebRoute-Accept: bV4dWnz1RstmpZC93aCgnL+Saog=\r\n\r\n";
                assertThat(new String(back.readExactly(ok.length()), StandardCharsets.ISO_8859_1)).isEqualTo(ok);
                assertThat(new String(client.readExactly(ok.length()), StandardCharsets.ISO_8859_1)).isEqualTo(ok);
                client.send("ping from client");
                assertThat(new String(back.readExactly(16))).isEqualTo("ping from client");
                back.send("pong from server");
                assertThat(new String(client.readExactly(16))).isEqualTo("pong from server");
            }
        }
    }

    @Test
    void case23_withoutATimeoutHeaderTheNotificationSaysTheDefault() throws IOException {
        String path = uniquePath();
        try (RawWebSocket ws = register(path);
             RawClient client = new RawClient(gateway.address())) {
            client.send(webRoute(path, CK, "NOTIMEOUT", ""));
            assertThat(readNonPing(ws).text()).endsWith("\"id\":\"NOTIMEOUT\",\"timeout\":2}");
        }
    }

    @Test
    void case24_aConnectBackNobodyWaitsForGets400Json() throws IOException {
        String path = uniquePath();
        try (RawWebSocket ws = register(path)) {
            String response = exchange(webRoute(path, SK, "NOBODY", ""));
            assertThat(body(response)).isEqualTo(RemotedReplies.EXPECTED_WS_OR_WEBROUTE);
        }
    }

    @Test
    void aClientCannotLinkWithAnotherClientOfTheSameId() throws IOException {
        String path = uniquePath();
        try (RawWebSocket ws = register(path);
             RawClient a = new RawClient(gateway.address());
             RawClient b = new RawClient(gateway.address())) {
            a.send(webRoute(path, CK, "SAME", ""));
            readNonPing(ws);
            b.send(webRoute(path, CK, "SAME", ""));
            // The reference links two clients with one ID to each other; here the second is refused (the
            // first holds the slot) and neither ever sees a 101.
            String refused = b.readToEofAscii();
            assertThat(refused).startsWith("HTTP/1.1 409 Conflict\r\n");
            assertThat(body(refused)).isEqualTo(RemotedReplies.ID_IN_USE);
        }
    }

    @Test
    void case25_aClientWhoseServerNeverConnectsBackGets504() throws IOException {
        String path = uniquePath();
        try (RawWebSocket ws = register(path);
             RawClient client = new RawClient(gateway.address())) {
            client.send(webRoute(path, CK, "LONELY", ""));
            assertThat(client.readToEofAscii()).isEqualTo("HTTP/1.1 504 Gateway Timeout\r\nWebRoute-Version: 1\r\nConnection: close\r\n\r\n");
        }
    }

    @Test
    void case26_whenTheServerLeavesWaitingClientsCloseAndThePathFrees() throws IOException {
        String path = uniquePath();
        RawClient client = new RawClient(gateway.address());
        try (RawWebSocket ws = register(path)) {
            client.send(webRoute(path, CK, "WAITER", ""));
            readNonPing(ws);
        }
        assertThat(client.readToEof()).isEmpty();
        client.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> exchange(webRoute(path, CK, "X", "")).startsWith("HTTP/1.1 502 "));
        try (RawWebSocket again = register(path)) {
            assertThat(again.responseHead).startsWith("HTTP/1.1 101 ");
        }
    }

    @Test
    void case27_quietRegistrationsArePingedAndMaskedPingsAnswered() throws IOException {
        try (RawWebSocket ws = register(uniquePath())) {
            WsFrames.Frame ping = ws.read();
            assertThat(ping.opcode()).isEqualTo(9);
            long sent = Long.parseLong(ping.text());
            assertThat(Math.abs(sent - System.currentTimeMillis() / 1000)).isLessThan(5);
            ws.send(9, "1795316190".getBytes(StandardCharsets.US_ASCII));
            WsFrames.Frame pong = readNonPing(ws);
            assertThat(pong.opcode()).isEqualTo(10);
            assertThat(pong.text()).isEqualTo("1795316190");
        }
    }

    @Test
    void aRegistrationThatAnswersNothingIsDroppedAfterTheDeadPeerTimeout() throws IOException {
        try (Gateway strict = TestGateways.start("isthmus.plugins.remoted { server-keys = [\"" + SK + "\"], client-keys = [\""
                + CK + "\"], ping-interval = 300ms, dead-peer-timeout = 1s }")) {
            String path = uniquePath();
            RawWebSocket silent = RawWebSocket.open(strict.address(), path, "X-Remoted-APIKey: " + SK + "\r\nOrigin: http://h\r\n");
            assertThat(silent.responseHead).startsWith("HTTP/1.1 101 ");
            long start = System.nanoTime();
            // This client never answers the pings; the gateway gives up on it after the dead-peer timeout.
            int frames = 0;
            try {
                while (frames < 50) {
                    silent.read();
                    frames++;
                }
            } catch (java.io.EOFException | java.net.SocketException closed) {
                // Expected: the gateway closed the registration.
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(800), Duration.ofSeconds(5));
            try (RawClient c = new RawClient(strict.address())) {
                c.send(webRoute(path, CK, "X", ""));
                assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 502 ");
            }
            silent.close();
        }
    }

    /**
     * Issue #10 point 8: a protocol violation on a registration gets the RFC 6455 close code before the
     * close (1002 for an unmasked frame, 1009 for one over max-frame-payload), not a bare TCP close.
     */
    @Test
    void protocolViolationsOnARegistrationGetTheirCloseCode() throws IOException {
        try (RawWebSocket ws = register(uniquePath())) {
            // An unmasked text frame: client frames must be masked.
            ws.client.send(new byte[] {(byte) 0x81, 0x02, 'h', 'i'});
            WsFrames.Frame close = readNonPing(ws);
            assertThat(close.opcode()).isEqualTo(8);
            assertThat(((close.payload()[0] & 0xff) << 8) | (close.payload()[1] & 0xff)).isEqualTo(1002);
        }
        try (RawWebSocket ws = register(uniquePath())) {
            // A binary frame announcing 1 MiB, over the 64k limit.
            ws.client.send(new byte[] {(byte) 0x82, (byte) (0x80 | 127), 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4});
            WsFrames.Frame close = readNonPing(ws);
            assertThat(close.opcode()).isEqualTo(8);
            assertThat(((close.payload()[0] & 0xff) << 8) | (close.payload()[1] & 0xff)).isEqualTo(1009);
        }
    }

    /** The next frame that is not the gateway's keepalive ping (the ping interval is short in these tests). */
    static WsFrames.Frame readNonPing(RawWebSocket ws) throws IOException {
        for (int i = 0; i < 20; i++) {
            WsFrames.Frame f = ws.read();
            if (f.opcode() != 9) {
                return f;
            }
        }
        throw new AssertionError("only pings arrived");
    }
}
