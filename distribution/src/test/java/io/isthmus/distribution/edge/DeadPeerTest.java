package io.isthmus.distribution.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.core.testing.WsFrames;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
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
        return openAll(tag, (name, ws) -> { });
    }

    /** As {@link #openAll(String)}, handing each socket to {@code opened} as soon as it is ready. */
    static Map<String, Ws> openAll(String tag, BiConsumer<String, Ws> opened) throws IOException {
        Map<String, Ws> all = new LinkedHashMap<>();
        open(all, opened, "remoted", Ws.open(gateway.address(), "/dead-" + tag + "/", "X-Remoted-APIKey: " + Links.SERVER_KEY
                + "\r\nOrigin: http://peer.example\r\n"));
        String id = "dead-" + tag;
        open(all, opened, "wstunnel", Ws.open(gateway.address(), "/wst/", "x-websocktunnel-id: " + id + "\r\nAuthorization: Bearer "
                + Links.wstToken(id) + "\r\n"));
        open(all, opened, "wisp", Ws.open(gateway.address(), "/sockets/wisp/", ""));
        open(all, opened, "wisp wsproxy", Ws.open(gateway.address(), "/sockets/wisp/127.0.0.1:" + services.echoPort(), ""));
        open(all, opened, "rawsocket", Ws.open(gateway.address(), "/sockets/websockify", "Sec-WebSocket-Protocol: binary\r\n"));
        Ws bare = Ws.open(gateway.address(), "/bare/v3/", "");
        all.put("bare", bare);
        assertThat(bare.responseHead).as("bare").startsWith("HTTP/1.1 101 ");
        bare.sendText("{\"type\":\"connect\",\"remote\":\"ws://127.0.0.1:" + gateway.address().getPort()
                + "/sockets/websockify\",\"protocols\":[\"binary\"],\"headers\":{},\"forwardHeaders\":[]}");
        assertThat(bare.read().text()).contains("\"open\"");
        opened.accept("bare", bare);
        return all;
    }

    private static void open(Map<String, Ws> all, BiConsumer<String, Ws> opened, String name, Ws ws) {
        all.put(name, ws);
        assertThat(ws.responseHead).as(name).startsWith("HTTP/1.1 101 ");
        opened.accept(name, ws);
    }

    /**
     * A live peer: reads one socket on its own thread from the moment it is open and answers every ping at
     * once (the test's thread is busy opening the other sockets, which took longer than a 400 ms ping
     * interval on a loaded machine); data frames are kept for the test, a close or an end is recorded.
     */
    static final class Answerer {
        final Ws ws;
        final AtomicInteger pings = new AtomicInteger();
        final BlockingQueue<WsFrames.Frame> data = new LinkedBlockingQueue<>();
        volatile String ended;

        Answerer(String name, Ws ws) throws java.net.SocketException {
            this.ws = ws;
            // Pings come every few hundred ms: ten silent seconds are an end of their own.
            ws.socket.setSoTimeout(10_000);
            Thread t = new Thread(this::run, "answer-" + name);
            t.setDaemon(true);
            t.start();
        }

        private void run() {
            try {
                for (int i = 0; i < 1_000_000 && !ws.socket.isClosed(); i++) {
                    WsFrames.Frame f = ws.readAny();
                    if (f.opcode() == Ws.PING) {
                        pings.incrementAndGet();
                        ws.send(Ws.PONG, f.payload());
                    } else if (f.opcode() == Ws.CLOSE) {
                        ended = "close frame " + f.closeCode();
                        return;
                    } else if (f.opcode() != Ws.PONG) {
                        data.add(f);
                    }
                }
            } catch (IOException e) {
                if (!ws.socket.isClosed()) {
                    ended = e.toString();
                }
            }
        }
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
        Map<String, Answerer> answerers = new LinkedHashMap<>();
        Map<String, Ws> all = openAll("live", (name, ws) -> {
            try {
                answerers.put(name, new Answerer(name, ws));
            } catch (java.net.SocketException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            // Three dead-peer timeouts (and seven mux ping intervals) with every ping answered at once: nobody closes.
            await("no WebSocket closed while its pings were answered").during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(6)).pollInterval(Duration.ofMillis(100))
                    .until(() -> answerers.values().stream().allMatch(a -> a.ended == null));
            for (Map.Entry<String, Answerer> e : answerers.entrySet()) {
                assertThat(e.getValue().ended).as(e.getKey() + " still open").isNull();
                assertThat(e.getValue().pings.get()).as(e.getKey() + " pinged").isPositive();
                assertThat(e.getValue().ws.socket.isClosed()).isFalse();
            }
            // websockify still carries bytes after it all.
            all.get("rawsocket").send(Ws.BINARY, new byte[] {1, 2, 3});
            WsFrames.Frame echo = answerers.get("rawsocket").data.poll(5, TimeUnit.SECONDS);
            assertThat(echo).as("the echo").isNotNull();
            assertThat(echo.payload()).containsExactly(1, 2, 3);
        } finally {
            for (Ws ws : all.values()) {
                ws.close();
            }
        }
    }
}
