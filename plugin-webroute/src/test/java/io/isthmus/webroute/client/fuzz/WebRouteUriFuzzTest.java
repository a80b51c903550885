package io.isthmus.webroute.client.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.fuzz.FuzzSupport;
import io.isthmus.webroute.client.WebRouteException;
import io.isthmus.webroute.client.WebRouteUri;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@code wr://} and {@code wrs://} URLs, as the WebRoute client and the Remoted SDK hand them to
 * {@link WebRouteUri#parse}, against arbitrary text (the input, as UTF-8).
 *
 * <p>Properties: {@code parse} throws nothing but WebRouteException; what it accepts has a host, a port from
 * 0 to 65535 (the client makes an {@link InetSocketAddress} of it: unresolved here, no DNS), a target starting
 * with "/", and a Host header without CR or LF.
 */
class WebRouteUriFuzzTest {

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    @DictionaryEntries({"wr://", "wrs://", "WRS://", ":", "[::1]", "@", "?", "#", "%0d%0a"})
    void parse(byte[] data) {
        String url = new String(data, StandardCharsets.UTF_8);
        WebRouteUri uri;
        try {
            uri = WebRouteUri.parse(url);
        } catch (WebRouteException refused) {
            assertThat(refused.error()).isNotBlank();
            return;
        }
        String input = FuzzSupport.hex(data);
        assertThat(uri.host()).as("host of %s", input).isNotEmpty();
        // Port 0 passes through as written (dialling it fails with an IOException, as the client expects).
        assertThat(uri.port()).as("port of %s", input).isBetween(0, 65535);
        assertThat(uri.pathWithQuery()).as("target of %s", input).startsWith("/").doesNotContain("\r", "\n", " ");
        assertThat(uri.hostHeader()).as("Host of %s", input).doesNotContain("\r", "\n");
        InetSocketAddress.createUnresolved(uri.host(), uri.port());
    }
}
