package io.isthmus.core.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.NginxFixture;
import io.isthmus.core.testing.ProbePairing;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.core.testing.LoopbackPorts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real client address behind real proxies on loopback: Debian's HAProxy with {@code send-proxy-v2}
 * and {@code send-proxy}, nginx's {@code stream} with {@code proxy_protocol on} (v1), and nginx's
 * {@code http} proxy with {@code X-Forwarded-For} and with {@code Forwarded}. Every client connects from its
 * own 127.x.y.z address; each proxy reaches the gateway from its own 127.0.0.x, which the gateway trusts
 * for exactly one mechanism. The plugin sees the address the proxy announced, and the per-IP cap
 * (2 here) binds that address, not the proxy's.
 */
class BehindRealProxiesTest {

    private static final List<String> HAPROXY = List.of("/usr/sbin/haproxy", "/usr/local/sbin/haproxy");
    private static final String HAPROXY_SOURCE = "127.0.0.10";
    private static final String NGINX_STREAM_SOURCE = "127.0.0.11";
    private static final String NGINX_HTTP_SOURCE = "127.0.0.12";
    private static final AtomicInteger PAIRS = new AtomicInteger();

    static Gateway gateway;
    static Path dir;
    static Process haproxy;
    static Process nginx;
    static int haproxyV2;
    static int haproxyV1;
    static int nginxStream;
    static int nginxHttp;

