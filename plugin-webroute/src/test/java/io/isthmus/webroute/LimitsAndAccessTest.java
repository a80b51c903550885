package io.isthmus.webroute;

import static io.isthmus.webroute.Wire.OK101;
import static io.isthmus.webroute.Wire.awaitWaiting;
import static io.isthmus.webroute.Wire.readAscii;
import static io.isthmus.webroute.Wire.request;
import static io.isthmus.webroute.Wire.target;
import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Caps on waiting clients (global and per address: 503 and close) and the optional access rule. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LimitsAndAccessTest {

    /** A socket from a chosen loopback source address (all of 127/8 is loopback on Linux). */
    static Socket from(String source, Gateway g, String text) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(source, 0));
        s.connect(g.address(), 5_000);
        s.setSoTimeout(10_000);
        s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        return s;
    }

    static String readToEof(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void waitersOverTheCapsGet503AndAreClosed() throws IOException {
        List<Socket> open = new ArrayList<>();
        try (Gateway g = TestGateways.start("isthmus.plugins.webroute { max-waiting = 3, max-waiting-per-ip = 2 }")) {
            open.add(from("127.0.0.1", g, request("/cap/1", "x")));
            // In this order: the oldest waiter is the one displaced below.
            awaitWaiting(g, 1);
            open.add(from("127.0.0.1", g, request("/cap/2", "x")));
            awaitWaiting(g, 2);
            try (Socket third = from("127.0.0.1", g, request("/cap/3", "x"))) {
                String reply = readToEof(third);
                assertThat(reply).startsWith("HTTP/1.1 503 Service Unavailable\r\n")
                        .endsWith("Too many WebRoute clients from your address are waiting; try again later\n");
            }
            open.add(from("127.0.0.2", g, request("/cap/4", "x")));
            awaitWaiting(g, 3);
            // Full, and .2 holds one place: it displaces the oldest waiter of .1, which holds the most.
            Socket displacing = from("127.0.0.2", g, request("/cap/5", "x"));
            open.add(displacing);
            assertThat(readToEof(open.get(0))).startsWith("HTTP/1.1 503 ").contains("holds the most places");
            awaitWaiting(g, 3);
            // .2 now holds its two places.
            try (Socket overGlobal = from("127.0.0.2", g, request("/cap/6", "x"))) {
                assertThat(readToEof(overGlobal)).startsWith("HTTP/1.1 503 ")
                        .endsWith("Too many WebRoute clients from your address are waiting; try again later\n");
            }
            // .3 displaces the oldest of .2; then every client holds one, .3 included: the next of .3 is refused.
            open.add(from("127.0.0.3", g, request("/cap/7", "x")));
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> Wire.rejections(g, "evicted_for_fair_share") == 2);
            try (Socket overGlobal = from("127.0.0.3", g, request("/cap/8", "x"))) {
                assertThat(readToEof(overGlobal)).startsWith("HTTP/1.1 503 ")
                        .endsWith("Too many WebRoute clients are waiting; try again later\n");
            }
            // A partner for a waiter is never capped: it frees a slot.
            try (Socket partner = from("127.0.0.1", g, request("/cap/2", "x"))) {
                assertThat(new String(partner.getInputStream().readNBytes(5), StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/");
            }
            awaitWaiting(g, 2);
            assertThat(Wire.rejections(g, "waiting_full_for_address")).isEqualTo(2);
            assertThat(Wire.rejections(g, "waiting_full")).isEqualTo(1);
            assertThat(Wire.rejections(g, "evicted_for_fair_share")).isEqualTo(2);
        } finally {
            for (Socket s : open) {
                s.close();
            }
        }
    }

    /**
     * Issue #10 point 4: behind a trusted proxy, IPv6 clients are told apart by X-Forwarded-For; addresses
     * of one /64 count as one client for max-waiting-per-ip.
     */
    @Test
    void ipv6ClientsOfOneSlash64ShareTheirCap() throws IOException {
        List<Socket> open = new ArrayList<>();
        try (Gateway g = TestGateways.start("""
                isthmus.trusted-proxies = ["127.0.0.1/32"]
                isthmus.plugins.webroute { max-waiting-per-ip = 2 }
                """)) {
            open.add(from("127.0.0.1", g, request("/v6/1", "x", "X-Forwarded-For: 2001:db8:1:2::1")));
            open.add(from("127.0.0.1", g, request("/v6/2", "x", "X-Forwarded-For: 2001:db8:1:2:ffff::2")));
            awaitWaiting(g, 2);
            try (Socket third = from("127.0.0.1", g, request("/v6/3", "x", "X-Forwarded-For: 2001:db8:1:2:abcd::3"))) {
                assertThat(readToEof(third)).startsWith("HTTP/1.1 503 ").contains("from your address");
            }
            // Another /64 is another client.
            open.add(from("127.0.0.1", g, request("/v6/4", "x", "X-Forwarded-For: 2001:db8:1:3::1")));
            awaitWaiting(g, 3);
        } finally {
            for (Socket s : open) {
                s.close();
            }
        }
    }

    /**
     * Issue #10 point 5: two clients filling the whole waiting table no longer lock a fresh pair out: its
     * first side displaces a waiter of the client holding the most, its second side links.
     */
    @Test
    void aFullTableStillLetsAFreshPairMeet() throws IOException {
        List<Socket> open = new ArrayList<>();
        try (Gateway g = TestGateways.start("isthmus.plugins.webroute { max-waiting = 6, max-waiting-per-ip = 3 }")) {
            for (int i = 0; i < 3; i++) {
                open.add(from("127.0.0.1", g, request("/flood/a" + i, "x")));
                open.add(from("127.0.0.2", g, request("/flood/b" + i, "x")));
            }
            awaitWaiting(g, 6);
            try (Socket first = from("127.0.0.9", g, request("/fresh", "x"))) {
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                        .until(() -> Wire.rejections(g, "evicted_for_fair_share") == 1);
                try (Socket second = from("127.0.0.10", g, request("/fresh", "x"))) {
                    assertThat(new String(first.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 101");
                    assertThat(new String(second.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 101");
                }
            }
        } finally {
            for (Socket s : open) {
                s.close();
            }
        }
    }

    @Test
    void accessByQueryParameterIsCheckedBeforeWaiting() throws IOException {
        try (Gateway g = TestGateways.start("""
                isthmus.plugins.webroute.access { enabled = true, query-parameter = accesskey, value = "123456789101112" }
                """)) {
            for (String t : new String[] {"/acc", "/acc?accesskey=12345678910111", "/acc?accesskey=1234567891011123"}) {
                try (RawClient c = new RawClient(g.address())) {
                    c.send(request(t, Wire.ID));
                    assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 403 Forbidden\r\n");
                }
            }
            assertThat(Wire.waiting(g)).isZero();
            assertThat(Wire.rejections(g, "access_denied")).isEqualTo(3);
            try (RawClient a = Wire.park(g, request("acc")); RawClient b = Wire.send(g, request("acc"))) {
                assertThat(readAscii(a, 127)).isEqualTo(OK101);
                assertThat(readAscii(b, 127)).isEqualTo(OK101);
            }
        }
    }

    @Test
    void accessByHeader() throws IOException {
        try (Gateway g = TestGateways.start("""
                isthmus.plugins.webroute.access { enabled = true, header = X-WebRoute-Key, value = "s3cret" }
                """)) {
            try (RawClient c = new RawClient(g.address())) {
                c.send(request(target("hdr"), Wire.ID, "X-WebRoute-Key: s3cre"));
                assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 403 ");
            }
            try (RawClient a = Wire.park(g, request(target("hdr"), Wire.ID, "x-webroute-key: s3cret"));
                 RawClient b = Wire.send(g, request(target("hdr"), Wire.ID, "X-WEBROUTE-KEY: s3cret"))) {
                assertThat(readAscii(a, 127)).isEqualTo(OK101);
                assertThat(readAscii(b, 127)).isEqualTo(OK101);
            }
        }
    }

    @Test
    void aDrainingGatewayAnswersItsWaitersWith503() throws IOException {
        Gateway g = TestGateways.start("");
        try (RawClient a = Wire.park(g, request("drain"))) {
            Thread stopper = new Thread(() -> g.shutdown(java.time.Duration.ofMillis(200)));
            stopper.start();
            assertThat(a.readToEofAscii()).startsWith("HTTP/1.1 503 Service Unavailable\r\n").endsWith("shutting down\n");
        } finally {
            g.close();
        }
    }
}
