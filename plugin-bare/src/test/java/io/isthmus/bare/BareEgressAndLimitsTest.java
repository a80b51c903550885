package io.isthmus.bare;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * §D 19, 20 and 22's blocked remote: under the default egress policy every loopback spelling the reference
 * lets through is refused and the loopback origin accepts no connection; the optional rate limit answers
 * the reference's 429.
 */
class BareEgressAndLimitsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void case19_loopbackInEverySpellingIsRefusedWithoutAConnection() throws Exception {
        try (TestOrigin origin = new TestOrigin(); Gateway gateway = TestGateways.start("")) {
            int p = origin.port();
            List<String> urls = new ArrayList<>(List.of("http://127.0.0.1:" + p + "/", "http://localhost:" + p + "/",
                    "http://10.0.0.1:1/", "http://[::1]:" + p + "/", "http://[::ffff:127.0.0.1]:" + p + "/",
                    "http://127.1:" + p + "/", "http://2130706433:" + p + "/", "http://0x7f000001:" + p + "/"));
            // A name that the hosts file maps to loopback (this machine's own name, where it is one).
            String own = InetAddress.getLocalHost().getHostName();
            if (InetAddress.getByName(own).isLoopbackAddress()) {
                urls.add("http://" + own + ":" + p + "/");
            }
            for (String url : urls) {
                try (RawClient c = new RawClient(gateway.address())) {
                    c.send(Wire.head("GET", "/bare/v3/", "X-Bare-URL: " + url, "X-Bare-Headers: {\"Host\":\"x\"}"));
                    Wire.Response r = Wire.read(c, false);
                    assertThat(r.status()).as(url).isEqualTo(403);
                    JsonNode json = JSON.readTree(r.body());
                    assertThat(json.get("code").asText()).as(url).isEqualTo("IMPL_FORBIDDEN_REMOTE");
                }
            }
            // The v3 WebSocket: a blocked remote closes the socket with nothing sent.
            try (WsClient ws = WsClient.open("ws://127.0.0.1:" + gateway.address().getPort() + "/bare/v3/")) {
                ws.socket.sendText("{\"type\":\"connect\",\"remote\":\"ws://[::1]:" + p + "/ws\",\"protocols\":[],"
                        + "\"headers\":{},\"forwardHeaders\":[]}", true).join();
                assertThat(ws.end()).isNotNull();
                assertThat(ws.messages).isEmpty();
            }
            assertThat(origin.accepted.get()).isZero();
            assertThat(gateway.metrics().scrape()).contains("isthmus_egress_refusals_total{protocol=\"bare\"");
        }
    }

    @Test
    void case20_rateLimitWhenEnabled() throws Exception {
        try (Gateway gateway = TestGateways.start("isthmus.plugins.bare.rate-limit { enabled = true, requests = 10, window = 60s }")) {
            try (RawClient c = new RawClient(gateway.address())) {
                for (int i = 0; i < 10; i++) {
                    c.send(Wire.head("GET", "/bare/"));
                    assertThat(Wire.read(c, false).status()).isEqualTo(200);
                }
                c.send(Wire.head("GET", "/bare/"));
                Wire.Response r = Wire.read(c, false);
                assertThat(r.status()).isEqualTo(429);
                assertThat(r.header("retry-after")).isNotNull();
                assertThat(r.header("ratelimit-limit")).isEqualTo("10");
                assertThat(r.header("ratelimit-remaining")).isEqualTo("0");
                assertThat(r.header("ratelimit-reset")).isNotNull();
                assertThat(JSON.readTree(r.body()).get("code").asText()).isEqualTo("CONNECTION_LIMIT_EXCEEDED");
                assertThat(JSON.readTree(r.body()).get("id").asText()).isEqualTo("error.TooManyConnections");
            }
        }
    }

    @Test
    void rateLimitIsOffByDefault() throws Exception {
        try (Gateway gateway = TestGateways.start(""); RawClient c = new RawClient(gateway.address())) {
            for (int i = 0; i < 30; i++) {
                c.send(Wire.head("GET", "/bare/"));
                assertThat(Wire.read(c, false).status()).isEqualTo(200);
            }
        }
    }

    @Test
    void silentOriginTimesOut() throws Exception {
        try (TestOrigin origin = new TestOrigin(); Gateway gateway = TestGateways.start("""
                isthmus.plugins.bare.egress.allow-cidrs = ["127.0.0.0/8"]
                isthmus.plugins.bare.upstream.response-head-timeout = 1s
                """); RawClient c = new RawClient(gateway.address())) {
            c.send(Wire.head("GET", "/bare/v3/", "X-Bare-URL: " + origin.base() + "/hang", "X-Bare-Headers: {\"Host\":\"x\"}"));
            Wire.Response r = Wire.read(c, false);
            assertThat(r.status()).isEqualTo(500);
            assertThat(JSON.readTree(r.body()).get("code").asText()).isEqualTo("CONNECTION_TIMEOUT");
            assertThat(JSON.readTree(r.body()).get("id").asText()).isEqualTo("response");
            // The connection stays usable after the error.
            c.send(Wire.head("GET", "/bare/"));
            assertThat(Wire.read(c, false).status()).isEqualTo(200);
        }
    }
}
