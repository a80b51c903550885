package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.isthmus.core.Gateway;
import io.isthmus.core.ValidatedConfig;
import io.isthmus.core.config.ConfigLoader;
import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.core.testing.RawClient;
import io.isthmus.wstunnel.TunnelTokens;
import io.isthmus.wstunnel.client.TokenSource;
import io.isthmus.wstunnel.client.WstClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Traffic of the plugins beyond WebRoute and Remoted, for {@link TrafficMix}: a Bare v3 request to a
 * loopback origin, a Bare v3 request the egress policy refuses, a Bare v3 WebSocket, a websocktunnel
 * client session (its token minted with the plugin's own {@link TunnelTokens#mint}) with one viewer
 * request through it and one for an unknown client, a websockify link and a Wisp stream to a loopback echo,
 * and one refused Wisp stream. Each step checks its answer. Everything stays open until {@link #close}.
 */
final class PluginTraffic implements AutoCloseable {

    /** websocktunnel's secret for {@link #config}: at least 32 bytes. */
    static final String WST_SECRET = "monitoring-test-secret-0123456789-abcdef";
    static final String WST_ID = "mix-client";

    /** Gateway config the traffic needs: loopback origins reachable, websockify client targets, a wstunnel secret. */
    static String config() {
        return "isthmus.egress.allow-cidrs = [\"127.0.0.0/8\"]\n"
                + "isthmus.plugins.rawsocket.websockify.client-targets = true\n"
                + "isthmus.plugins.wstunnel.secrets = [\"" + WST_SECRET + "\"]\n";
    }

    private final List<AutoCloseable> open = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    static PluginTraffic start(Gateway gateway) throws Exception {
        PluginTraffic t = new PluginTraffic();
        try {
            int origin = t.httpOrigin();
            int echo = t.tcpEcho();
            t.bare(gateway, origin, echo);
            t.wstunnel(gateway, origin);
            t.websockify(gateway, echo);
            t.wisp(gateway, echo);
        } catch (Exception | Error e) {
            t.close();
            throw e;
        }
        return t;
    }

    /** A plain HTTP origin on loopback: "hello from the origin" for any path. */
    private int httpOrigin() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", exchange -> {
            byte[] body = "hello from the origin".getBytes(StandardCharsets.US_ASCII);
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        open.add(() -> server.stop(0));
        return server.getAddress().getPort();
    }

    /** A TCP echo on loopback, a thread per connection. */
    private int tcpEcho() throws IOException {
        ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        open.add(server);
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread echo = new Thread(() -> {
                        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                            byte[] buf = new byte[16 * 1024];
                            for (int n; (n = in.read(buf)) >= 0; ) {
                                out.write(buf, 0, n);
                                out.flush();
                            }
                        } catch (IOException ignored) {
                            // the peer went away
                        }
                    }, "mix-echo");
                    echo.setDaemon(true);
                    echo.start();
                } catch (IOException closed) {
                    return;
                }
            }
        }, "mix-echo-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return server.getLocalPort();
    }

    private void bare(Gateway gateway, int origin, int echo) throws Exception {
        try (RawClient c = new RawClient(gateway.address(), 10_000)) {
            c.send("GET /bare/v3/ HTTP/1.1\r\nHost: gateway\r\nX-Bare-URL: http://127.0.0.1:" + origin + "/page\r\n"
                    + "X-Bare-Headers: {\"Host\":\"origin\"}\r\nConnection: close\r\n\r\n");
            String reply = c.readToEofAscii();
            assertThat(reply).startsWith("HTTP/1.1 200").contains("hello from the origin");
        }
        // Private addresses stay refused whatever loopback allowances say: an egress refusal.
        try (RawClient c = new RawClient(gateway.address(), 10_000)) {
            c.send("GET /bare/v3/ HTTP/1.1\r\nHost: gateway\r\nX-Bare-URL: http://10.0.0.1:1/\r\n"
                    + "X-Bare-Headers: {\"Host\":\"x\"}\r\nConnection: close\r\n\r\n");
            assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 403").contains("IMPL_FORBIDDEN_REMOTE");
        }
        // A Bare v3 WebSocket whose remote is the gateway's own websockify endpoint to the echo: a Bare link.
        WsConn ws = socket(gateway, "ws://127.0.0.1:" + gateway.address().getPort() + "/bare/v3/", null);
        ws.sendText("{\"type\":\"connect\",\"remote\":\"ws://127.0.0.1:" + gateway.address().getPort()
                + "/sockets/websockify?host=127.0.0.1&port=" + echo + "\",\"protocols\":[\"binary\"],"
                + "\"headers\":{},\"forwardHeaders\":[]}");
        assertThat(ws.nextText()).contains("\"type\":\"open\"");
        ws.sendBinary("through bare".getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(ws.nextBinary(12), StandardCharsets.US_ASCII)).isEqualTo("through bare");
    }

    private void wstunnel(Gateway gateway, int origin) throws Exception {
        SpliceEngine clientSplices = new SpliceEngine(ValidatedConfig.of(ConfigLoader.loadString("")).core().splice(),
                new GatewayMetrics("mix-wst-client"), false);
        String token = TunnelTokens.mint(WST_SECRET, WST_ID, Duration.ofHours(1), "", Clock.systemUTC());
        WstClient client = new WstClient("http://127.0.0.1:" + gateway.address().getPort() + "/wst", WST_ID, origin,
                TokenSource.fixed(token), null, line -> { }, clientSplices, Duration.ofSeconds(20));
        Thread runner = new Thread(() -> {
            try {
                client.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "mix-wst-client");
        runner.setDaemon(true);
        runner.start();
        open.add(client);
        await().atMost(Duration.ofSeconds(10)).until(client::connected);
        // A viewer request through the client to the origin, then on the same connection a head that is no
        // request at all: the viewer connection's own parser refuses it (a wstunnel refusal).
        try (RawClient viewer = new RawClient(gateway.address(), 10_000)) {
            viewer.send("GET /wst/" + WST_ID + "/page HTTP/1.1\r\nHost: gateway\r\n\r\n");
            String head = viewer.readHead();
            assertThat(head).startsWith("HTTP/1.1 200");
            var length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
            assertThat(length.find()).as(head).isTrue();
            assertThat(new String(viewer.readExactly(Integer.parseInt(length.group(1))), StandardCharsets.US_ASCII))
                    .isEqualTo("hello from the origin");
            viewer.send("NOT A REQUEST\r\n\r\n");
            assertThat(viewer.readToEofAscii()).startsWith("HTTP/1.1 4");
        }
        try (RawClient viewer = new RawClient(gateway.address(), 10_000)) {
            viewer.send("GET /wst/nobody-here/page HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n");
            assertThat(viewer.readToEofAscii()).startsWith("HTTP/1.1 5");
        }
    }

    private void websockify(Gateway gateway, int echo) throws Exception {
        WsConn ws = socket(gateway, "ws://127.0.0.1:" + gateway.address().getPort()
                + "/sockets/websockify?host=127.0.0.1&port=" + echo, "binary");
        ws.sendBinary("through websockify".getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(ws.nextBinary(18), StandardCharsets.US_ASCII)).isEqualTo("through websockify");
        // A private target: the egress policy refuses the dial (1011). No target at all: a refusal (1008).
        String base = "ws://127.0.0.1:" + gateway.address().getPort() + "/sockets/websockify";
        assertThat(socket(gateway, base + "?host=10.0.0.1&port=80", "binary").closeCode()).isEqualTo(1011);
        assertThat(socket(gateway, base, "binary").closeCode()).isEqualTo(1008);
    }

    /** A Wisp v1 session: CONTINUE, a stream to the echo (DATA both ways), and one stream the egress policy refuses. */
    private void wisp(Gateway gateway, int echo) throws Exception {
        WsConn ws = socket(gateway, "ws://127.0.0.1:" + gateway.address().getPort() + "/sockets/wisp/", null);
        assertThat(ws.nextBinary(9)[0]).as("CONTINUE").isEqualTo((byte) 0x03);
        ws.sendBinary(wispConnect(1, echo, "127.0.0.1"));
        ws.sendBinary(wispData(1, "through wisp".getBytes(StandardCharsets.US_ASCII)));
        byte[] back = ws.nextBinaryOfType((byte) 0x02);
        assertThat(new String(back, 5, back.length - 5, StandardCharsets.US_ASCII)).isEqualTo("through wisp");
        ws.sendBinary(wispConnect(3, 80, "10.0.0.1"));
        byte[] close = ws.nextBinaryOfType((byte) 0x04);
        assertThat(ByteBuffer.wrap(close, 1, 4).order(ByteOrder.LITTLE_ENDIAN).getInt()).isEqualTo(3);
        // DATA for a stream that was never opened: ignored and counted (a Wisp refusal); the session goes on.
        ws.sendBinary(wispData(99, "lost".getBytes(StandardCharsets.US_ASCII)));
        ws.sendBinary(wispData(1, "still here".getBytes(StandardCharsets.US_ASCII)));
        byte[] again = ws.nextBinaryOfType((byte) 0x02);
        assertThat(new String(again, 5, again.length - 5, StandardCharsets.US_ASCII)).isEqualTo("still here");
    }

    private static byte[] wispConnect(int id, int port, String host) {
        byte[] name = host.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(8 + name.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x01).putInt(id).put((byte) 0x01).putShort((short) port).put(name);
        return b.array();
    }

    private static byte[] wispData(int id, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(5 + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x02).putInt(id).put(body);
        return b.array();
    }

    private WsConn socket(Gateway gateway, String url, String subprotocol) throws Exception {
        WsConn s = new WsConn();
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        if (subprotocol != null) {
            builder.subprotocols(subprotocol);
        }
        s.ws = builder.buildAsync(URI.create(url), s).get(10, TimeUnit.SECONDS);
        open.add(s);
        return s;
    }

    /** A JDK WebSocket whose messages (whole, text or binary) queue up for the test. */
    private static final class WsConn implements WebSocket.Listener, AutoCloseable {
        private final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
        private final java.util.concurrent.CompletableFuture<Integer> closed = new java.util.concurrent.CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();
        private java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();
        WebSocket ws;

        void sendText(String s) throws Exception {
            ws.sendText(s, true).get(5, TimeUnit.SECONDS);
        }

        void sendBinary(byte[] b) throws Exception {
            ws.sendBinary(ByteBuffer.wrap(b), true).get(5, TimeUnit.SECONDS);
        }

        Object next() throws InterruptedException {
            Object m = messages.poll(10, TimeUnit.SECONDS);
            assertThat(m).as("a message within 10 s").isNotNull();
            return m;
        }

        String nextText() throws InterruptedException {
            Object m = next();
            assertThat(m).isInstanceOf(String.class);
            return (String) m;
        }

        /** Binary messages concatenated until at least {@code n} bytes came (a stream may split them). */
        byte[] nextBinary(int n) throws InterruptedException {
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < 64 && got.size() < n; i++) {
                Object m = next();
                assertThat(m).isInstanceOf(byte[].class);
                got.writeBytes((byte[]) m);
            }
            return got.toByteArray();
        }

        /** The next binary message whose first byte is {@code type}, skipping others (Wisp CONTINUE). */
        byte[] nextBinaryOfType(byte type) throws InterruptedException {
            for (int i = 0; i < 64; i++) {
                Object m = next();
                if (m instanceof byte[] b && b.length > 0 && b[0] == type) {
                    return b;
                }
            }
            throw new AssertionError("no message of type " + type);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                messages.add(text.toString());
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] part = new byte[data.remaining()];
            data.get(part);
            binary.writeBytes(part);
            if (last) {
                messages.add(binary.toByteArray());
                binary = new java.io.ByteArrayOutputStream();
            }
            webSocket.request(1);
            return null;
        }

        /** The close code the gateway sent (waits at most 10 s). */
        int closeCode() throws Exception {
            return closed.get(10, TimeUnit.SECONDS);
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.completeExceptionally(error);
        }

        @Override
        public void close() {
            if (ws != null) {
                ws.abort();
            }
        }
    }

    @Override
    public void close() throws IOException {
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception e) {
                // closing what is left; the first failure of the test is what matters
            }
        }
    }
}
