package io.isthmus.rawsocket.wisp;

import static io.isthmus.rawsocket.wisp.WispWire.ascii;
import static io.isthmus.rawsocket.wisp.WispWire.close;
import static io.isthmus.rawsocket.wisp.WispWire.connect;
import static io.isthmus.rawsocket.wisp.WispWire.data;
import static io.isthmus.rawsocket.wisp.WispWire.hex;
import static io.isthmus.rawsocket.wisp.WispWire.le16;
import static io.isthmus.rawsocket.wisp.WispWire.le32;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.TestGateways;
import io.micrometer.core.instrument.Counter;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Wisp conformance, cases 27–38 of bare-and-wisp.md §D, byte for byte against real loopback services.
 * Gateway {@code open} lets the tests reach loopback; {@code strict} keeps the default egress policy;
 * {@code narrow} has UDP off, no direct IPs, and host and port lists.
 */
class WispConformanceTest {

    static LoopbackServices services;
    static Gateway open;
    static Gateway strict;
    static Gateway narrow;
    static int echo;
    static int udpEcho;
    static int deniedPort;

    @BeforeAll
    static void start() throws Exception {
        services = new LoopbackServices();
        echo = services.tcpEcho();
        udpEcho = services.udpEcho();
        deniedPort = services.tcpEcho();
        open = TestGateways.start("""
                isthmus.plugins.rawsocket.wisp {
                  egress.allow-cidrs = ["127.0.0.0/8"]
                  egress.allow-hosts = ["localhost"]
                  max-streams = 4
                  motd = "hi"
                }
                """);
        strict = TestGateways.start("");
        narrow = TestGateways.start("""
                isthmus.plugins.rawsocket.wisp {
                  egress.allow-hosts = ["localhost"]
                  egress.deny-hosts = ["*.blocked.test"]
                  egress.deny-ports = ["%d"]
                  udp = false
                  allow-direct-ip = false
                  wsproxy = false
                }
                """.formatted(deniedPort));
    }

    @AfterAll
    static void stop() {
        for (Gateway g : new Gateway[] {open, strict, narrow}) {
            if (g != null) {
                g.close();
            }
        }
        services.close();
    }

