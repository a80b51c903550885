package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.testing.RawClient;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped HAProxy example, unchanged but for its two ports, in front of the built executable: it
 * passes its own check, and a WebRoute pair links through it and carries bytes both ways (HAProxy turns
 * the connection into a tunnel after the 101). Never skipped: without haproxy it fails, naming the package.
 */
class HaproxyExampleIT {

    private static final Path EXAMPLE = Path.of("src/dist/examples/haproxy.cfg");
    private static final Duration LIMIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void aWebRoutePairLinksThroughHaproxy() throws Exception {
        Path exe = ChildProcess.executable();
        Path haproxy = Path.of("/usr/sbin/haproxy");
        assertThat(haproxy).as("haproxy is not installed; run ./test.sh, or: apt-get install -y --no-install-recommends haproxy")
                .isExecutable();
        int isthmusPort = Loopback.freePort();
        int adminPort = Loopback.freePort();
        int proxyPort = Loopback.freePort();

        String example = Files.readString(EXAMPLE)
                .replace("server isthmus1 127.0.0.1:8080", "server isthmus1 127.0.0.1:" + isthmusPort)
                .replace("bind :80", "bind 127.0.0.1:" + proxyPort);
        assertThat(example).contains("127.0.0.1:" + isthmusPort).contains("127.0.0.1:" + proxyPort);
        // The example is appended to a haproxy.cfg after its global section: a minimal one here.
        Path cfg = Files.writeString(dir.resolve("haproxy.cfg"), "global\n    maxconn 1000\n\n" + example);
        ChildProcess check = ChildProcess.run(dir, LIMIT, haproxy.toString(), "-c", "-f", cfg.toString());
        assertThat(check.exitCode()).as(check.toString()).isZero();

        Path conf = Files.writeString(dir.resolve("isthmus.conf"), "isthmus { listen = \"127.0.0.1:%d\", admin.listen = \"127.0.0.1:%d\" }\n"
                .formatted(isthmusPort, adminPort));
        try (ChildProcess gateway = ChildProcess.start(dir, Map.of(), List.of(exe.toString(), "run", "--config", conf.toString()))) {
            await("Isthmus ready").atMost(LIMIT).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .failFast("the gateway exited", () -> !gateway.process().isAlive())
                    .until(() -> Loopback.get(adminPort, "/readyz").statusCode() == 200);
            // HAProxy only once the gateway listens: each backend health-checks it on its own clock, and one
            // started earlier can mark the paired backend down (503) after the catch-all one is up again.
            try (ChildProcess proxy = ChildProcess.start(dir, Map.of(), List.of(haproxy.toString(), "-db", "-f", cfg.toString()))) {
                throughHaproxy(proxy, adminPort, proxyPort);
            }
        }
    }

    private static void throughHaproxy(ChildProcess proxy, int adminPort, int proxyPort) throws Exception {
        // A plain request nobody claims: Isthmus's own 404, through HAProxy.
        await("a reply through haproxy").atMost(LIMIT).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .failFast("haproxy exited", () -> !proxy.process().isAlive())
                .until(() -> Loopback.get(proxyPort, "/no-such-route").statusCode() == 404);

        InetSocketAddress front = new InetSocketAddress("127.0.0.1", proxyPort);
        String head = TrafficMix.webRouteHead("haproxy-" + System.nanoTime());
        try (RawClient a = new RawClient(front, 10_000); RawClient b = new RawClient(front, 10_000)) {
            a.send(head);
            await().atMost(Duration.ofSeconds(10)).until(() -> Loopback.get(adminPort, "/metrics").body()
                    .contains("isthmus_webroute_waiting{protocol=\"webroute\"} 1.0"));
            b.send(head);
            assertThat(a.readHead()).startsWith("HTTP/1.1 101 ");
            assertThat(b.readHead()).startsWith("HTTP/1.1 101 ");
            byte[] payload = new byte[512 * 1024];
            new Random(7).nextBytes(payload);
            a.send(payload);
            assertThat(b.readExactly(payload.length)).isEqualTo(payload);
            b.send("through haproxy".getBytes(StandardCharsets.US_ASCII));
            assertThat(a.readExactly(15)).asString(StandardCharsets.US_ASCII).isEqualTo("through haproxy");
        }
    }
}
