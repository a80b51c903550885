package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.LeakGuard;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.core.testing.WsFrames;
import io.isthmus.wstunnel.TunnelTokens;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * SIGTERM's drain across protocols: readiness turns false at once and no new connection is accepted;
 * links and exchanges that end before the deadline lose no byte (SHA-256 on both sides); Remoted servers
 * and websocktunnel clients are told to go elsewhere (close 1001); and the drain ends as soon as the last
 * link does, without aborting anything.
 */
@ExtendWith(LeakGuard.class)
class GracefulDrainTest {

    private static final String SERVER_KEY = "s3rverKeyForTheDrainTestsOnly00000000000000";
    private static final String WST_SECRET = "a-websocktunnel-secret-of-at-least-32-bytes!";
    private static final int BODY = 3 << 20;

    private final List<AutoCloseable> open = new ArrayList<>();
    private Gateway gateway;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    private RawClient client() throws IOException {
        RawClient c = new RawClient(gateway.address(), 20_000);
        open.add(c);
        return c;
    }

    private static String webSocket(String path, String extraHeaders) {
        return WsFrames.upgradeRequest(path, "127.0.0.1", extraHeaders);
    }

    private static String webRoute(String id) {
        return "GET /drain HTTP/1.1\r\nHost: gateway\r\nConnection: Upgrade\r\nUpgrade: webroute\r\n"
                + "WebRoute-Version: 1\r\nWebRoute-ID: " + id + "\r\n\r\n";
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    /** An origin that answers one request with {@code body}, but only once {@code go} is released. */
    private static ServerSocket slowOrigin(byte[] body, CountDownLatch go) throws IOException {
        ServerSocket origin = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            try (Socket s = origin.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                RawClient.readHeadFrom(in);
                if (go.await(30, TimeUnit.SECONDS)) {
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + body.length
                            + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    out.write(body);
                    out.flush();
                }
            } catch (IOException | InterruptedException ignored) {
                // The test failed elsewhere.
            }
        }, "slow-origin");
        t.setDaemon(true);
        t.start();
        return origin;
    }

    private int readyz() throws Exception {
        HttpResponse<Void> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.adminAddress().getPort() + "/readyz")).build(),
                HttpResponse.BodyHandlers.discarding());
        return r.statusCode();
    }

    @Test
    void linksEndingBeforeTheDeadlineLoseNoByteWhileLongLivedPeersAreToldToGoElsewhere() throws Exception {
        gateway = TestGateways.start("""
                isthmus.shutdown.drain-timeout = 20s
                isthmus.plugins.bare.egress.allow-cidrs = ["127.0.0.0/8"]
                isthmus.plugins.remoted.server-keys = ["%s"]
                isthmus.plugins.wstunnel.secrets = ["%s"]
                """.formatted(SERVER_KEY, WST_SECRET));
        assertThat(readyz()).isEqualTo(200);
        Random random = new Random(15);

        // A linked WebRoute pair.
        RawClient a = client();
        a.send(webRoute("drain-pair"));
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.metrics().scrape()
                .contains("isthmus_webroute_waiting{protocol=\"webroute\"} 1"));
        RawClient b = client();
        b.send(webRoute("drain-pair"));
        assertThat(a.readHead()).startsWith("HTTP/1.1 101 ");
        assertThat(b.readHead()).startsWith("HTTP/1.1 101 ");
        // A Bare request whose origin answers only after the drain has begun.
        byte[] body = new byte[BODY];
        random.nextBytes(body);
        CountDownLatch originGo = new CountDownLatch(1);
        ServerSocket origin = slowOrigin(body, originGo);
        open.add(origin);
        RawClient bare = client();
        bare.send("GET /bare/v3/ HTTP/1.1\r\nHost: gateway\r\nX-Bare-URL: http://127.0.0.1:" + origin.getLocalPort()
                + "/file\r\nX-Bare-Headers: {}\r\nConnection: close\r\n\r\n");
        // A second one on a keep-alive connection, answered while the pair is still open.
        CountDownLatch origin2Go = new CountDownLatch(1);
        ServerSocket origin2 = slowOrigin(body, origin2Go);
        open.add(origin2);
        RawClient keepAlive = client();
        keepAlive.send("GET /bare/v3/ HTTP/1.1\r\nHost: gateway\r\nX-Bare-URL: http://127.0.0.1:" + origin2.getLocalPort()
                + "/file\r\nX-Bare-Headers: {}\r\n\r\n");
        // A Remoted registration and a websocktunnel client with no stream.
        RawClient remoted = client();
        remoted.send(webSocket("/svc/", "X-Remoted-APIKey: " + SERVER_KEY + "\r\nOrigin: http://127.0.0.1\r\n"));
        assertThat(remoted.readHead()).startsWith("HTTP/1.1 101 ");
        RawClient wst = client();
        wst.send(webSocket("/wst/", "x-websocktunnel-id: c1\r\nAuthorization: Bearer "
                + TunnelTokens.mint(WST_SECRET, "c1", Duration.ofHours(1), "", Clock.systemUTC()) + "\r\n"));
        assertThat(wst.readHead()).startsWith("HTTP/1.1 101 ");
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.metrics().scrape().contains("isthmus_splices_active{protocol=\"webroute\"} 1"));

        long began = System.nanoTime();
        CompletableFuture<Void> drained = CompletableFuture.runAsync(gateway::shutdown);
        // Readiness is false at once, and the port takes no new connection.
        await().atMost(Duration.ofMillis(500)).pollInterval(Duration.ofMillis(10)).until(() -> !gateway.isReady());
        assertThat(readyz()).isEqualTo(503);
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20)).untilAsserted(() ->
                assertThatThrownBy(() -> new Socket(gateway.address().getAddress(), gateway.address().getPort()).close())
                        .isInstanceOf(ConnectException.class));
        // Long-lived peers are told to reconnect elsewhere: WebSocket close 1001 (going away).
        assertThat(closeCode(remoted)).isEqualTo(1001);
        assertThat(closeCode(wst)).isEqualTo(1001);

        // The pair still carries bytes both ways, every one of them.
        byte[] up = new byte[BODY];
        byte[] down = new byte[BODY];
        random.nextBytes(up);
        random.nextBytes(down);
        CompletableFuture<byte[]> atB = CompletableFuture.supplyAsync(() -> readQuietly(b, up.length));
        CompletableFuture<byte[]> atA = CompletableFuture.supplyAsync(() -> readQuietly(a, down.length));
        a.send(up);
        b.send(down);
        assertThat(sha256(atB.get(20, TimeUnit.SECONDS))).isEqualTo(sha256(up));
        assertThat(sha256(atA.get(20, TimeUnit.SECONDS))).isEqualTo(sha256(down));
        // A keep-alive exchange gets its whole reply, then a FIN: no next request while draining (the pair
        // is still open, so this is not the drain's final close).
        origin2Go.countDown();
        assertThat(keepAlive.readHead()).startsWith("HTTP/1.1 200 ").doesNotContainIgnoringCase("connection: close");
        assertThat(sha256(keepAlive.readExactly(BODY))).isEqualTo(sha256(body));
        assertThat(keepAlive.readToEof()).isEmpty();
        a.shutdownOutput();
        b.shutdownOutput();
        assertThat(a.readToEof()).isEmpty();
        assertThat(b.readToEof()).isEmpty();
        // With no splice left, the Bare exchange still in flight holds the drain open and completes, byte for byte.
        originGo.countDown();
        String head = bare.readHead();
        assertThat(head).startsWith("HTTP/1.1 200 ").containsIgnoringCase("content-length: " + BODY);
        assertThat(sha256(bare.readExactly(BODY))).isEqualTo(sha256(body));

        drained.get(15, TimeUnit.SECONDS);
        long drainMillis = (System.nanoTime() - began) / 1_000_000;
        assertThat(drainMillis).as("ended with the last link, not at the 20 s deadline").isLessThan(15_000);
        assertThat(gateway.metrics().registry().get("isthmus.drain.aborted").counter().count()).isZero();
        System.out.println("drain: 2 x " + BODY + " bytes through a WebRoute pair and 2 x " + BODY
                + " bytes of Bare replies after SIGTERM, 0 lost, drain took " + drainMillis + " ms");
    }

    private static byte[] readQuietly(RawClient c, int n) {
        try {
            return c.readExactly(n);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int closeCode(RawClient c) throws IOException {
        WsFrames.Frame f = WsFrames.readData(new DataInputStream(c.in()));
        assertThat(f.opcode()).isEqualTo(WsFrames.CLOSE);
        return f.closeCode();
    }
}
