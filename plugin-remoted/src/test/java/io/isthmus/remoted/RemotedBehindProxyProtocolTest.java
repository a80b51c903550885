package io.isthmus.remoted;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.core.testing.LoopbackPorts;
import io.isthmus.remoted.sdk.RemotedClient;
import io.isthmus.remoted.sdk.RemotedServerSocket;
import io.isthmus.remoted.sdk.RemotedSocket;
import io.isthmus.webroute.client.WebRouteConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Remoted tells a server about its client is the client's real address: a client that reaches the
 * gateway through a real HAProxy ({@code mode tcp}, {@code send-proxy-v2}, from its own 127.0.0.10) is
 * announced with its own address and port, not HAProxy's.
 */
class RemotedBehindProxyProtocolTest {

    private static final String HAPROXY_SOURCE = "127.0.0.10";

    @TempDir
    Path dir;

    @Test
    void theServerIsToldTheAddressTheProxyAnnounced() throws Exception {
        Path haproxy = List.of("/usr/sbin/haproxy", "/usr/local/sbin/haproxy").stream().map(Path::of)
                .filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new AssertionError("haproxy is not installed; apt-get install -y haproxy"));
        try (Gateway g = TestGateways.start(RemotedSdkTest.config()
                + "isthmus.client-address.proxy-protocol-sources = [\"" + HAPROXY_SOURCE + "/32\"]\n")) {
            int front = LoopbackPorts.freePort();
            Files.writeString(dir.resolve("haproxy.cfg"), """
                    defaults
                        mode tcp
                        timeout connect 5s
                        timeout client 60s
                        timeout server 60s
                    frontend front
                        bind 127.0.0.1:%d
                        default_backend gateway
                    backend gateway
                        server g 127.0.0.1:%d send-proxy-v2 source %s
                    """.formatted(front, g.address().getPort(), HAPROXY_SOURCE));
            Process p = new ProcessBuilder(haproxy.toString(), "-db", "-f", dir.resolve("haproxy.cfg").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
            try {
                await("haproxy").atMost(Duration.ofSeconds(20)).failFast(() -> !p.isAlive()).until(() -> LoopbackPorts.answers(front));
                String path = RemotedSdkTest.path();
                // The server registers directly (127.0.0.1 is not a PROXY source: it is served as itself).
                try (RemotedServerSocket server = RemotedSdkTest.register(RemotedSdkTest.gw(g), path)) {
                    CompletableFuture<RemotedSocket> accepted = CompletableFuture.supplyAsync(() -> {
                        try {
                            return server.accept();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    try (WebRouteConnection client = RemotedClient.connect("rwr://" + RemotedSdkTest.CK + "@127.0.0.1:" + front + path, null);
                         RemotedSocket s = accepted.get(20, TimeUnit.SECONDS)) {
                        assertThat(s.clientAddress().getHostString()).as("not HAProxy's " + HAPROXY_SOURCE).isEqualTo("127.0.0.1");
                        assertThat(s.clientAddress().getPort()).isEqualTo(client.socket().getLocalPort());
                        client.output().write("via haproxy".getBytes());
                        client.output().flush();
                        assertThat(new String(s.getInputStream().readNBytes(11))).isEqualTo("via haproxy");
                    }
                }
            } finally {
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }
}
