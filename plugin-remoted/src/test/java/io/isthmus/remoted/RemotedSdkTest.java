package io.isthmus.remoted;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.NginxFixture;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.remoted.sdk.RemotedClient;
import io.isthmus.remoted.sdk.RemotedServerSocket;
import io.isthmus.remoted.sdk.RemotedSocket;
import io.isthmus.webroute.client.StreamBridge;
import io.isthmus.webroute.client.WebRouteConnection;
import io.isthmus.webroute.client.WebRouteException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Java SDK against a real gateway: a firewalled echo server and its clients. */
class RemotedSdkTest {

    static final String SK = "server-key-0123456789abcdef";
    static final String CK = "client-key-0123456789abcdef";
    static Gateway gateway;
    static ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeAll
    static void start() {
        gateway = TestGateways.start(config());
    }

    static String config() {
        return """
                isthmus.plugins.remoted { server-keys = ["%s"], client-keys = ["%s"], wait-timeout = 10s }
                isthmus.limits.max-connections-per-ip = 5000
                isthmus.plugins.remoted.max-waiting-per-ip = 1000
                """.formatted(SK, CK);
    }

    @AfterAll
    static void stop() {
        gateway.close();
        pool.shutdownNow();
    }

    static String gw(Gateway g) {
        return "127.0.0.1:" + g.address().getPort();
    }

    static String path() {
        return "/svc-" + UUID.randomUUID() + "/";
    }

    static RemotedServerSocket register(String authority, String path) throws Exception {
        RemotedServerSocket server = RemotedServerSocket.builder().backoff(Duration.ofMillis(50), Duration.ofMillis(400))
                .open("rws://" + SK + "@" + authority + path);
        assertThat(server.awaitRegistered(Duration.ofSeconds(10))).isTrue();
        return server;
    }

    /** Echoes every accepted connection until the socket closes. */
    static void echoAll(RemotedServerSocket server) {
        pool.execute(() -> {
            while (true) {
                RemotedSocket s;
                try {
                    s = server.accept();
                } catch (Exception closed) {
                    return;
                }
                pool.execute(() -> {
                    try (s) {
                        StreamBridge.copy(s.getInputStream(), s.getOutputStream());
                        s.shutdownOutput();
                    } catch (IOException ignored) {
                        // The client went away; other clients are not affected.
                    }
                });
            }
        });
    }

    static byte[] roundTrip(String rwr, byte[] payload) throws Exception {
        try (WebRouteConnection c = RemotedClient.connect(rwr, null)) {
            CompletableFuture<byte[]> back = CompletableFuture.supplyAsync(() -> {
                try {
                    return c.input().readAllBytes();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, pool);
            c.output().write(payload);
            c.output().flush();
            c.shutdownOutput();
            return back.get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void acceptReturnsTheClientWithItsAddress() throws Exception {
        String p = path();
        try (RemotedServerSocket server = register(gw(gateway), p)) {
            CompletableFuture<RemotedSocket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.accept();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, pool);
            try (WebRouteConnection client = RemotedClient.connect("rwr://" + CK + "@" + gw(gateway) + p, null);
                 RemotedSocket s = accepted.get(20, TimeUnit.SECONDS)) {
                assertThat(s.clientAddress().getHostString()).isEqualTo("127.0.0.1");
                assertThat(s.clientAddress().getPort()).isEqualTo(client.socket().getLocalPort());
                client.output().write("hello server".getBytes());
                client.output().flush();
                assertThat(new String(s.getInputStream().readNBytes(12))).isEqualTo("hello server");
                s.getOutputStream().write("hello client".getBytes());
                s.getOutputStream().flush();
                assertThat(new String(client.input().readNBytes(12))).isEqualTo("hello client");
            }
        }
    }

    @Test
    void twoHundredConcurrentClientsThroughOneServerKeepTheirBytes() throws Exception {
        String p = path();
        try (RemotedServerSocket server = register(gw(gateway), p)) {
            echoAll(server);
            List<CompletableFuture<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int seed = i;
                results.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        byte[] payload = new byte[16 * 1024 + seed * 311];
                        new Random(seed).nextBytes(payload);
                        byte[] echoed = roundTrip("rwr://" + CK + "@" + gw(gateway) + p, payload);
                        MessageDigest sha = MessageDigest.getInstance("SHA-256");
                        return MessageDigest.isEqual(sha.digest(payload), MessageDigest.getInstance("SHA-256").digest(echoed));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, pool));
            }
            CompletableFuture.allOf(results.toArray(new CompletableFuture[0])).get(120, TimeUnit.SECONDS);
            assertThat(results).allSatisfy(r -> assertThat(r.join()).isTrue());
        }
    }

