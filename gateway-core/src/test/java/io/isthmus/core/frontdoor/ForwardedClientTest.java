package io.isthmus.core.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.Gateway;
import io.isthmus.core.config.InvalidConfigException;
import io.isthmus.core.ValidatedConfig;
import io.isthmus.core.http.RequestHead;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.net.InetSocketAddress;
import java.util.List;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/** The client address behind trusted proxies: believed only from them, never forgeable by a client. */
class ForwardedClientTest {

    private static final InetSocketAddress PROXY = new InetSocketAddress("10.1.2.3", 40000);
    private static final InetSocketAddress STRANGER = new InetSocketAddress("198.51.100.7", 40000);

    private static RequestHead head(String... headers) {
        DefaultHttpHeaders h = new DefaultHttpHeaders(false);
        for (int i = 0; i < headers.length; i += 2) {
            h.add(headers[i], headers[i + 1]);
        }
        return new RequestHead("GET", "/", "HTTP/1.1", h);
    }

    private final ForwardedClient clients = new ForwardedClient(List.of("10.0.0.0/8", "127.0.0.1/32"));

    @Test
    void aTrustedProxysRightMostUntrustedHopIsTheClient() {
        assertThat(clients.resolve(PROXY, head("X-Forwarded-For", "203.0.113.1, 203.0.113.9")).getAddress().getHostAddress())
                .isEqualTo("203.0.113.9");
        assertThat(clients.resolve(PROXY, head("X-Forwarded-For", "203.0.113.9, 10.9.9.9")).getAddress().getHostAddress())
                .isEqualTo("203.0.113.9");
        assertThat(clients.resolve(PROXY, head("X-Forwarded-For", "1.1.1.1", "X-Forwarded-For", "2001:db8::5")).getAddress()
                .getHostAddress()).isEqualTo("2001:db8:0:0:0:0:0:5");
        assertThat(clients.resolve(PROXY, head("X-Real-IP", "203.0.113.4")).getAddress().getHostAddress()).isEqualTo("203.0.113.4");
        assertThat(clients.resolve(PROXY, head("X-Forwarded-For", "203.0.113.9")).getPort()).isZero();
    }

    @Test
    void headersFromAnyoneElseAreIgnored() {
        assertThat(clients.resolve(STRANGER, head("X-Forwarded-For", "203.0.113.9", "X-Real-IP", "203.0.113.4"))).isSameAs(STRANGER);
        assertThat(new ForwardedClient(List.of()).resolve(PROXY, head("X-Forwarded-For", "203.0.113.9"))).isSameAs(PROXY);
    }

    @Test
    void garbageOrNamesFallBackToThePeer() {
        assertThat(clients.resolve(PROXY, head("X-Forwarded-For", "not-an-ip"))).isSameAs(PROXY);
        assertThat(clients.resolve(PROXY, head("X-Forwarded-For", "evil.example, 203.0.113.9"))).isEqualTo(new InetSocketAddress("203.0.113.9", 0));
        assertThat(clients.resolve(PROXY, head("X-Forwarded-For", "203.0.113.9, localhost"))).isSameAs(PROXY);
        assertThat(clients.resolve(PROXY, head())).isSameAs(PROXY);
    }

    @Test
    void aBadCidrStopsStartUpWithItsPath() {
        Assertions.assertThatThrownBy(() -> ValidatedConfig.of(TestGateways.config("isthmus.trusted-proxies = [\"10.0.0.0/33\"]")))
                .isInstanceOf(InvalidConfigException.class).hasMessageStartingWith("isthmus.trusted-proxies[0]");
    }

    @Test
    void overRealSocketsTheTrustedProxysClientReachesThePlugin() throws Exception {
        try (Gateway trusting = TestGateways.start("isthmus.trusted-proxies = [\"127.0.0.1/32\"]");
             RawClient c = new RawClient(trusting.address())) {
            c.send("GET /info/ HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.77\r\n\r\n");
            assertThat(c.readToEofAscii()).contains("client=203.0.113.77:0 ");
        }
        try (Gateway wary = TestGateways.start("");
             RawClient c = new RawClient(wary.address())) {
            c.send("GET /info/ HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.77\r\n\r\n");
            assertThat(c.readToEofAscii()).contains("client=127.0.0.1:" + c.socket().getLocalPort() + " ");
        }
    }

