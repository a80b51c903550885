package io.isthmus.remoted;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.isthmus.core.Gateway;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.remoted.cli.RemotedCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code isthmus remoted expose} in front of a real HTTP server (the JDK's) behind the "firewall", and
 * {@code isthmus remoted reach} on a local port: a plain HTTP client talks to the server through both.
 */
class RemotedCliTest {

    static final String SK = "server-key-0123456789abcdef";
    static final String CK = "client-key-0123456789abcdef";

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static Thread run(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread t = new Thread(() -> new CommandLine(new RemotedCommand().errorsTo(new PrintStream(err, true, StandardCharsets.UTF_8)))
                .execute(args), "cli " + args[0]);
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void exposeAndReachCarryHttpToAFirewalledServer() throws Exception {
        HttpServer origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger served = new AtomicInteger();
        origin.createContext("/hello", exchange -> {
            byte[] body = ("hello from behind the firewall #" + served.incrementAndGet()).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        origin.start();
        try (Gateway gateway = TestGateways.start("isthmus.plugins.remoted { server-keys = [\"" + SK + "\"], client-keys = [\"" + CK + "\"] }")) {
            String gw = "127.0.0.1:" + gateway.address().getPort();
            int local = freePort();
            Thread expose = run("expose", "--server", "rws://" + SK + "@" + gw + "/web/", "--to", "127.0.0.1:" + origin.getAddress().getPort());
            Thread reach = run("reach", "--listen", "127.0.0.1:" + local, "rwr://" + CK + "@" + gw + "/web/");
            try {
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + local + "/hello"))
                        .timeout(Duration.ofSeconds(20)).build();
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                        .until(() -> http.send(get, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
                HttpResponse<String> again = http.send(get, HttpResponse.BodyHandlers.ofString());
                assertThat(again.body()).startsWith("hello from behind the firewall #");
                assertThat(served.get()).isGreaterThanOrEqualTo(2);
            } finally {
                expose.interrupt();
                reach.interrupt();
            }
        } finally {
            origin.stop(0);
        }
    }

    @Test
    void badArgumentsExitTwo() {
        assertThat(new CommandLine(new RemotedCommand().errorsTo(new PrintStream(new ByteArrayOutputStream())))
                .execute("reach", "--listen", "nowhere", "rwr://k@h/p")).isEqualTo(2);
        assertThat(new CommandLine(new RemotedCommand().errorsTo(new PrintStream(new ByteArrayOutputStream())))
                .execute("expose", "--server", "rws://k@h/p", "--to", "nowhere")).isEqualTo(2);
    }
}
