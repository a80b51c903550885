package io.isthmus.remoted.sdk.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.fuzz.FuzzSupport;
import io.isthmus.remoted.sdk.RemotedUrl;
import io.isthmus.webroute.client.WebRouteException;
import io.isthmus.webroute.client.WebRouteUri;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;

/**
 * Remoted URLs ({@code rws://KEY@host[:port]/path}, {@code rwr://...}, and their TLS forms) against
 * arbitrary text (the input, as UTF-8).
 *
 * <p>Properties: {@code parse} throws nothing but WebRouteException; a URL it accepts has one of the
 * schemes asked for, a key, a host, a port from 1 to 65535, and yields a WebSocket URI and a WebRoute URL
 * that the WebRoute client parses back to the same host, port and target (those are what the SDK connects to,
 * so a URL accepted here must not fail there with an unchecked exception).
 */
class RemotedUrlFuzzTest {

    private static final List<List<String>> SCHEMES = List.of(List.of("rws", "rwss"), List.of("rwr", "rwrs"));

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    @DictionaryEntries({"rws://", "rwss://", "rwr://", "rwrs://", "@", ":", "[::1]", "%20", "?", "#", "/"})
    void parse(byte[] data) throws Exception {
        String url = new String(data, StandardCharsets.UTF_8);
        String input = FuzzSupport.hex(data);
        for (List<String> schemes : SCHEMES) {
            RemotedUrl parsed;
            try {
                parsed = RemotedUrl.parse(url, schemes.toArray(String[]::new));
            } catch (WebRouteException refused) {
                assertThat(refused.error()).isNotBlank();
                continue;
            }
            assertThat(schemes).as("scheme of %s", input).contains(parsed.scheme());
            assertThat(parsed.key()).isNotEmpty();
            assertThat(parsed.host()).isNotEmpty();
            assertThat(parsed.port()).as("port of %s", input).isBetween(1, 65535);
            assertThat(parsed.pathWithQuery()).startsWith("/");

            URI ws = parsed.webSocketUri();
            assertThat(ws.getScheme()).isIn("ws", "wss");
            WebRouteUri hop = WebRouteUri.parse(parsed.webRouteUrl());
            assertThat(hop.tls()).isEqualTo(parsed.tls());
            assertThat(hop.port()).isEqualTo(parsed.port());
            assertThat(hop.pathWithQuery()).isEqualTo(parsed.pathWithQuery());
            parsed.origin();
        }
    }
}