    @Test
    void aTrustedProxyIsExemptFromThePerIpConnectionCap() throws Exception {
        try (Gateway g = TestGateways.start("isthmus.trusted-proxies = [\"127.0.0.1/32\"]\nisthmus.limits.max-connections-per-ip = 1");
             RawClient a = new RawClient(g.address());
             RawClient b = new RawClient(g.address())) {
            b.send("GET /info/ HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(b.readToEofAscii()).startsWith("HTTP/1.1 200 ");
            a.send("GET /info/ HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(a.readToEofAscii()).startsWith("HTTP/1.1 200 ");
        }
    }

    private final ForwardedClient rfc7239 = new ForwardedClient(List.of("10.0.0.0/8", "127.0.0.1/32"), List.of("forwarded"));

    private String viaForwarded(String... values) {
        String[] pairs = new String[values.length * 2];
        for (int i = 0; i < values.length; i++) {
            pairs[2 * i] = "Forwarded";
            pairs[2 * i + 1] = values[i];
        }
        InetSocketAddress a = rfc7239.resolve(PROXY, head(pairs));
        return a == PROXY ? "peer" : a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    @Test
    void forwardedForIsWalkedFromTheRightLikeXForwardedFor() {
        assertThat(viaForwarded("for=192.0.2.60;proto=http;by=203.0.113.43")).isEqualTo("192.0.2.60:0");
        assertThat(viaForwarded("for=192.0.2.43, for=198.51.100.17")).isEqualTo("198.51.100.17:0");
        assertThat(viaForwarded("for=198.51.100.17, for=10.1.1.1;proto=https")).isEqualTo("198.51.100.17:0");
        assertThat(viaForwarded("for=192.0.2.43", "For=\"198.51.100.17:4711\"")).isEqualTo("198.51.100.17:0");
        assertThat(viaForwarded("for=\"[2001:db8:cafe::17]:4711\"")).isEqualTo("2001:db8:cafe:0:0:0:0:17:0");
        assertThat(viaForwarded("for=\"[2001:db8:cafe::17]\";by=_hidden")).isEqualTo("2001:db8:cafe:0:0:0:0:17:0");
        assertThat(viaForwarded("proto=https;for=\"192.0.2.7\"  ;  host=example.com")).isEqualTo("192.0.2.7:0");
        // A header that is not listed is not believed.
        assertThat(rfc7239.resolve(PROXY, head("X-Forwarded-For", "203.0.113.9"))).isSameAs(PROXY);
    }

    @Test
    void unknownObfuscatedOrMalformedForwardedNodesStopAtTheNearestTrustedHop() {
        assertThat(viaForwarded("for=unknown")).isEqualTo("peer");
        assertThat(viaForwarded("for=_gazonk")).isEqualTo("peer");
        assertThat(viaForwarded("for=\"_gazonk:_port\"")).isEqualTo("peer");
        assertThat(viaForwarded("for=192.0.2.1, for=unknown, for=10.2.2.2")).isEqualTo("10.2.2.2:0");
        assertThat(viaForwarded("for=192.0.2.1, by=10.0.0.1")).isEqualTo("peer");
        // Unbracketed IPv6, an unterminated quote, a pair without a value, a repeated for: nothing is believed.
        assertThat(viaForwarded("for=2001:db8::1")).isEqualTo("peer");
        assertThat(viaForwarded("for=\"[2001:db8::1]")).isEqualTo("peer");
        assertThat(viaForwarded("for=192.0.2.1;proto")).isEqualTo("peer");
        assertThat(viaForwarded("for=192.0.2.1;for=192.0.2.2")).isEqualTo("peer");
        assertThat(viaForwarded("for=192.0.2.1", "for=\"oops")).isEqualTo("peer");
        assertThat(viaForwarded("for=localhost")).isEqualTo("peer");
        assertThat(viaForwarded("for=\"[2001:db8::1]:99999\"")).isEqualTo("peer");
    }

    @Test
    void theFirstListedHeaderPresentDecides() {
        ForwardedClient both = new ForwardedClient(List.of("127.0.0.1/32"), List.of("forwarded", "x-forwarded-for"));
        InetSocketAddress peer = new InetSocketAddress("127.0.0.1", 1);
        assertThat(both.resolve(peer, head("X-Forwarded-For", "203.0.113.1", "Forwarded", "for=203.0.113.2"))
                .getAddress().getHostAddress()).isEqualTo("203.0.113.2");
        assertThat(both.resolve(peer, head("X-Forwarded-For", "203.0.113.1")).getAddress().getHostAddress()).isEqualTo("203.0.113.1");
        assertThat(clients.resolve(PROXY, head("X-Forwarded-For", "10.3.3.3, 10.4.4.4")).getAddress().getHostAddress())
                .as("every hop trusted: the left-most is as far as is known").isEqualTo("10.3.3.3");
    }

    @Test
    void unknownForwardedHeaderNamesStopStartUp() {
        Assertions.assertThatThrownBy(() -> ValidatedConfig.of(TestGateways.config(
                        "isthmus.client-address.forwarded-headers = [\"x-client-ip\"]")))
                .isInstanceOf(InvalidConfigException.class).hasMessageStartingWith("isthmus.client-address.forwarded-headers[0]");
        Assertions.assertThatThrownBy(() -> ValidatedConfig.of(TestGateways.config(
                        "isthmus.client-address.proxy-protocol-sources = [\"nope\"]")))
                .isInstanceOf(InvalidConfigException.class).hasMessageStartingWith("isthmus.client-address.proxy-protocol-sources[0]");
    }

    @Test
    void behindATrustedProxyThePerIpCapCountsTheForwardedClient() throws Exception {
        String wait = "GET /pair/xff-cap HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: probe-pair\r\nX-Forwarded-For: 198.51.100.7\r\n\r\n";
        try (Gateway g = TestGateways.start("isthmus.trusted-proxies = [\"127.0.0.1/32\"]\nisthmus.limits.max-connections-per-ip = 1");
             RawClient first = new RawClient(g.address())) {
            first.send(wait);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> io.isthmus.core.testing.ProbePairing.heldFor("/pair/xff-cap") >= 0);
            try (RawClient second = new RawClient(g.address())) {
                second.send("GET /info/ HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.7\r\n\r\n");
                assertThat(second.readToEofAscii()).startsWith("HTTP/1.1 429 ");
            }
            try (RawClient other = new RawClient(g.address())) {
                other.send("GET /info/ HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.8\r\n\r\n");
                assertThat(other.readToEofAscii()).startsWith("HTTP/1.1 200 ").contains("client=198.51.100.8:0 ");
            }
            var refused = g.metrics().registry().find("isthmus.rejections").tag("reason", "connection_limit_per_ip").counter();
            assertThat(refused).isNotNull();
            assertThat(refused.count()).isEqualTo(1);
        }
    }
}
