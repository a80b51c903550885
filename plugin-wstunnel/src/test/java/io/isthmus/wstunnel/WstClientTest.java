package io.isthmus.wstunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.ValidatedConfig;
import io.isthmus.core.config.ConfigLoader;
import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.core.testing.NginxFixture;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.wstunnel.client.TokenSource;
import io.isthmus.wstunnel.client.WstClient;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.internal.PlatformDependent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our wst-client against our server, with nginx on loopback as the client's local target: bodies, uploads,
 * HEAD, many viewers, a viewer WebSocket, a slow viewer, rotation, replacement and a gateway restart.
 */
class WstClientTest {

    static Path www;
    static NginxFixture nginx;
    static SpliceEngine clientSplices;
    static byte[] small = new byte[400_000];
    static byte[] big = new byte[64 << 20];

    @BeforeAll
    static void startNginx() throws IOException {
        www = Files.createTempDirectory("wst-www");
        new Random(1).nextBytes(small);
        new Random(2).nextBytes(big);
        Files.write(www.resolve("small.bin"), small);
        Files.write(www.resolve("big.bin"), big);
        Files.createDirectories(www.resolve("dav"));
        Files.createDirectories(www.resolve("body"));
        // nginx's workers may run as another user (nobody): let them read and write here.
        for (Path p : new Path[] {www, www.resolve("dav"), www.resolve("body"), www.resolve("small.bin"), www.resolve("big.bin")}) {
            p.toFile().setReadable(true, false);
            p.toFile().setExecutable(true, false);
            p.toFile().setWritable(true, false);
        }
        nginx = NginxFixture.start("""
                root %s;
                client_max_body_size 100m;
                location /dav/ { dav_methods PUT; create_full_put_path on; client_body_temp_path %s/body; }
                location = /post { return 201 "posted\\n"; }
                """.formatted(www, www));
        clientSplices = new SpliceEngine(ValidatedConfig.of(ConfigLoader.loadString("")).core().splice(),
                new GatewayMetrics("test-client"), false);
    }

