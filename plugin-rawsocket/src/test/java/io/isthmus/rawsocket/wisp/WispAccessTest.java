package io.isthmus.rawsocket.wisp;

import static io.isthmus.rawsocket.wisp.WispWire.ascii;
import static io.isthmus.rawsocket.wisp.WispWire.hex;
import static io.isthmus.rawsocket.wisp.WispWire.le16;
import static io.isthmus.rawsocket.wisp.WispWire.le32;
import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.TestGateways;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Who may use the endpoint: v2 password authentication in both client layouts (§B.4), the Origin
 * allow-list, the WebSockets per client IP; and the Direct Sockets extension's packets byte for byte.
 */
class WispAccessTest {

    static LoopbackServices services;
    static Gateway locked;
    static Gateway open;

    @BeforeAll
    static void start() {
        services = new LoopbackServices();
        locked = TestGateways.start("""
                isthmus.plugins.rawsocket.wisp {
                  egress.allow-cidrs = ["127.0.0.0/8"]
                  password { required = true, users = { alice = "s3cret" } }
                  allowed-origins = ["https://app.example"]
                  max-websockets-per-ip = 2
                  direct-sockets = false
                }
                """);
        open = TestGateways.start("""
                isthmus.plugins.rawsocket.wisp.egress {
                  allow-cidrs = ["127.0.0.0/8", "::1/128"]
                  allow-hosts = ["localhost"]
                }
                """);
    }

    @AfterAll
    static void stop() {
        locked.close();
        open.close();
        services.close();
    }

    private static WispWire v2(Gateway g) throws Exception {
        WispWire w = WispWire.open(g.address(), "/sockets/wisp/", "Sec-WebSocket-Protocol: wisp-v2\r\nOrigin: https://app.example\r\n");
        assertThat(w.responseHead).startsWith("HTTP/1.1 101");
        return w;
    }

    /** The INFO record of extension 0x02 with {@code payloadHex}. */
    private static String password(String payloadHex) {
        return "02" + le32(payloadHex.length() / 2) + payloadHex;
    }

    @Test
    void passwordsAreCheckedInBothLayouts() throws Exception {
        // Server INFO: UDP, password required.
        try (WispWire w = v2(locked)) {
            assertThat(w.read().hex()).isEqualTo("0500000000" + "0200" + "0100000000" + "020100000001");
            // wisp-js / epoxy layout: user_len:u8, pass_len:u16le, user, pass.
            w.send(hex("0500000000 0200" + password("05" + le16(6) + ascii("alice") + ascii("s3cret"))));
            assertThat(w.read().hex()).isEqualTo("030000000080000000");
        }
        try (WispWire w = v2(locked)) {
            w.read();
            // Draft 6 layout: user_len:u8, user, password[rest].
            w.send(hex("0500000000 0200" + password("05" + ascii("alice") + ascii("s3cret"))));
            assertThat(w.read().hex()).isEqualTo("030000000080000000");
        }
        try (WispWire w = v2(locked)) {
            w.read();
            w.send(hex("0500000000 0200" + password("05" + ascii("alice") + ascii("wrong!"))));
            assertThat(w.read().hex()).isEqualTo("0400000000" + "c0");
            assertThat(w.read().opcode()).isEqualTo(WispWire.CLOSE);
        }
        try (WispWire w = v2(locked)) {
            w.read();
            w.send(hex("0500000000 0200 0100000000"));
            assertThat(w.read().hex()).isEqualTo("0400000000" + "c2");
        }
        // v1 cannot authenticate.
        try (WispWire w = WispWire.open(locked.address(), "/sockets/wisp/", "Origin: https://app.example\r\n")) {
            assertThat(w.read().hex()).isEqualTo("0400000000" + "c2");
        }
    }

    @Test
    void originsOutsideTheListAre403() throws Exception {
        try (WispWire w = WispWire.open(locked.address(), "/sockets/wisp/", "Origin: https://evil.example\r\n")) {
            assertThat(w.responseHead).startsWith("HTTP/1.1 403");
        }
        try (WispWire w = WispWire.open(locked.address(), "/sockets/wisp/", "")) {
            assertThat(w.responseHead).startsWith("HTTP/1.1 403");
        }
    }

    @Test
    void theThirdWebSocketFromOneIpIs429() throws Exception {
        List<WispWire> held = new ArrayList<>();
        try {
            held.add(v2(locked));
            held.add(v2(locked));
            try (WispWire third = WispWire.open(locked.address(), "/sockets/wisp/", "Origin: https://app.example\r\n")) {
                assertThat(third.responseHead).startsWith("HTTP/1.1 429");
            }
        } finally {
            for (WispWire w : held) {
                w.close();
            }
        }
    }