    private static double counter(Gateway g, String name, String key, String value) {
        Counter c = g.metrics().registry().find(name).tag("protocol", "wisp").tag(key, value).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void case27_v1HandshakeStartsWithContinue128AndNoInfo() throws Exception {
        try (WispWire w = WispWire.open(open.address(), "/sockets/wisp/", "")) {
            assertThat(w.responseHead).startsWith("HTTP/1.1 101").doesNotContainIgnoringCase("sec-websocket-protocol");
            assertThat(w.read().hex()).isEqualTo("030000000080000000");
            assertThat(w.readWithin(300)).isNull();
        }
    }

    @Test
    void case28_v2HandshakeEchoesTheSubprotocolSendsInfoThenContinue() throws Exception {
        try (WispWire w = WispWire.open(open.address(), "/sockets/wisp/", "Sec-WebSocket-Protocol: wisp-v2\r\n")) {
            assertThat(w.responseHead).containsIgnoringCase("Sec-WebSocket-Protocol: wisp-v2");
            // INFO 2.0 | UDP | MOTD "hi" | the Direct Sockets extension (0xF1, version 1).
            assertThat(w.read().hex()).isEqualTo("0500000000" + "0200" + "0100000000" + "0402000000" + ascii("hi")
                    + "f1" + "01000000" + "01");
            w.send(hex("05 00000000 02 00 01 00000000"));
            assertThat(w.read().hex()).isEqualTo("030000000080000000");
        }
        // A CONNECT instead of the client's INFO: CLOSE(0, 0x04), then the WebSocket closes.
        try (WispWire w = WispWire.open(open.address(), "/sockets/wisp/", "Sec-WebSocket-Protocol: wisp-v2\r\n")) {
            assertThat(w.read().type()).isEqualTo(0x05);
            w.send(connect(1, 1, echo, "127.0.0.1"));
            assertThat(w.read().hex()).isEqualTo("04" + "00000000" + "04");
            assertThat(w.read().opcode()).isEqualTo(WispWire.CLOSE);
            assertThat(w.client.isClosedByPeer()).isTrue();
        }
        // No UDP extension where UDP is off.
        try (WispWire w = WispWire.open(narrow.address(), "/sockets/wisp/", "Sec-WebSocket-Protocol: wisp-v2\r\n")) {
            assertThat(w.read().hex()).isEqualTo("0500000000" + "0200" + "f1" + "01000000" + "01");
        }
    }

    @Test
    void case29_tcpStreamEchoesAndTheTargetsCloseIsVoluntary() throws Exception {
        try (WispWire w = WispWire.v1(open.address())) {
            w.send(hex("01 01000000 01" + le16(echo) + ascii("127.0.0.1")));
            w.send(hex("02 01000000" + ascii("abc")));
            assertThat(w.read().hex()).isEqualTo("0201000000" + ascii("abc"));
        }
        int banner = services.tcpBanner("hello");
        try (WispWire w = WispWire.v2(open.address(), "0100000000")) {
            w.send(connect(7, 1, banner, "localhost"));
            assertThat(w.read().hex()).isEqualTo("0207000000" + ascii("hello"));
            assertThat(w.read().hex()).isEqualTo("0407000000" + "02");
        }
    }

    @Test
    void case30_policyBlocksWith0x48AndOpensNoSocket() throws Exception {
        int before = services.accepted.get();
        double blockedBefore = counter(strict, "isthmus.wisp.connects", "outcome", "blocked");
        try (WispWire w = WispWire.v1(strict.address())) {
            w.send(connect(1, 1, echo, "127.0.0.1"));
            assertThat(w.read().hex()).isEqualTo("0401000000" + "48");
            w.send(connect(2, 1, echo, "localhost"));
            assertThat(w.read().hex()).isEqualTo("0402000000" + "48");
            w.send(connect(3, 2, udpEcho, "127.0.0.1"));
            assertThat(w.read().hex()).isEqualTo("0403000000" + "48");
            w.send(connect(4, 1, echo, "[::ffff:127.0.0.1]"));
            assertThat(w.read().hex()).isEqualTo("0404000000" + "48");
        }
        try (WispWire w = WispWire.v1(narrow.address())) {
            w.send(connect(1, 1, echo, "127.0.0.1")); // direct IP refused
            assertThat(w.read().hex()).isEqualTo("0401000000" + "48");
            w.send(connect(2, 1, deniedPort, "localhost")); // port list
            assertThat(w.read().hex()).isEqualTo("0402000000" + "48");
            w.send(connect(3, 1, 80, "a.blocked.test")); // host list
            assertThat(w.read().hex()).isEqualTo("0403000000" + "48");
            w.send(connect(4, 2, udpEcho, "localhost")); // UDP off
            assertThat(w.read().hex()).isEqualTo("0404000000" + "48");
            assertThat(services.accepted.get()).isEqualTo(before);
            // Control: a name on an allowed port goes through.
            w.send(connect(5, 1, echo, "localhost"));
            w.send(data(5, "ok".getBytes()));
            assertThat(w.read().hex()).isEqualTo("0205000000" + ascii("ok"));
        }
        assertThat(counter(strict, "isthmus.wisp.connects", "outcome", "blocked")).isEqualTo(blockedBefore + 4);
    }

    @Test
    void case31_refusedIs0x44AndAnUnresolvableHostIs0x42() throws Exception {
        try (WispWire w = WispWire.v1(open.address())) {
            w.send(connect(1, 1, LoopbackServices.closedPort(), "127.0.0.1"));
            assertThat(w.read().hex()).isEqualTo("0401000000" + "44");
            w.send(connect(2, 1, 80, "nonexistent.invalid"));
            assertThat(w.read().hex()).isEqualTo("0402000000" + "42");
        }
    }

    @Test
    void case32_udpStreamKeepsDatagramsAndGetsNoContinue() throws Exception {
        try (WispWire w = WispWire.v2(open.address(), "0100000000")) {
            w.send(hex("01 03000000 02" + le16(udpEcho) + ascii("127.0.0.1")));
            w.send(data(3, "u1".getBytes()));
            assertThat(w.read().hex()).isEqualTo("0203000000" + ascii("u1"));
            // 100 datagrams of distinct sizes come back one DATA each, and never a CONTINUE.
            for (int i = 1; i <= 100; i++) {
                w.send(data(3, new byte[i]));
            }
            int seen = 0;
            for (int i = 0; i < 100; i++) {
                WispWire.Frame f = w.read();
                assertThat(f.type()).isEqualTo(0x02);
                assertThat(f.streamId()).isEqualTo(3);
                assertThat(f.body().length).isBetween(1, 100);
                seen++;
            }
            assertThat(seen).isEqualTo(100);
            assertThat(w.readWithin(300)).isNull();
        }
    }

    @Test
    void case33_unknownStreamTypeIs0x41() throws Exception {
        try (WispWire w = WispWire.v1(open.address())) {
            w.send(connect(5, 3, echo, "127.0.0.1"));
            assertThat(w.read().hex()).isEqualTo("0405000000" + "41");
        }
    }

    @Test
    void case34_continueAtLeastEvery64PacketsAndAFloodLosesOnlyItsStream() throws Exception {
        int sink = services.tcpSink();
        try (WispWire w = WispWire.v1(open.address())) {
            w.send(connect(1, 1, sink, "127.0.0.1"));
            long inFlightLimit = 128;
            int sent = 0;
            long credit = 128;
            // 300 packets without ever exceeding the last CONTINUE value.
            while (sent < 300) {
                while (credit > 0 && sent < 300) {
                    w.send(data(1, new byte[100]));
                    sent++;
                    credit--;
                }
                if (sent == 300) {
                    break;
                }
                WispWire.Frame f = w.read();
                assertThat(f.type()).isEqualTo(0x03);
                assertThat(f.streamId()).isEqualTo(1);
                credit = Integer.toUnsignedLong(java.nio.ByteBuffer.wrap(f.payload(), 5, 4)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt());
                assertThat(credit).isBetween(1L, inFlightLimit);
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> services.sunk.get() >= 30_000);

            // Stream 2 floods 600 packets at once (beyond its 128): it alone is closed (0x49).
            // Sent in one write behind the CONNECT, they all arrive before the dial is done and are held.
            java.util.List<byte[]> flood = new java.util.ArrayList<>();
            flood.add(connect(2, 1, services.tcpSlow(), "127.0.0.1"));
            for (int i = 0; i < 600; i++) {
                flood.add(data(2, new byte[10]));
            }
            w.sendBatch(flood);
            WispWire.Frame f = w.read();
            while (f.type() == 0x03) {
                f = w.read();
            }
            assertThat(f.hex()).isEqualTo("0402000000" + "49");
            w.send(data(1, new byte[100]));
            await().atMost(Duration.ofSeconds(5)).until(() -> services.sunk.get() >= 30_100);
        }
    }

    @Test
    void case35_clientCloseClosesTheTargetAndLaterDataIsIgnored() throws Exception {
        int before = services.closedByPeer.get();
        try (WispWire w = WispWire.v1(open.address())) {
            w.send(connect(1, 1, echo, "127.0.0.1"));
            w.send(data(1, "x".getBytes()));
            assertThat(w.read().hex()).isEqualTo("0201000000" + ascii("x"));
            w.send(close(1, 0x02));
            await().atMost(Duration.ofSeconds(5)).until(() -> services.closedByPeer.get() > before);
            w.send(data(1, "late".getBytes()));
            assertThat(w.readWithin(300)).isNull();
        }
    }

    @Test
    void case36_malformedPacketsAreIgnoredAndCounted() throws Exception {
        double before = counter(open, "isthmus.rejections", "reason", "unknown_stream");
        try (WispWire w = WispWire.v1(open.address())) {
            w.sendFrame(WispWire.TEXT, "hello".getBytes(StandardCharsets.UTF_8));
            w.send(hex("02 0100"));
            w.send(hex("09 01000000"));
            w.send(hex("02 63000000" + ascii("zz")));
            w.send(hex("01 01000000 01"));
            w.send(connect(1, 1, echo, "127.0.0.1"));
            w.send(data(1, "still".getBytes()));
            assertThat(w.read().hex()).isEqualTo("0201000000" + ascii("still"));
        }
        assertThat(counter(open, "isthmus.rejections", "reason", "unknown_stream")).isEqualTo(before + 1);
        assertThat(counter(open, "isthmus.rejections", "reason", "text_frame")).isGreaterThanOrEqualTo(1);
        assertThat(counter(open, "isthmus.rejections", "reason", "short_frame")).isGreaterThanOrEqualTo(1);
        assertThat(counter(open, "isthmus.rejections", "reason", "unknown_type")).isGreaterThanOrEqualTo(1);
        assertThat(counter(open, "isthmus.rejections", "reason", "bad_connect")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void case37_theStreamPastTheLimitIsThrottled() throws Exception {
        try (WispWire w = WispWire.v1(open.address())) {
            for (int id = 1; id <= 4; id++) {
                w.send(connect(id, 1, echo, "127.0.0.1"));
            }
            w.send(connect(5, 1, echo, "127.0.0.1"));
            assertThat(w.read().hex()).isEqualTo("0405000000" + "49");
            for (int id = 1; id <= 4; id++) {
                w.send(data(id, ("s" + id).getBytes()));
                assertThat(w.read().hex()).isEqualTo("02" + le32(id) + ascii("s" + id));
            }
        }
    }

    @Test
    void case38_wsproxyBelowTheWispPathIsARawRelay() throws Exception {
        try (WispWire w = WispWire.open(open.address(), "/sockets/wisp/127.0.0.1:" + echo, "")) {
            assertThat(w.responseHead).startsWith("HTTP/1.1 101");
            w.send("wsproxy-hi".getBytes());
            assertThat(new String(w.read().payload(), StandardCharsets.UTF_8)).isEqualTo("wsproxy-hi");
        }
        try (WispWire w = WispWire.open(strict.address(), "/sockets/wisp/127.0.0.1:" + echo, "")) {
            assertThat(w.responseHead).startsWith("HTTP/1.1 403");
        }
        try (WispWire w = WispWire.open(narrow.address(), "/sockets/wisp/localhost:" + echo, "")) {
            assertThat(w.responseHead).startsWith("HTTP/1.1 404");
        }
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static InetSocketAddress addressOf(Gateway g) {
        return g.address();
    }
}
