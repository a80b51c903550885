package io.isthmus.distribution.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.core.testing.WsFrames;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue #15 point 1: ping/pong dead-peer detection on every long-lived WebSocket the gateway terminates —
 * Remoted registrations, wsmux sessions, Wisp sessions, wsproxy and websockify bridges, Bare v3 tunnels. A
 * peer that stops answering (and sending) is pinged, then dropped and counted in
 * {@code isthmus_websocket_dead_peers_total{protocol}}; a peer that answers the pings stays.
 */
class DeadPeerTest {

    static Services services;
    static Gateway gateway;

    @BeforeAll
    static void start() throws IOException {
        services = new Services();
        gateway = TestGateways.start(Links.config(services, """
                isthmus.plugins.remoted { ping-interval = 300ms, dead-peer-timeout = 1s }
                isthmus.plugins.wstunnel.ping-interval = 400ms
                isthmus.plugins.rawsocket { ping-interval = 300ms, dead-peer-timeout = 1s, wisp.ping-interval = 400ms }
                isthmus.plugins.bare.websocket { ping-interval = 300ms, dead-peer-timeout = 1s }
                """));
    }

    @AfterAll
    static void stop() throws IOException {
        gateway.close();
        services.close();
    }

    /** protocol tag → an open WebSocket of that kind, past its handshake (and its tunnel's set-up). */
    static Map<String, Ws> openAll(String tag) throws IOException {
        Map<String, Ws> all = new LinkedHashMap<>();
        all.put("remoted", Ws.open(gateway.address(), "/dead-" + tag + "/", "X-Remoted-APIKey: " + Links.SERVER_KEY
                + "\r\nOrigin: http://peer.example\r\n"));
        String id = "dead-" + tag;
        all.put("wstunnel", Ws.open(gateway.address(), "/wst/", "x-websocktunnel-id: " + id + "\r\nAuthorization: Bearer "
                + Links.wstToken(id) + "\r\n"));
        all.put("wisp", Ws.open(gateway.address(), "/sockets/wisp/", ""));
        all.put("wisp wsproxy", Ws.open(gateway.address(), "/sockets/wisp/127.0.0.1:" + services.echoPort(), ""));
        all.put("rawsocket", Ws.open(gateway.address(), "/sockets/websockify", "Sec-WebSocket-Protocol: binary\r\n"));
        Ws bare = Ws.open(gateway.address(), "/bare/v3/", "");
        all.put("bare", bare);
        for (Map.Entry<String, Ws> e : all.entrySet()) {
            assertThat(e.getValue().responseHead).as(e.getKey()).startsWith("HTTP/1.1 101 ");
        }
        bare.sendText("{\"type\":\"connect\",\"remote\":\"ws://127.0.0.1:" + gateway.address().getPort()
                + "/sockets/websockify\",\"protocols\":[\"binary\"],\"headers\":{},\"forwardHeaders\":[]}");
        assertThat(bare.read().text()).contains("\"open\"");
        return all;
    }

    static double dead(String protocol) {
        return Figures.counter(gateway, "isthmus.websocket.dead.peers", "protocol", protocol);
    }

    @Test
    void aSilentPeerIsPingedThenDroppedOnEveryLongLivedWebSocket() throws Exception {
        Map<String, Double> before = new LinkedHashMap<>();
        for (String p : new String[] {"remoted", "wstunnel", "wisp", "rawsocket", "bare"}) {
            before.put(p, dead(p));
        }
        Map<String, Ws> all = openAll("silent");
        try {
            long t0 = System.nanoTime();
            for (Map.Entry<String, Ws> e : all.entrySet()) {
                Ws ws = e.getValue();
                ws.answerPings = false;
                ws.socket.setSoTimeout(10_000);
                ws.awaitClose();
                assertThat(ws.pingsSeen).as(e.getKey() + " pinged before it was dropped").isPositive();
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(ms).as("all dropped within a few ping intervals").isLessThan(8_000);
        } finally {
            for (Ws ws : all.values()) {
                ws.close();
            }
        }
        assertThat(dead("remoted") - before.get("remoted")).isGreaterThanOrEqualTo(1);
        assertThat(dead("wstunnel") - before.get("wstunnel")).isGreaterThanOrEqualTo(1);
        assertThat(dead("wisp") - before.get("wisp")).as("Wisp session and wsproxy bridge").isGreaterThanOrEqualTo(2);
        assertThat(dead("rawsocket") - before.get("rawsocket")).isGreaterThanOrEqualTo(1);
        assertThat(dead("bare") - before.get("bare")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aPeerThatAnswersPingsStays() throws Exception {
        Map<String, Ws> all = openAll("live");
        try {
            // Three dead-peer timeouts of silence on our side, answering every ping.
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            for (Ws ws : all.values()) {
                ws.socket.setSoTimeout(50);
            }
            for (int i = 0; i < 10_000 && System.nanoTime() < end; i++) {
                for (Map.Entry<String, Ws> e : all.entrySet()) {
                    try {
                        WsFrames.Frame f = e.getValue().read();
                        assertThat(f.opcode()).as(e.getKey() + " got no close").isNotEqualTo(Ws.CLOSE);
                    } catch (SocketTimeoutException quiet) {
                        // nothing but pings: as expected
                    }
                }
            }
            for (Map.Entry<String, Ws> e : all.entrySet()) {
                assertThat(e.getValue().pingsSeen).as(e.getKey() + " pinged").isPositive();
                assertThat(e.getValue().socket.isClosed()).isFalse();
            }
            // websockify still carries bytes after it all.
            Ws ws = all.get("rawsocket");
            ws.socket.setSoTimeout(5_000);
            ws.send(Ws.BINARY, new byte[] {1, 2, 3});
            assertThat(ws.read().payload()).containsExactly(1, 2, 3);
        } finally {
            for (Ws ws : all.values()) {
                ws.close();
            }
        }
    }
}