    @Test
    void directSocketsExtensionPacketsByteForByte() throws Exception {
        int half = services.tcpHalf();
        try (WispWire w = WispWire.open(open.address(), "/sockets/wisp/", "Sec-WebSocket-Protocol: wisp-v2\r\n")) {
            assertThat(w.read().hex()).endsWith("f1" + "01000000" + "01");
            w.send(hex("0500000000 0200 0100000000 f10100000001"));
            assertThat(w.read().hex()).isEqualTo("030000000080000000");
            // CONNECT_EX: type TCP, port, options (noDelay=1, keepAliveDelay=60000 ms), host.
            String options = "010101" + "0204" + le32(60_000);
            w.send(hex("f1 09000000 01" + le16(half) + le16(options.length() / 2) + options + ascii("127.0.0.1")));
            WispWire.Frame opened = w.read();
            assertThat(opened.type()).isEqualTo(0xf2);
            assertThat(opened.streamId()).isEqualTo(9);
            byte[] body = opened.body();
            assertThat((body[0] & 0xff) | (body[1] & 0xff) << 8).isEqualTo(half);
            int localPort = (body[2] & 0xff) | (body[3] & 0xff) << 8;
            assertThat(localPort).isPositive();
            int remoteLength = body[4];
            assertThat(new String(body, 5, remoteLength)).isEqualTo("127.0.0.1");
            assertThat(new String(body, 5 + remoteLength, body.length - 5 - remoteLength)).isEqualTo("127.0.0.1");
            // DATA, then END from us: the target sees its end of input and still answers; once both ends are
            // in, the stream closes with 0x02.
            w.send(WispWire.data(9, "abcd".getBytes()));
            w.send(hex("f3 09000000"));
            assertThat(w.read().hex()).isEqualTo("0209000000" + ascii("got 4"));
            assertThat(w.read().hex()).isEqualTo("0409000000" + "02");
            // The other way: the target ends first (a banner, then FIN): END reaches us, the stream stays
            // open for our data until we end too.
            int banner = services.tcpBanner("hello");
            w.send(hex("f1 0a000000 01" + le16(banner) + "0000" + ascii("127.0.0.1")));
            assertThat(w.read().type()).isEqualTo(0xf2);
            assertThat(w.read().hex()).isEqualTo("020a000000" + ascii("hello"));
            assertThat(w.read().hex()).isEqualTo("f30a000000");
            w.send(hex("f3 0a000000"));
            assertThat(w.read().hex()).isEqualTo("040a000000" + "02");
        }
        // A client that did not list the extension: CONNECT_EX is an unknown packet, ignored.
        try (WispWire w = WispWire.v2(open.address(), "0100000000")) {
            w.send(hex("f1 01000000 01" + le16(half) + "0000" + ascii("127.0.0.1")));
            assertThat(w.readWithin(300)).isNull();
        }
    }

    /** CONNECT_EX of a TCP stream with only the dnsQueryType option (4 or 6). */
    private static byte[] connectFamily(int id, int port, int family, String host) {
        return hex("f1" + le32(id) + "01" + le16(port) + le16(3) + "0501" + "0" + family + ascii(host));
    }

    /** The stream's first packet: OPENED's remote address, or "close:xx" with the CLOSE reason. */
    private static String outcome(WispWire w, int id) throws Exception {
        WispWire.Frame f = w.read();
        assertThat(f.streamId()).isEqualTo(id);
        if (f.type() == 0x04) {
            return "close:" + String.format("%02x", f.body()[0]);
        }
        assertThat(f.type()).isEqualTo(0xf2);
        byte[] body = f.body();
        return new String(body, 5, body[4]);
    }

    @Test
    void dnsQueryTypeDialsOnlyThatFamily() throws Exception {
        boolean localhostHasV6 = Arrays.stream(InetAddress.getAllByName("localhost")).anyMatch(a -> a instanceof Inet6Address);
        int four = services.tcpBannerOn(InetAddress.getByName("127.0.0.1"), "four");
        int six = services.tcpBannerOn(InetAddress.getByName("::1"), "six");
        try (WispWire w = WispWire.open(open.address(), "/sockets/wisp/", "Sec-WebSocket-Protocol: wisp-v2\r\n")) {
            w.read();
            w.send(hex("0500000000 0200 0100000000 f10100000001"));
            assertThat(w.read().hex()).isEqualTo("030000000080000000");
            // A listener on 127.0.0.1 only: IPv4 reaches it; IPv6 never does (no ::1 answer is 0x42, a
            // refused ::1 is 0x44), though the same name without the option would.
            w.send(connectFamily(1, four, 4, "localhost"));
            assertThat(outcome(w, 1)).isEqualTo("127.0.0.1");
            assertThat(w.read().hex()).isEqualTo("0201000000" + ascii("four"));
            w.read(); // the target's close
            int acceptedBefore = services.accepted.get();
            w.send(connectFamily(2, four, 6, "localhost"));
            assertThat(outcome(w, 2)).isIn("close:42", "close:44");
            // A listener on ::1 only: the reverse.
            w.send(connectFamily(3, six, 4, "localhost"));
            assertThat(outcome(w, 3)).isIn("close:42", "close:44");
            assertThat(services.accepted.get()).isEqualTo(acceptedBefore);
            w.send(connectFamily(4, six, 6, "localhost"));
            assertThat(outcome(w, 4)).isEqualTo(localhostHasV6 ? "::1" : "close:42");
            // Address literals are held to the family too.
            w.send(connectFamily(5, six, 4, "::1"));
            assertThat(outcome(w, 5)).isEqualTo("close:42");
            w.send(connectFamily(6, six, 6, "::1"));
            assertThat(outcome(w, 6)).isEqualTo("::1");
            assertThat(w.read().hex()).isEqualTo("0206000000" + ascii("six"));
        }
    }
}
