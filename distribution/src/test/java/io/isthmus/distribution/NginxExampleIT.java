package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.testing.NginxFixture;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped nginx example, unchanged but for its two ports, in front of the built executable: a
 * request through nginx gets Isthmus's own answer. Never skipped: without nginx it fails, naming the
 * package to install (.ci/run installs it).
 */
class NginxExampleIT {

    private static final Path EXAMPLE = Path.of("src/dist/examples/nginx.conf");
    private static final Duration LIMIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void nginxInFrontReachesIsthmus() throws Exception {
        Path exe = ChildProcess.executable();
        Path nginx = NginxFixture.binary();
        int isthmusPort = Loopback.freePort();
        int adminPort = Loopback.freePort();
        int nginxPort = Loopback.freePort();

        String site = Files.readString(EXAMPLE)
                .replace("server 127.0.0.1:8080;", "server 127.0.0.1:" + isthmusPort + ";")
                .replace("listen 80;", "listen 127.0.0.1:" + nginxPort + ";")
                .replace("listen [::]:80;", "");
        assertThat(site).contains("127.0.0.1:" + isthmusPort).contains("127.0.0.1:" + nginxPort);
        Files.writeString(dir.resolve("site.conf"), site);
        Files.writeString(dir.resolve("nginx.conf"), NginxFixture.mainConfig(dir, "include " + dir.resolve("site.conf") + ";"));
        String[] nginxArgs = {nginx.toString(), "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString()};

        ChildProcess syntax = ChildProcess.run(dir, LIMIT, Stream.concat(Stream.of(nginxArgs), Stream.of("-t"))
                .toArray(String[]::new));
        assertThat(syntax.exitCode()).as(syntax.toString()).isZero();

        Path conf = Files.writeString(dir.resolve("isthmus.conf"), "isthmus { listen = \"127.0.0.1:%d\", admin.listen = \"127.0.0.1:%d\" }\n"
                .formatted(isthmusPort, adminPort));
        try (ChildProcess gateway = ChildProcess.start(dir, Map.of(), List.of(exe.toString(), "run", "--config", conf.toString()));
             ChildProcess proxy = ChildProcess.start(dir, Map.of(), List.of(nginxArgs))) {
            await("Isthmus ready").atMost(LIMIT).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .failFast("the gateway exited", () -> !gateway.process().isAlive())
                    .until(() -> Loopback.get(adminPort, "/readyz").statusCode() == 200);
            // GET / answers Isthmus's landing page, naming its protocols: that reply proves the request went
            // through nginx to Isthmus.
            HttpResponse<String> res = await("a reply through nginx").atMost(LIMIT).pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions()
                    .failFast("nginx exited", () -> !proxy.process().isAlive())
                    .until(() -> Loopback.get(nginxPort, "/"), r -> r.statusCode() != 502);
            assertThat(res.statusCode()).as(proxy.toString()).isEqualTo(200);
            assertThat(res.body()).contains("webroute").contains("remoted");
            assertThat(Loopback.get(nginxPort, "/no-such-route").statusCode()).isEqualTo(404);
        }
    }
}
