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
}
