package io.isthmus.core.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Debian nginx for tests, started with a private prefix directory (its own config, pid, logs and
 * temp paths) on a free 127.0.0.1 port, and stopped with SIGTERM so it takes its workers down.
 *
 * <p>nginx is required, never optional: when it is missing the fixture fails and says how to install it
 * (CI's .ci/run installs it). {@link #reverseProxy} is the set-up an operator uses in front of Isthmus
 * for upgrade protocols (WebRoute, Remoted, WebSocket): HTTP/1.1 upstream, Upgrade and Connection
 * passed on, no buffering, long read timeout.
 */
public final class NginxFixture implements AutoCloseable {

    private static final List<String> BINARIES = List.of("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx");
    private static final Duration START_LIMIT = Duration.ofSeconds(20);

    private final Process process;
    private final Path prefix;
    private final InetSocketAddress address;

    private NginxFixture(Process process, Path prefix, InetSocketAddress address) {
        this.process = process;
        this.prefix = prefix;
        this.address = address;
    }

    /** The nginx binary, or a failure that tells how to install it. */
    public static Path binary() {
        return BINARIES.stream().map(Path::of).filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new AssertionError("nginx is not installed (looked in " + BINARIES
                        + "); install it with: apt-get update && apt-get install -y nginx-light (or nginx)"));
    }

    /** nginx proxying everything on its port to {@code upstream}, upgrades included. */
    public static NginxFixture reverseProxy(InetSocketAddress upstream) throws IOException {
        return start("""
                location / {
                  proxy_pass http://%s:%d;
                  proxy_http_version 1.1;
                  proxy_set_header Host $host;
                  proxy_set_header Upgrade $http_upgrade;
                  proxy_set_header Connection "upgrade";
                  proxy_buffering off;
                  proxy_request_buffering off;
                  proxy_read_timeout 1h;
                  proxy_send_timeout 1h;
                }
                """.formatted(upstream.getAddress().getHostAddress(), upstream.getPort()));
    }

    /** nginx with {@code serverDirectives} inside its one {@code server} block (the listen line is added). */
    public static NginxFixture start(String serverDirectives) throws IOException {
        Path nginx = binary();
        Path prefix = Files.createTempDirectory("isthmus-nginx");
        IOException last = null;
        // A free port can be taken between our probe and nginx's bind: try a few.
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = LoopbackPorts.freePort();
            Files.writeString(prefix.resolve("nginx.conf"), config(prefix, port, serverDirectives));
            Process p = new ProcessBuilder(nginx.toString(), "-p", prefix + "/", "-e", prefix.resolve("error.log").toString(),
                    "-c", prefix.resolve("nginx.conf").toString())
                    .redirectErrorStream(true)
                    .redirectOutput(prefix.resolve("stdout.log").toFile())
                    .start();
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
            try {
                await("nginx answering on " + address).atMost(START_LIMIT).pollInterval(Duration.ofMillis(20))
                        .until(() -> !p.isAlive() || LoopbackPorts.answers(address));
            } catch (RuntimeException e) {
                stop(p);
                throw new AssertionError("nginx did not start: " + logs(prefix), e);
            }
            if (p.isAlive()) {
                return new NginxFixture(p, prefix, address);
            }
            last = new IOException("nginx exited with " + p.exitValue() + ": " + logs(prefix));
        }
        deleteTree(prefix);
        throw last;
    }

    private static String config(Path prefix, int port, String serverDirectives) {
        return mainConfig(prefix, """
                server {
                  listen 127.0.0.1:%d;
                %s
                }
                """.formatted(port, serverDirectives.indent(2)));
    }

    /**
     * A whole nginx.conf for a foreground nginx whose every file (pid, logs, temp dirs) lives under
     * {@code prefix}, with {@code httpBody} (server blocks, includes) inside its {@code http} block.
     */
    public static String mainConfig(Path prefix, String httpBody) {
        return """
                daemon off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log info;
                events { worker_connections 4096; }
                http {
                  access_log %1$s/access.log;
                  client_body_temp_path %1$s/body;
                  proxy_temp_path %1$s/proxy;
                  fastcgi_temp_path %1$s/fastcgi;
                  uwsgi_temp_path %1$s/uwsgi;
                  scgi_temp_path %1$s/scgi;
                %2$s
                }
                """.formatted(prefix, httpBody.indent(2));
    }

    /** The port nginx listens on, on 127.0.0.1. */
    public InetSocketAddress address() {
        return address;
    }

    /** The private prefix directory (config, logs). */
    public Path prefix() {
        return prefix;
    }

    /** nginx's error log so far, for assertion messages. */
    public String errorLog() {
        return logs(prefix);
    }

    private static String logs(Path prefix) {
        StringBuilder s = new StringBuilder();
        for (String name : new String[] {"stdout.log", "error.log"}) {
            Path f = prefix.resolve(name);
            try {
                if (Files.exists(f)) {
                    s.append("\n--- ").append(name).append(" ---\n").append(Files.readString(f, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                s.append("\n(cannot read ").append(name).append(": ").append(e.getMessage()).append(')');
            }
        }
        return s.toString();
    }

    private static void stop(Process p) {
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // A temp directory left behind is harmless.
        }
    }

    @Override
    public void close() {
        stop(process);
        deleteTree(prefix);
    }
}
