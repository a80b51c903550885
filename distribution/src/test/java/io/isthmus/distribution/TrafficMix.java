package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.remoted.sdk.RemotedClient;
import io.isthmus.remoted.sdk.RemotedServerSocket;
import io.isthmus.remoted.sdk.RemotedSocket;
import io.isthmus.webroute.client.WebRouteConnection;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Real traffic on an in-process gateway with the shipped plugins, for the tests of what operators watch:
 * linked WebRoute pairs that have moved bytes both ways, one WebRoute client left waiting, and refusals
 * at the front door ({@code no_route}), in WebRoute ({@code missing_id}) and in Remoted ({@code invalid_key});
 * with {@link #SERVER_KEY} and {@link #CLIENT_KEY} configured ({@link #config}), also one Remoted link
 * (Remoted's Java SDK) and the other plugins' traffic ({@link PluginTraffic}: Bare, websocktunnel,
 * websockify, Wisp).
 * Everything stays open (the pairs idle) until {@link #close}, so figures hold still while compared.
 */
final class TrafficMix implements AutoCloseable {

    /** Remoted keys for {@link #config}: 43 characters of base64url, as the gateway would generate. */
    static final String SERVER_KEY = "s3rverKeyForTheMonitoringTestsOnly000000000";
    static final String CLIENT_KEY = "c1ientKeyForTheMonitoringTestsOnly000000000";

    /**
     * Gateway config with Remoted keys, so that {@link #start} links a Remoted pair too, and what the other
     * plugins' traffic needs ({@link PluginTraffic#config}).
     */
    static String config() {
        return "isthmus.plugins.remoted.server-keys = [\"" + SERVER_KEY + "\"]\n"
                + "isthmus.plugins.remoted.client-keys = [\"" + CLIENT_KEY + "\"]\n"
                + PluginTraffic.config();
    }

    private final List<AutoCloseable> clients = new ArrayList<>();
    final int pairs;
    final long bytesUp;
    final long bytesDown;

    private TrafficMix(int pairs, long bytesUp, long bytesDown) {
        this.pairs = pairs;
        this.bytesUp = bytesUp;
        this.bytesDown = bytesDown;
    }

    static String webRouteHead(String id) {
        return "GET /status-demo HTTP/1.1\r\nHost: gateway\r\nConnection: Upgrade\r\nUpgrade: webroute\r\n"
                + "WebRoute-Version: 1\r\nWebRoute-ID: " + id + "\r\n\r\n";
    }

    static TrafficMix start(Gateway gateway, int pairs) throws IOException {
        Random random = new Random(16);
        long up = 0;
        long down = 0;
        TrafficMix mix = new TrafficMix(pairs, 0, 0);
        try {
            for (int i = 0; i < pairs; i++) {
                String id = "mix-" + i + "-" + System.nanoTime();
                RawClient a = mix.add(new RawClient(gateway.address(), 10_000));
                a.send(webRouteHead(id));
                await().atMost(Duration.ofSeconds(5)).until(() -> waiting(gateway) >= 1);
                RawClient b = mix.add(new RawClient(gateway.address(), 10_000));
                b.send(webRouteHead(id));
                assertThat(a.readHead()).startsWith("HTTP/1.1 101 ");
                assertThat(b.readHead()).startsWith("HTTP/1.1 101 ");
                byte[] toB = new byte[20_000 * (i + 1)];
                byte[] toA = new byte[150_000 * (i + 1)];
                random.nextBytes(toB);
                random.nextBytes(toA);
                a.send(toB);
                assertThat(b.readExactly(toB.length)).isEqualTo(toB);
                b.send(toA);
                assertThat(a.readExactly(toA.length)).isEqualTo(toA);
                up += toB.length;
                down += toA.length;
            }
            // One client left waiting for a partner that never comes.
            mix.add(new RawClient(gateway.address(), 10_000)).send(webRouteHead("lonely-" + System.nanoTime()));
            await().atMost(Duration.ofSeconds(5)).until(() -> waiting(gateway) >= 1);
            if (remotedKeysSet(gateway)) {
                mix.remotedLink(gateway);
                // Bare, websocktunnel, websockify and Wisp: configured by the same config().
                mix.clients.add(PluginTraffic.start(gateway));
            }
            refuse(gateway, "GET /no-such-route HTTP/1.1\r\nHost: gateway\r\n\r\n", "HTTP/1.1 404");
            refuse(gateway, "GET /status-demo HTTP/1.1\r\nHost: gateway\r\nConnection: Upgrade\r\nUpgrade: webroute\r\n"
                    + "WebRoute-Version: 1\r\n\r\n", "HTTP/1.1 400");
            refuse(gateway, "GET /api HTTP/1.1\r\nHost: gateway\r\nX-Remoted-APIKey: not-the-key\r\n\r\n", "HTTP/1.1 403");
        } catch (IOException | RuntimeException | Error e) {
            mix.close();
            throw e;
        } catch (Exception e) {
            mix.close();
            throw new IOException(e);
        }
        TrafficMix done = new TrafficMix(pairs, up, down);
        done.clients.addAll(mix.clients);
        return done;
    }

    private static boolean remotedKeysSet(Gateway gateway) {
        var root = gateway.injector().getInstance(com.typesafe.config.Config.class);
        return root.getStringList("isthmus.plugins.remoted.server-keys").contains(SERVER_KEY);
    }

    /** The server's next accepted link, accepted on a pool thread so that the caller can connect meanwhile. */
    static CompletableFuture<RemotedSocket> acceptLater(RemotedServerSocket server) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return server.accept();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
    }

    /** A server registers its path, a client reaches it, and a few bytes go each way. */
    private void remotedLink(Gateway gateway) throws IOException {
        String host = "127.0.0.1:" + gateway.address().getPort();
        RemotedServerSocket server = RemotedServerSocket.open("rws://" + SERVER_KEY + "@" + host + "/mix/service/");
        clients.add(server);
        try {
            assertThat(server.awaitRegistered(Duration.ofSeconds(10))).as("remoted registration").isTrue();
            CompletableFuture<RemotedSocket> accepted = acceptLater(server);
            WebRouteConnection client = RemotedClient.connect("rwr://" + CLIENT_KEY + "@" + host + "/mix/service/", null);
            clients.add(client::close);
            RemotedSocket served = accepted.get(10, TimeUnit.SECONDS);
            clients.add(served);
            client.output().write("ping".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            client.output().flush();
            assertThat(served.getInputStream().readNBytes(4)).asString(java.nio.charset.StandardCharsets.US_ASCII).isEqualTo("ping");
            served.getOutputStream().write("pong!".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            served.getOutputStream().flush();
            assertThat(client.input().readNBytes(5)).asString(java.nio.charset.StandardCharsets.US_ASCII).isEqualTo("pong!");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("the remoted server got no client", e);
        }
    }

    private static double waiting(Gateway gateway) {
        var gauge = gateway.metrics().registry().find("isthmus.webroute.waiting").tag("protocol", "webroute").gauge();
        return gauge == null ? 0 : gauge.value();
    }

    private static void refuse(Gateway gateway, String head, String status) throws IOException {
        try (RawClient c = new RawClient(gateway.address(), 10_000)) {
            c.send(head);
            assertThat(c.readToEofAscii()).startsWith(status);
        }
    }

    private <T extends AutoCloseable> T add(T c) {
        clients.add(c);
        return c;
    }

    @Override
    public void close() throws IOException {
        for (AutoCloseable c : clients) {
            try {
                c.close();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
    }
}
