package io.isthmus.bare;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.fuzz.FuzzSupport;
import io.isthmus.core.http.RequestHead;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;

/**
 * Bare's WebSocket handshakes: the v1 {@code Sec-WebSocket-Protocol} encoding (WebSocketProtocol.md), the
 * v1 upgrade's meta JSON carried in it, and the v3 {@code connect} message. In Bare's own package.
 *
 * <p>Input: one byte choosing the case ({@code % 4}), then:
 * <ul>
 *   <li>0: text (ISO-8859-1) through {@code encodeProtocol} and back through {@code decodeProtocol};</li>
 *   <li>1: a v1 upgrade whose header is {@code bare, } and the rest of the input encoded;</li>
 *   <li>2: a v1 upgrade whose header is the rest of the input as it is;</li>
 *   <li>3: a v3 connect message, the rest of the input as UTF-8.</li>
 * </ul>
 *
 * <p>Properties: the encoding is a WebSocket subprotocol token (RFC 6455 §4.1: token characters only) and
 * decodes to the text it encoded; a v1 upgrade fails only with the protocol's INVALID_BARE_HEADER (400),
 * a connect message only with IllegalArgumentException or a Bare failure (both close the socket); what is
 * read is a request the gateway can send: a target fit for a request line, a port 0-65535, a host, header
 * lines that cannot break the head and at most one Host; a connect adds its own upgrade headers exactly
 * once and a fresh 16-byte key.
 */
class BareWebSocketProtocolFuzzTest {

    private static final String TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void handshake(byte[] data) {
        if (data.length == 0) {
            return;
        }
        byte[] rest = Arrays.copyOfRange(data, 1, data.length);
        String latin1 = new String(rest, StandardCharsets.ISO_8859_1);
        String input = FuzzSupport.hex(data);
        switch ((data[0] & 0xFF) % 4) {
            case 0 -> {
                String encoded = LegacyWebSocket.encodeProtocol(latin1);
                assertThat(encoded.chars().allMatch(c -> TOKEN_CHARS.indexOf(c) >= 0)).as("token %s for %s", encoded, input).isTrue();
                assertThat(LegacyWebSocket.decodeProtocol(encoded)).as("decoded %s", input).isEqualTo(latin1);
            }
            case 1 -> v1(upgrade("bare, " + LegacyWebSocket.encodeProtocol(latin1)), input);
            case 2 -> v1(upgrade(latin1.replaceAll("[\r\n\0]", "").strip()), input);
            default -> v3(new String(rest, StandardCharsets.UTF_8), input);
        }
    }

    private static void v1(RequestHead head, String input) {
        LegacyWebSocket.V1Upgrade upgrade;
        try {
            upgrade = LegacyWebSocket.v1(head);
        } catch (BareError.Failure f) {
            assertThat(f.error.status()).isEqualTo(400);
            assertThat(f.error.code()).as("code for %s", input).isEqualTo("INVALID_BARE_HEADER");
            return;
        }
        assertThat(upgrade.remote().version()).isEqualTo(1);
        FuzzHeads.assertSendable(upgrade.remote(), input);
    }

    private static void v3(String json, String input) {
        V3WebSocket.Connect connect;
        try {
            connect = V3WebSocket.Connect.parse(json, upgrade(null));
        } catch (IllegalArgumentException | BareError.Failure e) {
            return;
        }
        assertThat(connect.remote().target()).startsWith("/");
        assertThat(connect.remote().target().chars().allMatch(c -> c > ' ' && c < 0x7f)).as("target for %s", input).isTrue();
        assertThat(connect.remote().port()).as("port for %s", input).isBetween(1, 65535);
        assertThat(connect.remote().host()).as("host for %s", input).isNotEmpty();
        FuzzHeads.assertLines(connect.headers(), input, true);
        for (String own : Set.of("upgrade", "connection", "sec-websocket-key", "sec-websocket-version")) {
            assertThat(connect.headers().stream().filter(l -> l[0].toLowerCase(Locale.ROOT).equals(own)).count())
                    .as("%s lines for %s", own, input).isEqualTo(1);
        }
        assertThat(java.util.Base64.getDecoder().decode(connect.key())).hasSize(16);
    }

    /** A browser's upgrade to {@code /v1/} or {@code /v3/}, with headers a meta may forward. */
    private static RequestHead upgrade(String protocol) {
        StringBuilder text = new StringBuilder("/v1/\nHost: gw.example\nUpgrade: websocket\nConnection: Upgrade\n")
                .append("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n")
                .append("Origin: https://page.example\nCookie: a=b\nUser-Agent: fuzz\n");
        if (protocol != null) {
            text.append("Sec-WebSocket-Protocol: ").append(protocol).append('\n');
        }
        return FuzzHeads.of("GET", text.toString());
    }
}
