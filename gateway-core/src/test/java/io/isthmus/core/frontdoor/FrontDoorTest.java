package io.isthmus.core.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.http.PlainResponses;
import io.isthmus.core.spi.Handoff;
import io.isthmus.core.testing.ProbeLater;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The front door over real loopback sockets: head limits, smuggling defences, slow heads, dispatch. */
class FrontDoorTest {

    static Gateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateways.start("""
                isthmus.limits.head-timeout = 1s
                isthmus.limits.max-connections-per-ip = 500
                """);
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static String exchange(String request) throws IOException {
        try (RawClient c = new RawClient(gateway.address())) {
            c.send(request);
            return c.readToEofAscii();
        }
    }

    private static double rejections(String reason) {
        var c = gateway.metrics().registry().find("isthmus.rejections").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void unknownPathGets404() throws IOException {
        assertThat(exchange("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 404 Not Found\r\n")
                .contains("Connection: close");
    }

    @Test
    void routesByLongestPrefixThenCondition() throws IOException {
        assertThat(exchange("GET /info/a HTTP/1.1\r\nHost: x\r\n\r\n")).contains("route=any ");
        assertThat(exchange("GET /info/a HTTP/1.1\r\nHost: x\r\nX-Special: 1\r\n\r\n")).contains("route=header ");
        assertThat(exchange("GET /info/a HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"))
                .contains("route=websocket ");
        assertThat(exchange("GET /info/deeper/x?q=1 HTTP/1.1\r\nHost: x\r\nX-Special: 1\r\n\r\n"))
                .contains("route=deeper ").contains("target=/info/deeper/x?q=1");
        assertThat(exchange("GET /info HTTP/1.1\r\nHost: x\r\n\r\n")).contains("route=any ");
    }

    @Test
    void bytesBehindTheHeadInTheSameSegmentReachThePlugin() throws IOException {
        assertThat(exchange("GET /info/ HTTP/1.1\r\nHost: x\r\nX-Read-More: 11\r\n\r\nEARLY-BYTES"))
                .endsWith("behind-head=EARLY-BYTES\n");
    }

    @Test
    void bytesBehindTheHeadInLaterSegmentsReachThePlugin() throws IOException {
        try (RawClient c = new RawClient(gateway.address())) {
            c.send("GET /info/ HTTP/1.1\r\nHost: x\r\nX-Read-More: 10\r\n\r\nABC");
            c.send("DEFG");
            c.send("HIJ");
            assertThat(c.readToEofAscii()).endsWith("behind-head=ABCDEFGHIJ\n");
        }
    }

    @Test
    void aPluginThatTakesTheConnectionLaterLosesNoByte() throws Exception {
        ProbeLater.PARKED.clear();
        try (RawClient c = new RawClient(gateway.address())) {
            c.send("GET /later/ HTTP/1.1\r\nHost: x\r\n\r\nABC");
            Handoff handoff = ProbeLater.PARKED.poll(5, TimeUnit.SECONDS);
            assertThat(handoff).isNotNull();
            Channel ch = handoff.channel();
            // The plugin left no handler behind, so the front door stopped reading for it.
            assertThat(ch.eventLoop().submit(() -> ch.config().isAutoRead()).get(5, TimeUnit.SECONDS)).isFalse();
            // Netty's default, which the listener no longer sets a second time.
            assertThat(ch.config().getOption(ChannelOption.TCP_NODELAY)).isTrue();
            // The configured read sizes, shared by every connection.
            assertThat((Object) ch.config().getRecvByteBufAllocator()).isSameAs(gateway.channels().readSizes());
            c.send("DEFG");
            StringBuilder got = new StringBuilder(handoff.leftover().toString(StandardCharsets.US_ASCII));
            handoff.leftover().release();
            ch.eventLoop().execute(() -> {
                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        got.append(((ByteBuf) msg).toString(StandardCharsets.US_ASCII));
                        ((ByteBuf) msg).release();
                        if (got.length() >= 7) {
                            PlainResponses.sendAndClose(ch, HttpResponseStatus.OK, "got=" + got);
                        }
                    }
                });
                ch.config().setAutoRead(true);
            });
            assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 200 ").endsWith("got=ABCDEFG\n");
        }
    }

    @Test
    void bareLineFeedHeadsAreAccepted() throws IOException {
        assertThat(exchange("GET /info/lf HTTP/1.1\nHost: x\nX-Special: yes\n\n")).contains("route=header ");
    }

    @Test
    void leadingEmptyLinesAreIgnored() throws IOException {
        assertThat(exchange("\r\n\r\nGET /info/ HTTP/1.1\r\nHost: x\r\n\r\n")).contains("route=any ");
    }

    /**
     * Issue #10 point 2: connections that send nothing but empty lines were buffered without bound (60 MiB
     * on one connection) and never answered. Now a few are ignored, then 400, while a legitimate client
     * alongside is served.
     */
    @Test
    void endlessEmptyLinesBeforeTheRequestLineGet400AndAreNotBuffered() throws Exception {
        double before = rejections("too_many_empty_lines");
        byte[] blank = "\r\n".repeat(32 * 1024).getBytes(StandardCharsets.US_ASCII);
        java.util.List<RawClient> clients = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                RawClient c = new RawClient(gateway.address(), 5_000);
                clients.add(c);
                c.send(blank);
            }
            assertThat(exchange("GET /info/ HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 200 ");
            for (RawClient c : clients) {
                assertThat(RawClient.readHeadFrom(c.in())).startsWith("HTTP/1.1 400 ");
            }
        } finally {
            for (RawClient c : clients) {
                c.close();
            }
        }
        assertThat(rejections("too_many_empty_lines")).isEqualTo(before + 10);
        // A few are still fine (RFC 9112 §2.2).
        assertThat(exchange("\r\n\n\r\n\nGET /info/ HTTP/1.1\r\nHost: x\r\n\r\n")).contains("route=any ");
    }

    /**
     * Issue #10 point 6: bytes that cannot begin a request line (a TLS ClientHello with TLS off, binary
     * junk, a space first) get 400 at once, not 408 when the head timeout ends.
     */
    @ParameterizedTest
    @ValueSource(strings = {"16 03 01 02 00 01 00 01 fc 03 03", "00 ff 13 37", "20 2f 20", "47 45 54 00", "0d 41"})
    void bytesThatCannotBeHttpGet400AtOnce(String hex) throws IOException {
        String[] parts = hex.split(" ");
        byte[] junk = new byte[parts.length];
        for (int i = 0; i < parts.length; i++) {
            junk[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        double before = rejections("not_http");
        try (RawClient c = new RawClient(gateway.address(), 5_000)) {
            c.send(junk);
            assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 400 ").contains("Not an HTTP request");
        }
        assertThat(rejections("not_http")).isEqualTo(before + 1);
    }

    /** Issue #10 point 6: a junk first line that does end in a line feed is judged at once, too. */
    @Test
    void aMalformedRequestLineIsRefusedBeforeTheHeaderSectionEnds() throws IOException {
        try (RawClient c = new RawClient(gateway.address(), 5_000)) {
            c.send("GET /info/ SPDY/3\r\nHost: x\r\n");
            assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 400 ");
        }
    }

    /** Issue #10 point 7: RFC 9112 allows only visible ASCII in a request target. */
    @Test
    void aNonAsciiRequestTargetGets400() throws IOException {
        assertThat(exchange("GET /info/\u00ff\u00fe\u0080 HTTP/1.1\r\nHost: x\r\n\r\n"))
                .startsWith("HTTP/1.1 400 ").contains("Malformed request target");
    }

    @Test
    void aHeadTrickledByteByByteIsStillRead() throws IOException {
        try (RawClient c = new RawClient(gateway.address())) {
            for (byte b : "GET /info/ HTTP/1.1\r\nHost: x\r\n\r\n".getBytes()) {
                c.send(new byte[] {b});
            }
            assertThat(c.readToEofAscii()).contains("route=any ");
        }
    }

    @Test
    void requestLineOverTheLimitGets400() throws IOException {
        String response = exchange("GET /info/" + "a".repeat(9000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(response).startsWith("HTTP/1.1 400 ").contains("Request line too long");
    }

    @Test
    void anEndlessRequestLineIsCutAtTheLimit() throws IOException {
        try (RawClient c = new RawClient(gateway.address())) {
            c.send("GET /" + "a".repeat(8300));
            assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 400 ");
        }
    }

    @Test
    void headersOverTheByteLimitGet431() throws IOException {
        assertThat(exchange("GET /info/ HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(17_000) + "\r\n\r\n"))
                .startsWith("HTTP/1.1 431 ");
    }

    @Test
    void aSingleHugeHeaderLineWithoutNewlineGets431AndClose() throws IOException {
        try (RawClient c = new RawClient(gateway.address())) {
            c.send("GET /info/ HTTP/1.1\r\nX-Huge: " + "h".repeat(100_001));
            assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 431 ");
        }
    }

    @Test
    void moreThanAHundredFieldsGet431() throws IOException {
        StringBuilder req = new StringBuilder("GET /info/ HTTP/1.1\r\nHost: x\r\n");
        for (int i = 0; i < 100; i++) {
            req.append("X-F").append(i).append(": v\r\n");
        }
        double before = rejections("too_many_headers");
        assertThat(exchange(req.append("\r\n").toString())).startsWith("HTTP/1.1 431 ").contains("Too many header fields");
        assertThat(rejections("too_many_headers")).isEqualTo(before + 1);
    }

    @Test
    void exactlyAHundredFieldsAreAccepted() throws IOException {
        StringBuilder req = new StringBuilder("GET /info/ HTTP/1.1\r\nHost: x\r\n");
        for (int i = 0; i < 99; i++) {
            req.append("X-F").append(i).append(": v\r\n");
        }
        assertThat(exchange(req.append("\r\n").toString())).startsWith("HTTP/1.1 200 ");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "POST /info/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST /info/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
            "POST /info/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            "POST /info/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
            "POST /info/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST /info/ HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST /info/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "POST /info/ HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
            "POST /info/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n",
            "GET /info/ HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n  b\r\n\r\n",
            "GET /info/ HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n\tb\r\n\r\n",
            "GET /info/ HTTP/1.1\r\nHost : x\r\n\r\n",
            "GET /info/ HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
            "GET /info/ HTTP/1.1\r\nHost: x\r\nX-Bad: a\rb\r\n\r\n",
            "GET /info/ HTTP/1.1\r\nHost: x\r\nX-Nul: a\u0000b\r\n\r\n",
            "GET /info/ HTTP/1.1\r\nNoColonHere\r\n\r\n",
            "GET  /info/ HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /info/ HTTP/1.1 extra\r\nHost: x\r\n\r\n",
            "GET /info/\r\nHost: x\r\n\r\n",
            "G(T /info/ HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /info/ SPDY/1.1\r\nHost: x\r\n\r\n",
            "GET /info/ HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 4\r\n\r\nbody",
    })
    void smugglingAndMalformedHeadsGet400AndClose(String request) throws IOException {
        String response = exchange(request);
        assertThat(response).startsWith("HTTP/1.1 400 Bad Request\r\n").contains("Connection: close\r\n");
    }

    @Test
    void anUnsupportedHttpVersionGets505() throws IOException {
        assertThat(exchange("GET /info/ HTTP/2.0\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 505 ");
    }

    @Test
    void aChunkedPostIsHandedOnWithItsBodyBytes() throws IOException {
        assertThat(exchange("POST /info/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-Read-More: 5\r\n\r\n0\r\n\r\n"))
                .contains("method=POST").endsWith("behind-head=0\r\n\r\n");
    }

    @Test
    void aSlowHeadGets408WithinTheHeadTimeout() throws IOException {
        double before = rejections("head_timeout");
        try (RawClient c = new RawClient(gateway.address(), 5_000)) {
            c.send("GET /info/ HTTP/1.1\r\nHost: x\r\n");
            long start = System.nanoTime();
            String response = c.readToEofAscii();
            assertThat(response).startsWith("HTTP/1.1 408 ");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        }
        assertThat(rejections("head_timeout")).isEqualTo(before + 1);
    }

    @Test
    void tricklingBytesDoesNotExtendTheHeadDeadline() throws IOException {
        try (RawClient c = new RawClient(gateway.address(), 5_000)) {
            c.send("GET /info/ HTTP/1.1\r\n");
            long start = System.nanoTime();
            // One header line every 100 ms: the 1 s deadline runs from accept, not from the last byte.
            for (int i = 0; i < 40; i++) {
                try {
                    c.send("X-Slow-" + i + ": x\r\n");
                } catch (IOException closedUnderUs) {
                    break;
                }
                if (!c.staysSilentFor(100)) {
                    break;
                }
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
            try {
                assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 408 ");
            } catch (java.net.SocketException reset) {
                // The gateway closed while our last line was in flight, which resets the socket: still a refusal.
            }
        }
    }

    @Test
    void aPluginThatThrowsGets500AndOtherConnectionsCarryOn() throws IOException {
        assertThat(exchange("GET /boom/ HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 500 ");
        assertThat(exchange("GET /info/ HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 200 ");
    }

    @Test
    void connectionsAreCountedAndReleased() throws IOException {
        var active = gateway.metrics().registry().find("isthmus.connections.active").tag("protocol", "http").gauge();
        try (RawClient a = new RawClient(gateway.address()); RawClient b = new RawClient(gateway.address())) {
            await().atMost(Duration.ofSeconds(5)).until(() -> active.value() >= 2);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> active.value() == 0);
    }
}
