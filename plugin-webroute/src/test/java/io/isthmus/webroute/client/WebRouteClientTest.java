package io.isthmus.webroute.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.webroute.handshake.WebRouteAccept;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Java client against the gateway, against a scripted server, and through a two-hop chain. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebRouteClientTest {

    static Gateway gateway;
    static ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeAll
    static void start() {
        gateway = TestGateways.start("isthmus.plugins.webroute.default-timeout = 10s");
    }

    @AfterAll
    static void stop() {
        gateway.close();
        pool.shutdownNow();
    }

    static String url(String path) {
        return "wr://127.0.0.1:" + gateway.address().getPort() + path;
    }

    static WebRouteClient client(String id) {
        return WebRouteClient.builder().id(id).linkWait(Duration.ofSeconds(20)).build();
    }

    static CompletableFuture<WebRouteConnection> connectAsync(WebRouteClient c, String uris) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return c.connect(uris);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, pool);
    }

    static String readN(InputStream in, int n) throws IOException {
        return new String(in.readNBytes(n), StandardCharsets.ISO_8859_1);
    }

    @Test
    void twoClientsWithTheSameIdAreLinked() throws Exception {
        var first = connectAsync(client("same-id"), url("/c/1?x=y"));
        try (WebRouteConnection second = client("same-id").connect(url("/c/1?x=y"));
             WebRouteConnection one = first.get(10, TimeUnit.SECONDS)) {
            second.output().write("hello".getBytes(StandardCharsets.US_ASCII));
            assertThat(readN(one.input(), 5)).isEqualTo("hello");
            one.output().write("back".getBytes(StandardCharsets.US_ASCII));
            assertThat(readN(second.input(), 4)).isEqualTo("back");
            assertThat(one.nextUrl()).isEmpty();
        }
    }

    @Test
    void generatedIdsAreLongAndRandom() {
        String a = WebRouteClient.randomId();
        String b = WebRouteClient.randomId();
        assertThat(a).hasSize(64).matches("[0-9A-Za-z]+").isNotEqualTo(b);
        // 64 symbols of 62: log2(62) * 64 > 380 bits, well above the 160 asked for.
        assertThat(64 * Math.log(62) / Math.log(2)).isGreaterThan(160);
    }

    @Test
    void onlyWebRouteSchemesAreAccepted() {
        assertThatThrownBy(() -> client("x").connect("http://127.0.0.1/"))
                .isInstanceOf(WebRouteException.class).extracting(e -> ((WebRouteException) e).error()).isEqualTo("protocol_check");
        assertThatThrownBy(() -> client("x").connect("  "))
                .isInstanceOf(WebRouteException.class).extracting(e -> ((WebRouteException) e).error()).isEqualTo("protocol_check");
    }

    @Test
    void aRefusalIsIncorrectServerResponse() {
        // A scripted server reaches each of the reference client's error names on purpose.
        assertThatThrownBy(() -> scripted(req -> "HTTP/1.1 426 Upgrade Required\r\nWebRoute-Version: 1\r\n\r\n", client("x")))
                .isInstanceOf(WebRouteException.class)
                .extracting(e -> ((WebRouteException) e).error()).isEqualTo("incorrect_server_response");
    }

    @Test
    void aMissingOrWrongAcceptIsRefused() {
        assertThatThrownBy(() -> scripted(req -> "HTTP/1.1 101 Switching Protocols\r\nUpgrade: webroute\r\n\r\n", client("x")))
                .isInstanceOf(WebRouteException.class)
                .extracting(e -> ((WebRouteException) e).error()).isEqualTo("missing_server_webroute_accept_header");
        assertThatThrownBy(() -> scripted(req -> "HTTP/1.1 101 Switching Protocols\r\nSec-WebRoute-Accept: "
                + WebRouteAccept.of("another") + "\r\n\r\n", client("x")))
                .isInstanceOf(WebRouteException.class)
                .extracting(e -> ((WebRouteException) e).error()).isEqualTo("invalid_server_webroute_accept_header");
    }

    @Test
    void bytesInTheSameReadAsThe101AreKept() throws Exception {
        // One write: the 101 (header name in odd case, bare LF) and data behind it.
        try (WebRouteConnection c = scripted(req -> "HTTP/1.1 101 Switching Protocols\nsec-webroute-ACCEPT: "
                + WebRouteAccept.of(idOf(req)) + "\n\nFIRST-LINE\n", client("keep-me"))) {
            assertThat(readN(c.input(), 11)).isEqualTo("FIRST-LINE\n");
            assertThat(readN(c.input(), 5)).isEqualTo("LATER");
        }
    }

    @Test
    void theRequestLooksLikeTheReferenceClients() throws Exception {
        String[] seen = new String[1];
        WebRouteClient c = WebRouteClient.builder().id("rid").timeout(Duration.ofSeconds(90)).build();
        try (WebRouteConnection conn = scripted(req -> {
            seen[0] = req;
            return "HTTP/1.1 101 Switching Protocols\r\nSec-WebRoute-Accept: " + WebRouteAccept.of("rid") + "\r\n\r\n";
        }, c)) {
            assertThat(conn.id()).isEqualTo("rid");
        }
        assertThat(seen[0]).startsWith("GET /script?k=v HTTP/1.1\r\nHost: 127.0.0.1:")
                .contains("\r\nConnection: keep-alive, Upgrade\r\n", "\r\nWebRoute-Version: 1\r\n",
                        "\r\nWebRoute-ID: rid\r\n", "\r\nWebRoute-Timeout: 90\r\n", "\r\nUpgrade: webroute\r\n")
                .endsWith("\r\n\r\n");
    }

    static String idOf(String request) {
        for (String line : request.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("webroute-id: ")) {
                return line.substring(13);
            }
        }
        throw new AssertionError("no ID in " + request);
    }

    /** A one-shot server: reads the request head, writes {@code reply.apply(head)} and then "LATER". */
    static WebRouteConnection scripted(Function<String, String> reply, WebRouteClient client) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(10_000);
                    ByteArrayOutputStream head = new ByteArrayOutputStream();
                    InputStream in = s.getInputStream();
                    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                        int b = in.read();
                        if (b < 0) {
                            return;
                        }
                        head.write(b);
                    }
                    s.getOutputStream().write(reply.apply(head.toString(StandardCharsets.ISO_8859_1)).getBytes(StandardCharsets.ISO_8859_1));
                    s.getOutputStream().flush();
                    s.getOutputStream().write("LATER".getBytes(StandardCharsets.ISO_8859_1));
                    // Wait for the client to close before closing, so that its reads are not cut short.
                    in.read();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, pool);
            try {
                return client.connect("wr://127.0.0.1:" + server.getLocalPort() + "/script?k=v");
            } finally {
                served.orTimeout(20, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aChainSendsTheSecondHopsRequestThroughTheFirstTunnel() throws Exception {
        String id = WebRouteClient.randomId();
        // The far end of hop 1: a relay that links on /hop1 and pipes its tunnel into a new gateway connection.
        CompletableFuture<Void> relay = CompletableFuture.runAsync(() -> {
            try (WebRouteConnection hop1 = client(id).connect(url("/hop1"));
                 Socket onward = new Socket(gateway.address().getAddress(), gateway.address().getPort())) {
                var back = pool.submit(() -> StreamBridge.copy(onward.getInputStream(), hop1.output()));
                StreamBridge.copy(hop1.input(), onward.getOutputStream());
                back.get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, pool);
        // The partner of hop 2.
        var far = connectAsync(client(id), url("/hop2"));
        try (WebRouteConnection chained = client(id).connect(url("/hop1") + "   " + url("/hop2") + " https://localhost:1234");
             WebRouteConnection partner = far.get(20, TimeUnit.SECONDS)) {
            assertThat(chained.nextUrl()).contains("https://localhost:1234");
            chained.output().write("through two hops".getBytes(StandardCharsets.US_ASCII));
            assertThat(readN(partner.input(), 16)).isEqualTo("through two hops");
            partner.output().write("and back".getBytes(StandardCharsets.US_ASCII));
            assertThat(readN(chained.input(), 8)).isEqualTo("and back");
        }
        relay.get(20, TimeUnit.SECONDS);
    }
}