    @Test
    void whileTheServerIsGoneClientsGet502ThenSucceedOnceItIsBack() throws Exception {
        String p = path();
        String rwr = "rwr://" + CK + "@" + gw(gateway) + p;
        try (RemotedServerSocket first = register(gw(gateway), p)) {
            echoAll(first);
            assertThat(roundTrip(rwr, "one".getBytes())).isEqualTo("one".getBytes());
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThatThrownBy(() -> roundTrip(rwr, "x".getBytes())).hasMessageContaining("502"));
        try (RemotedServerSocket second = register(gw(gateway), p)) {
            echoAll(second);
            assertThat(roundTrip(rwr, "two".getBytes())).isEqualTo("two".getBytes());
        }
    }

    @Test
    void aRestartedGatewayIsRejoinedByTheServerSocket() throws Exception {
        Gateway first = TestGateways.start(config());
        int port = first.address().getPort();
        String p = path();
        try (RemotedServerSocket server = register("127.0.0.1:" + port, p)) {
            echoAll(server);
            String rwr = "rwr://" + CK + "@127.0.0.1:" + port + p;
            assertThat(roundTrip(rwr, "before".getBytes())).isEqualTo("before".getBytes());
            first.close();
            Gateway second = TestGateways.start(config().replace("isthmus.plugins.remoted {",
                    "isthmus.listen = \"127.0.0.1:" + port + "\"\nisthmus.plugins.remoted {"));
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> server.registrations() >= 2);
                await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                        .until(() -> new String(roundTrip(rwr, "after".getBytes())).equals("after"));
            } finally {
                second.close();
            }
        }
    }

    @Test
    void case29_aChainEndsAtTheFirstUrlThatIsNotRemoted() throws Exception {
        String p = path();
        try (RemotedServerSocket server = register(gw(gateway), p)) {
            echoAll(server);
            try (WebRouteConnection c = RemotedClient.connect("rwr://" + CK + "@" + gw(gateway) + p + "   https://localhost:1234", null)) {
                assertThat(c.nextUrl()).hasValue("https://localhost:1234");
                c.output().write("through one hop".getBytes());
                c.output().flush();
                assertThat(new String(c.input().readNBytes(15))).isEqualTo("through one hop");
            }
        }
    }

    @Test
    void wrongAndMissingKeysAreRefused() throws Exception {
        String p = path();
        try (RemotedServerSocket server = register(gw(gateway), p)) {
            assertThatThrownBy(() -> RemotedClient.connect("rwr://wrong-key-0123456789abcdef@" + gw(gateway) + p, null))
                    .isInstanceOf(WebRouteException.class).hasMessageContaining("403");
            assertThatThrownBy(() -> RemotedClient.connect("rwr://" + gw(gateway) + p, null))
                    .isInstanceOf(WebRouteException.class)
                    .satisfies(e -> assertThat(((WebRouteException) e).error()).isEqualTo("missing_client_key"));
            // A server key works only to register and connect back, never as a client.
            assertThatThrownBy(() -> RemotedClient.connect("rwr://" + SK + "@" + gw(gateway) + p, null))
                    .isInstanceOf(WebRouteException.class);
        }
        try (RemotedServerSocket impostor = RemotedServerSocket.builder().backoff(Duration.ofMillis(50), Duration.ofMillis(200))
                .open("rws://wrong-key-0123456789abcdef@" + gw(gateway) + path())) {
            assertThat(impostor.awaitRegistered(Duration.ofSeconds(2))).isFalse();
        }
    }

    @Test
    void theWholeFlowWorksBehindARealNginx() throws Exception {
        try (NginxFixture nginx = NginxFixture.reverseProxy(gateway.address())) {
            InetSocketAddress front = nginx.address();
            String authority = "127.0.0.1:" + front.getPort();
            String p = path();
            try (RemotedServerSocket server = register(authority, p)) {
                echoAll(server);
                byte[] payload = new byte[256 * 1024];
                new Random(1).nextBytes(payload);
                // nginx ends an upgraded connection as soon as one side sends FIN, so read the echo before closing.
                try (WebRouteConnection c = RemotedClient.connect("rwr://" + CK + "@" + authority + p, null)) {
                    CompletableFuture<byte[]> back = CompletableFuture.supplyAsync(() -> {
                        try {
                            return c.input().readNBytes(payload.length);
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    }, pool);
                    c.output().write(payload);
                    c.output().flush();
                    assertThat(back.get(60, TimeUnit.SECONDS)).isEqualTo(payload);
                }
            }
        }
    }
}
