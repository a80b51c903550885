package io.isthmus.bare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.core.http.RequestHead;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the Bare fuzz tests found (docs/FUZZING.md), one plain test each; the inputs are kept as {@code finding-*}. */
class BareFindingsTest {

    private static final String LEGACY = "X-Bare-Host: example.com\nX-Bare-Protocol: http:\nX-Bare-Path: /\nX-Bare-Headers: {}\n";

    @Test
    void legacyPortOver65535IsTheProtocolsInvalidHeader() {
        RequestHead head = FuzzHeads.of("GET", "/v2/\n" + LEGACY + "X-Bare-Port: 99999");
        assertThatThrownBy(() -> BareRequests.v2(head, false)).isInstanceOfSatisfying(BareError.Failure.class,
                f -> assertThat(f.error.id()).isEqualTo("request.headers.x-bare-port"));
    }

    @Test
    void v1MetaPortOver65535IsRefused() {
        RequestHead head = upgrade("bare, " + LegacyWebSocket.encodeProtocol(
                "{\"remote\":{\"host\":\"a\",\"port\":70000,\"path\":\"/\",\"protocol\":\"ws:\"}}"));
        assertThatThrownBy(() -> LegacyWebSocket.v1(head)).isInstanceOf(BareError.Failure.class);
    }

    @Test
    void twoHostLinesAreRefusedEverywhere() {
        RequestHead v3 = FuzzHeads.of("GET", "/v3/\nX-Bare-URL: http://a.example/\nX-Bare-Headers: {\"Host\":[\"a\",\"b\"]}");
        assertThatThrownBy(() -> BareRequests.v3(v3)).isInstanceOfSatisfying(BareError.Failure.class,
                f -> assertThat(f.error.code()).isEqualTo("INVALID_BARE_HEADER"));
        RequestHead v1 = upgrade("bare, " + LegacyWebSocket.encodeProtocol(
                "{\"remote\":{\"host\":\"a\",\"port\":80,\"path\":\"/\",\"protocol\":\"ws:\"},\"headers\":{\"Host\":[\"a\",\"b\"]}}"));
        assertThatThrownBy(() -> LegacyWebSocket.v1(v1)).isInstanceOf(BareError.Failure.class);
        assertThatThrownBy(() -> V3WebSocket.Connect.parse(
                "{\"type\":\"connect\",\"remote\":\"ws://a.example/\",\"headers\":{\"Host\":[\"a\",\"b\"]}}", upgrade(null)))
                .isInstanceOf(BareError.Failure.class);
    }

    @Test
    void v1MetaNeverFramesTheUpgradeBody() {
        RequestHead head = upgrade("bare, " + LegacyWebSocket.encodeProtocol("{\"remote\":{\"host\":\"a\",\"port\":80,"
                + "\"path\":\"/\",\"protocol\":\"ws:\"},\"headers\":{\"Transfer-Encoding\":\"chunked\",\"Content-Length\":\"5\","
                + "\"X-Kept\":\"1\"},\"forward_headers\":[\"connection\",\"user-agent\"]}"));
        List<String[]> lines = LegacyWebSocket.v1(head).remote().sendHeaders();
        assertThat(lines).extracting(l -> l[0].toLowerCase(java.util.Locale.ROOT)).containsExactly("x-kept", "user-agent");
    }

    @Test
    void portZeroIsAnInvalidUrl() {
        assertThatThrownBy(() -> V3WebSocket.Connect.parse("{\"type\":\"connect\",\"remote\":\"ws://[::1]:0/x\"}", upgrade(null)))
                .isInstanceOf(BareError.Failure.class);
        RequestHead head = FuzzHeads.of("GET", "/v3/\nX-Bare-URL: http://example.com:0/\nX-Bare-Headers: {}");
        assertThatThrownBy(() -> BareRequests.v3(head)).isInstanceOfSatisfying(BareError.Failure.class,
                f -> assertThat(f.error.id()).isEqualTo("request.headers.x-bare-url"));
    }

    @Test
    void aHeaderNameWithCrLfStaysOutOfTheErrorIdAsItIs() {
        RequestHead head = FuzzHeads.of("GET", "/v3/\nX-Bare-URL: https://example.com/\nX-Bare-Headers: {\"Conten\\r\\nt-Length\":\"5\"}");
        assertThatThrownBy(() -> BareRequests.v3(head)).isInstanceOfSatisfying(BareError.Failure.class,
                f -> assertThat(f.error.id()).isEqualTo("bare.headers.conten%0D%0At-length"));
    }

    @Test
    void nonAsciiInTheUrlIsPercentEncodedInTheTarget() {
        RequestHead head = FuzzHeads.of("GET", "/v3/\nX-Bare-URL: https://example.com/p\u00e4th?q\u00f7=1\nX-Bare-Headers: {}");
        assertThat(BareRequests.v3(head).target()).isEqualTo("/p%C3%A4th?q%C3%B7=1");
    }

    @Test
    void anInternationalHostIsSentAsPunycode() {
        V3WebSocket.Connect connect = V3WebSocket.Connect.parse("{\"type\":\"connect\",\"remote\":\"wss://b\u00fccher.example/\"}",
                upgrade(null));
        assertThat(connect.remote().host()).isEqualTo("xn--bcher-kva.example");
        assertThat(connect.headers()).anySatisfy(l -> assertThat(l).containsExactly("Host", "xn--bcher-kva.example"));
        RequestHead head = FuzzHeads.of("GET", "/v3/\nX-Bare-URL: https://b\u00fccher.example/\nX-Bare-Headers: {}");
        assertThat(BareRequests.v3(head).host()).isEqualTo("xn--bcher-kva.example");
    }

    @Test
    void splitPartsNeverEndInABlankThatAPeerWouldTrim() {
        String value = "{\"a\":\"" + "x".repeat(SplitHeaders.PART - 10) + " ".repeat(40) + "y\"}";
        StringBuilder joined = new StringBuilder();
        for (String[] line : SplitHeaders.split(value)) {
            assertThat(line[1]).doesNotEndWith(" ");
            joined.append(line[1].strip().substring(1));
        }
        assertThat(joined.toString()).isEqualTo(value);
        String blanks = "{\"a\":\"" + " ".repeat(3 * SplitHeaders.PART) + "\"}";
        StringBuilder again = new StringBuilder();
        SplitHeaders.split(blanks).forEach(l -> again.append(l[1].strip().substring(1)));
        assertThat(again.toString()).isEqualTo(blanks);
    }

    private static RequestHead upgrade(String protocol) {
        return FuzzHeads.of("GET", "/v1/\nHost: gw.example\nUpgrade: websocket\nConnection: Upgrade\nUser-Agent: t\n"
                + (protocol == null ? "" : "Sec-WebSocket-Protocol: " + protocol));
    }
}