    @BeforeAll
    static void start() throws Exception {
        gateway = TestGateways.start("""
                isthmus.limits.max-connections-per-ip = 2
                isthmus.client-address.proxy-protocol-sources = ["%s/32", "%s/32"]
                isthmus.trusted-proxies = ["%s/32"]
                isthmus.client-address.forwarded-headers = ["forwarded", "x-forwarded-for"]
                """.formatted(HAPROXY_SOURCE, NGINX_STREAM_SOURCE, NGINX_HTTP_SOURCE));
        int g = gateway.address().getPort();
        dir = Files.createTempDirectory("isthmus-proxies");
        haproxyV2 = LoopbackPorts.freePort();
        haproxyV1 = LoopbackPorts.freePort();
        nginxStream = LoopbackPorts.freePort();
        nginxHttp = LoopbackPorts.freePort();

        Path haproxyBinary = HAPROXY.stream().map(Path::of).filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new AssertionError("haproxy is not installed; apt-get install -y haproxy"));
        Files.writeString(dir.resolve("haproxy.cfg"), """
                global
                    maxconn 200
                defaults
                    mode tcp
                    timeout connect 5s
                    timeout client 60s
                    timeout server 60s
                frontend v2
                    bind 127.0.0.1:%1$d
                    default_backend gateway_v2
                frontend v1
                    bind 127.0.0.1:%2$d
                    default_backend gateway_v1
                backend gateway_v2
                    server g 127.0.0.1:%3$d send-proxy-v2 source %4$s
                backend gateway_v1
                    server g 127.0.0.1:%3$d send-proxy source %4$s
                """.formatted(haproxyV2, haproxyV1, g, HAPROXY_SOURCE));
        haproxy = new ProcessBuilder(haproxyBinary.toString(), "-db", "-f", dir.resolve("haproxy.cfg").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();

        String http = NginxFixture.mainConfig(dir, """
                server {
                  listen 127.0.0.1:%1$d;
                  proxy_http_version 1.1;
                  proxy_buffering off;
                  proxy_read_timeout 60s;
                  proxy_bind %2$s;
                  location / {
                    proxy_pass http://127.0.0.1:%3$d;
                    # proxy_set_header here replaces every inherited one: each location sets all it needs.
                    proxy_set_header Upgrade $http_upgrade;
                    proxy_set_header Connection "upgrade";
                    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                    proxy_set_header Forwarded "";
                  }
                  location ~ ^/(info|pair)/rfc7239/ {
                    proxy_pass http://127.0.0.1:%3$d;
                    proxy_set_header Upgrade $http_upgrade;
                    proxy_set_header Connection "upgrade";
                    proxy_set_header Forwarded "for=$remote_addr;proto=http";
                    proxy_set_header X-Forwarded-For "";
                  }
                }
                """.formatted(nginxHttp, NGINX_HTTP_SOURCE, g));
        Files.writeString(dir.resolve("nginx.conf"), """
                load_module /usr/lib/nginx/modules/ngx_stream_module.so;
                stream {
                  server {
                    listen 127.0.0.1:%d;
                    proxy_pass 127.0.0.1:%d;
                    proxy_protocol on;
                    proxy_bind %s;
                  }
                }
                """.formatted(nginxStream, g, NGINX_STREAM_SOURCE) + http);
        nginx = new ProcessBuilder(NginxFixture.binary().toString(), "-p", dir + "/", "-e", dir.resolve("error.log").toString(),
                "-c", dir.resolve("nginx.conf").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.log").toFile()).start();
        for (int port : new int[] {haproxyV2, haproxyV1, nginxStream, nginxHttp}) {
            await("proxy on " + port).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                    .failFast(() -> !haproxy.isAlive() || !nginx.isAlive())
                    .until(() -> LoopbackPorts.answers(port));
        }
    }

    @AfterAll
    static void stop() throws IOException {
        for (Process p : new Process[] {haproxy, nginx}) {
            if (p != null) {
                p.destroy();
                try {
                    if (!p.waitFor(10, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (gateway != null) {
            gateway.close();
        }
        if (dir != null) {
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static int port(String proxy) {
        return switch (proxy) {
            case "haproxy-send-proxy-v2" -> haproxyV2;
            case "haproxy-send-proxy" -> haproxyV1;
            case "nginx-stream-proxy-protocol" -> nginxStream;
            default -> nginxHttp;
        };
    }

    /** A connection from {@code source} (any 127.x.y.z is ours on loopback) to the proxy on {@code port}. */
    private static Socket from(String source, int port) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout(15_000);
        s.bind(new InetSocketAddress(source, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        return s;
    }

    private static String exchange(Socket s, String request) throws IOException {
        s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                all.write(buf, 0, n);
            }
        } catch (SocketException reset) {
            // A refused connection may end in a reset: what arrived before it is the answer.
        }
        return all.toString(StandardCharsets.ISO_8859_1);
    }

    private static String info(String path, String extraHeaders) {
        return "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extraHeaders + "\r\n";
    }

    @ParameterizedTest
    @ValueSource(strings = {"haproxy-send-proxy-v2", "haproxy-send-proxy", "nginx-stream-proxy-protocol", "nginx-http-x-forwarded-for",
            "nginx-http-forwarded"})
    void thePluginSeesTheAnnouncedClientAndThePerIpCapBindsIt(String proxy) throws Exception {
        int port = port(proxy);
        int n = PAIRS.incrementAndGet();
        String capped = "127.0." + (10 + n) + ".1";
        String other = "127.0." + (10 + n) + ".2";
        boolean proxyProtocol = !proxy.startsWith("nginx-http");
        // nginx sends Forwarded (and no X-Forwarded-For) under /info/rfc7239/ and /pair/rfc7239/.
        String sub = proxy.equals("nginx-http-forwarded") ? "rfc7239/" : "";

        // Who the plugin is told about: the client's own address (and port, where the PROXY protocol carries it);
        // a forged X-Forwarded-For from the client changes nothing.
        try (Socket s = from(other, port)) {
            String reply = exchange(s, info("/info/" + sub + "who", "X-Forwarded-For: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\n"));
            assertThat(reply).as(proxy + logs()).startsWith("HTTP/1.1 200 ")
                    .contains(" client=" + other + ":" + (proxyProtocol ? s.getLocalPort() : 0) + " ");
        }

        // Two long-lived connections of one client fill its cap of 2; the third is refused, another client is served.
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                String path = "/pair/" + sub + "real-ip-" + n + "-" + i;
                Socket s = from(capped, port);
                held.add(s);
                s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: probe-pair\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                await(path + " waiting").atMost(Duration.ofSeconds(15)).until(() -> ProbePairing.heldFor(path) >= 0);
            }
            double before = rejections("connection_limit_per_ip");
            try (Socket third = from(capped, port)) {
                String reply = exchange(third, info("/info/" + sub + "third", ""));
                if (proxyProtocol) {
                    assertThat(reply).as(proxy + ": closed before any reply").isEmpty();
                } else {
                    assertThat(reply).as(proxy).startsWith("HTTP/1.1 429 ");
                }
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> rejections("connection_limit_per_ip") == before + 1);
            try (Socket s = from(other, port)) {
                assertThat(exchange(s, info("/info/" + sub + "other", ""))).as(proxy).startsWith("HTTP/1.1 200 ").contains(" client=" + other + ":");
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.99.7"})
    void nginxSendingForwardedIsBelievedForItsForNode(String client) throws Exception {
        try (Socket s = from(client, nginxHttp)) {
            assertThat(exchange(s, info("/info/rfc7239/", "Forwarded: for=6.6.6.6\r\n")))
                    .as(logs()).startsWith("HTTP/1.1 200 ").contains(" client=" + client + ":0 ");
        }
    }

    private static double rejections(String reason) {
        var c = gateway.metrics().registry().find("isthmus.rejections").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    private static String logs() {
        StringBuilder s = new StringBuilder();
        for (String f : new String[] {"haproxy.log", "nginx.log", "error.log"}) {
            try {
                s.append("\n--- ").append(f).append(" ---\n").append(Files.readString(dir.resolve(f)));
            } catch (IOException e) {
                s.append("\n(no ").append(f).append(')');
            }
        }
        return s.toString();
    }
}