    @AfterAll
    static void stopNginx() throws IOException {
        nginx.close();
        try (var files = Files.walk(www)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static Gateway gateway(String extra) {
        return TestGateways.start("""
                isthmus.plugins.wstunnel {
                  secrets = ["%s", "%s"]
                }
                """.formatted(Jwts.A, Jwts.B) + extra);
    }

    static String base(Gateway g) {
        return "http://127.0.0.1:" + g.address().getPort() + "/wst";
    }

    static WstClient client(Gateway g, String id, int port, TokenSource tokens, List<String> log) {
        WstClient c = new WstClient(base(g), id, port, tokens, null, log::add, clientSplices, Duration.ofSeconds(20));
        Thread t = new Thread(() -> {
            try {
                c.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "wst-client-" + id);
        t.setDaemon(true);
        t.start();
        await().atMost(Duration.ofSeconds(10)).until(c::connected);
        return c;
    }

    static WstClient client(Gateway g, String id, String secret) {
        return client(g, id, nginx.address().getPort(), TokenSource.fixed(Jwts.t(secret, id, Jwts.now() + 3600, Jwts.now() - 60)),
                new java.util.concurrent.CopyOnWriteArrayList<>());
    }

    static HttpResponse<byte[]> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void bodiesUploadsHeadAndAHundredViewers() throws Exception {
        try (Gateway g = gateway(""); WstClient c = client(g, "w1", Jwts.A)) {
            assertThat(c.clientUrl()).isEqualTo(base(g) + "/w1");
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String url = c.clientUrl();
            assertThat(get(http, url + "/small.bin").body()).isEqualTo(small);
            long start = System.nanoTime();
            byte[] got = get(http, url + "/big.bin").body();
            double seconds = (System.nanoTime() - start) / 1e9;
            assertThat(MessageDigest.getInstance("SHA-256").digest(got)).isEqualTo(MessageDigest.getInstance("SHA-256").digest(big));
            System.out.printf("64 MiB through one session: %.2f s, %.0f MiB/s%n", seconds, 64 / seconds);

            byte[] upload = new byte[1 << 20];
            new Random(3).nextBytes(upload);
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(url + "/dav/up.bin"))
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(upload)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body() + nginx.errorLog()).isIn(201, 204);
            assertThat(Files.readAllBytes(www.resolve("dav/up.bin"))).isEqualTo(upload);
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(url + "/post"))
                    .POST(HttpRequest.BodyPublishers.ofString("a=1&b=2")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(201);
            assertThat(post.body()).isEqualTo("posted\n");

            HttpResponse<Void> head = http.send(HttpRequest.newBuilder(URI.create(url + "/big.bin"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
            assertThat(head.headers().firstValue("content-length")).contains(String.valueOf(big.length));

            List<CompletableFuture<HttpResponse<byte[]>>> all = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                all.add(http.sendAsync(HttpRequest.newBuilder(URI.create(url + "/small.bin")).build(),
                        HttpResponse.BodyHandlers.ofByteArray()));
            }
            for (var f : all) {
                assertThat(f.get().body()).isEqualTo(small);
            }
        }
    }

    @Test
    void chunkedLinesStreamPromptlyFromALiveBackend() throws Exception {
        try (ServerSocket backend = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             Gateway g = gateway("")) {
            Thread serve = new Thread(() -> {
                try (Socket s = backend.accept()) {
                    RawClient.readHeadFrom(s.getInputStream());
                    OutputStream o = s.getOutputStream();
                    o.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    o.flush();
                    for (int i = 0; i < 4; i++) {
                        Thread.sleep(300); // the backend's pace, not synchronisation
                        String line = "tick " + i + "\n";
                        o.write((Integer.toHexString(line.length()) + "\r\n" + line + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        o.write(("#" + System.nanoTime() + "#").length() > 0 ? new byte[0] : new byte[0]);
                        o.flush();
                    }
                    o.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    o.flush();
                } catch (Exception e) {
                    // the test fails on the viewer side
                }
            });
            serve.setDaemon(true);
            serve.start();
            try (WstClient c = client(g, "w2", backend.getLocalPort(),
                    TokenSource.fixed(Jwts.valid("w2")), new java.util.concurrent.CopyOnWriteArrayList<>());
                 RawClient v = new RawClient(g.address(), 10_000)) {
                v.send("GET /wst/w2/log HTTP/1.1\r\nHost: h\r\n\r\n");
                assertThat(v.readHead()).contains("chunked");
                long last = System.nanoTime();
                for (int i = 0; i < 4; i++) {
                    String chunk = "tick " + i + "\n";
                    byte[] got = v.readExactly(Integer.toHexString(chunk.length()).length() + 2 + chunk.length() + 2);
                    long now = System.nanoTime();
                    assertThat(new String(got, StandardCharsets.US_ASCII)).contains(chunk);
                    // Each line arrives on the backend's 300 ms beat, not batched behind later ones.
                    assertThat(Duration.ofNanos(now - last)).isLessThan(Duration.ofMillis(450));
                    last = now;
                }
            }
        }
    }

    @Test
    void aSlowViewerHoldsTheClientBackWithoutGrowingMemory() throws Exception {
        try (Gateway g = gateway(""); WstClient c = client(g, "w3", Jwts.A); RawClient v = new RawClient(g.address(), 30_000)) {
            long before = PlatformDependent.usedDirectMemory();
            v.socket().setReceiveBufferSize(64 * 1024);
            v.send("GET /wst/w3/big.bin HTTP/1.1\r\nHost: h\r\n\r\n");
            v.readHead();
            double stalls = g.metrics().registry().get("isthmus.wstunnel.ack.stalls").counter().count();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> g.metrics().registry().get("isthmus.wstunnel.ack.stalls").counter().count() > stalls);
            long grown = PlatformDependent.usedDirectMemory() - before;
            assertThat(grown).as("direct memory grown while 64 MiB wait").isLessThan(40L << 20);
            InputStream in = v.in();
            byte[] buf = new byte[1 << 16];
            long total = 0;
            while (total < big.length) {
                int n = in.read(buf);
                assertThat(n).isPositive();
                total += n;
            }
            assertThat(total).isEqualTo(big.length);
        }
    }

    @Test
    void tokensFromEitherSecretAndANewTokenOnReconnect() throws Exception {
        try (Gateway g = gateway("")) {
            PipedOutputStream feed = new PipedOutputStream();
            TokenSource tokens = TokenSource.lines(new PipedInputStream(feed));
            feed.write((Jwts.t(Jwts.B, "w4", Jwts.now() + 3600, Jwts.now() - 60) + "\n").getBytes(StandardCharsets.US_ASCII));
            feed.flush();
            try (WstClient c = client(g, "w4", nginx.address().getPort(), tokens, new java.util.concurrent.CopyOnWriteArrayList<>())) {
                HttpClient http = HttpClient.newHttpClient();
                assertThat(get(http, c.clientUrl() + "/small.bin").body()).isEqualTo(small);
                feed.write((Jwts.t(Jwts.A, "w4", Jwts.now() + 3600, Jwts.now() - 60) + "\n").getBytes(StandardCharsets.US_ASCII));
                feed.flush();
                c.dropSession();
                await().atMost(Duration.ofSeconds(10)).until(() -> c.sessions() == 2 && c.connected());
                assertThat(get(http, c.clientUrl() + "/small.bin").body()).isEqualTo(small);
            }
        }
    }

    @Test
    void aSecondClientReplacesTheFirstWhichComesBack() throws Exception {
        try (ServerSocket other = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress()); Gateway g = gateway("")) {
            Thread serve = new Thread(() -> {
                for (int i = 0; i < 3; i++) {
                    try (Socket s = other.accept()) {
                        RawClient.readHeadFrom(s.getInputStream());
                        s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo".getBytes(StandardCharsets.US_ASCII));
                        s.getOutputStream().flush();
                        s.getInputStream().read();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            serve.setDaemon(true);
            serve.start();
            try (WstClient first = client(g, "w5", Jwts.A)) {
                HttpClient http = HttpClient.newHttpClient();
                try (WstClient second = client(g, "w5", other.getLocalPort(), TokenSource.fixed(Jwts.valid("w5")),
                        new java.util.concurrent.CopyOnWriteArrayList<>())) {
                    assertThat(new String(get(http, second.clientUrl() + "/x").body(), StandardCharsets.US_ASCII)).isEqualTo("two");
                }
                // The first client lost its session to the second and registers again on its own.
                await().atMost(Duration.ofSeconds(10)).until(() -> first.sessions() >= 2 && first.connected());
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                        assertThat(get(http, first.clientUrl() + "/small.bin").body()).isEqualTo(small));
            }
        }
    }

    @Test
    void theClientSurvivesAGatewayRestart() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        String listen = "isthmus.listen = \"127.0.0.1:" + port + "\"\n";
        Gateway g = gateway(listen);
        try (WstClient c = client(g, "w6", Jwts.A)) {
            HttpClient http = HttpClient.newHttpClient();
            String url = c.clientUrl();
            assertThat(get(http, url + "/small.bin").body()).isEqualTo(small);
            g.shutdown();
            await().atMost(Duration.ofSeconds(10)).until(() -> !c.connected());
            g = gateway(listen);
            await().atMost(Duration.ofSeconds(15)).until(() -> c.sessions() >= 2 && c.connected());
            assertThat(get(http, url + "/small.bin").body()).isEqualTo(small);
        } finally {
            g.shutdown();
        }
    }

    /** A minimal WebSocket backend: picks proto-b, echoes one message, answers a close with the same code. */
    private static void wsEchoBackend(ServerSocket server) {
        try (Socket s = server.accept()) {
            String head = RawClient.readHeadFrom(s.getInputStream());
            String key = head.lines().filter(l -> l.toLowerCase().startsWith("sec-websocket-key:"))
                    .findFirst().orElseThrow().substring(18).trim();
            OutputStream o = s.getOutputStream();
            o.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + io.isthmus.core.http.WebSocketHandshake.accept(key) + "\r\n"
                    + "Sec-WebSocket-Protocol: proto-b\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            o.flush();
            java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
            for (int i = 0; i < 2; i++) {
                int b0 = in.readUnsignedByte();
                int len = in.readUnsignedByte() & 0x7f;
                byte[] mask = new byte[4];
                in.readFully(mask);
                byte[] p = new byte[len];
                in.readFully(p);
                for (int k = 0; k < len; k++) {
                    p[k] ^= mask[k & 3];
                }
                o.write(b0);
                o.write(len);
                o.write(p);
                o.flush();
            }
            in.read();
        } catch (IOException e) {
            // the viewer side fails the test
        }
    }

    @Test
    void aViewerWebSocketKeepsItsSubprotocolAndCloseCode() throws Exception {
        try (ServerSocket backend = new ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress()); Gateway g = gateway("")) {
            Thread t = new Thread(() -> wsEchoBackend(backend));
            t.setDaemon(true);
            t.start();
            try (WstClient c = client(g, "w7", backend.getLocalPort(), TokenSource.fixed(Jwts.valid("w7")),
                    new java.util.concurrent.CopyOnWriteArrayList<>());
                 RawClient v = new RawClient(g.address(), 10_000)) {
                v.send("GET /wst/w7/echo HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        + "Sec-WebSocket-Protocol: proto-a, proto-b\r\n\r\n");
                String head = v.readHead();
                assertThat(head).startsWith("HTTP/1.1 101").contains("Sec-WebSocket-Protocol: proto-b\r\n")
                        .contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
                byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
                v.send(new byte[] {(byte) 0x81, (byte) (0x80 | 5), 0, 0, 0, 0});
                v.send(hello);
                assertThat(v.readExactly(7)).isEqualTo(new byte[] {(byte) 0x81, 5, 'h', 'e', 'l', 'l', 'o'});
                // Close with code 4001 (0x0FA1); the backend answers with the same code, relayed verbatim.
                v.send(new byte[] {(byte) 0x88, (byte) (0x80 | 2), 0, 0, 0, 0, 0x0F, (byte) 0xA1});
                assertThat(v.readExactly(4)).isEqualTo(new byte[] {(byte) 0x88, 2, 0x0F, (byte) 0xA1});
            }
        }
    }

    @SuppressWarnings("unused")
    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }
}
