package io.isthmus.webroute.handshake.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.fuzz.FuzzSupport;
import io.isthmus.core.http.RequestHead;
import io.isthmus.webroute.handshake.AccessRule;
import io.isthmus.webroute.handshake.PhpNumbers;
import io.isthmus.webroute.handshake.Refusal;
import io.isthmus.webroute.handshake.TimeoutNegotiation;
import io.isthmus.webroute.handshake.WebRouteHandshake;
import io.isthmus.webroute.handshake.WebRouteRequest;
import io.isthmus.webroute.handshake.WebRouteResponses;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/**
 * The WebRoute request checks, PHP's numeric strings and the timeout negotiation against arbitrary heads.
 *
 * <p>Input, as ISO-8859-1 (what the front door hands on): lines split on LF, one trailing CR dropped, empty
 * lines skipped. The first line is {@code METHOD TARGET [VERSION]} (the target runs from the first space to
 * the last, as the reference reads it; the version is ignored), each other line a field
 * {@code name:value} (split at the first colon; no colon: a name with an empty value). Nothing is validated,
 * so names and values may carry any byte but LF. Properties:
 * <ul>
 *   <li>{@code check} never throws; a refusal is one of the reference's replies, each "HTTP/1.1 ..." ending in
 *       an empty line; a request is a GET whose version is PHP-equal to 1, with the target ("/" for none), an
 *       ID and the raw timeout, and its 101 is 127 bytes;</li>
 *   <li>for every field value: {@code isNumeric} decides whether {@code toLong} answers or throws the
 *       documented IllegalArgumentException; {@code equalsOne} and the timeout negotiation never throw, and a
 *       negotiated timeout lies between the server default and a year;</li>
 *   <li>access rules never throw.</li>
 * </ul>
 */
class WebRouteHandshakeFuzzTest {

    private static final Duration SERVER_DEFAULT = Duration.ofSeconds(60);
    private static final AccessRule QUERY_RULE = AccessRule.queryParameter("accesskey", "123456789101112");
    private static final AccessRule HEADER_RULE = AccessRule.header("X-WebRoute-Key", "k");

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void check(byte[] data) {
        RequestHead head = head(new String(data, StandardCharsets.ISO_8859_1));
        String input = FuzzSupport.hex(data);

        WebRouteHandshake.Verdict verdict = WebRouteHandshake.check(head);
        assertThat(verdict).as("verdict for %s", input).isNotNull();
        if (verdict instanceof Refusal refusal) {
            assertThat(refusal.reason()).isNotBlank();
            assertThat(refusal.response()).as("reply for %s", input).startsWith("HTTP/1.1 ").endsWith("\r\n\r\n")
                    .isIn(WebRouteResponses.METHOD_NOT_ALLOWED, WebRouteResponses.BAD_REQUEST,
                            WebRouteResponses.UPGRADE_REQUIRED);
        } else {
            WebRouteRequest request = (WebRouteRequest) verdict;
            assertThat(head.method()).isEqualTo("GET");
            assertThat(request.pathWithQuery()).isEqualTo(head.target().isEmpty() ? "/" : head.target());
            assertThat(request.id()).isNotNull();
            assertThat(request.key().path()).isNotNull();
            assertThat(request.key().toString()).isNotNull();
            String ok = WebRouteResponses.switchingProtocols(request.id());
            assertThat(ok.getBytes(StandardCharsets.ISO_8859_1)).as("101 for %s", input).hasSize(127);
            Duration negotiated = TimeoutNegotiation.negotiate(SERVER_DEFAULT, request.timeout(), request.timeout());
            assertThat(negotiated).isBetween(SERVER_DEFAULT, Duration.ofDays(365));
        }

        for (Map.Entry<String, String> field : head.headers()) {
            numbers(field.getValue());
        }
        numbers(head.target());
        QUERY_RULE.permits(head);
        HEADER_RULE.permits(head);
    }

    private static void numbers(String value) {
        boolean equalsOne = PhpNumbers.equalsOne(value);
        if (PhpNumbers.isNumeric(value)) {
            long asLong = PhpNumbers.toLong(value);
            if (equalsOne) {
                assertThat(asLong).as("(int) of a value == 1: %s", value).isEqualTo(1);
            }
        } else {
            assertThat(equalsOne).as("non-numeric %s == 1", value).isFalse();
            assertThatThrownBy(() -> PhpNumbers.toLong(value)).isInstanceOf(IllegalArgumentException.class);
        }
        Duration side = TimeoutNegotiation.forSide(SERVER_DEFAULT, value);
        assertThat(side).as("timeout from %s", value).isBetween(SERVER_DEFAULT, Duration.ofDays(365));
        assertThat(side.toNanos()).isPositive();
    }

    static RequestHead head(String text) {
        String method = "";
        String target = "";
        HttpHeaders headers = new DefaultHttpHeaders(false);
        boolean first = true;
        for (String line : text.split("\n", -1)) {
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isEmpty()) {
                continue;
            }
            if (first) {
                first = false;
                // As the reference reads it: the method up to the first space, the target up to the last one.
                int space = line.indexOf(' ');
                int last = line.lastIndexOf(' ');
                method = space < 0 ? line : line.substring(0, space);
                target = space < 0 ? "" : line.substring(space + 1, last > space ? last : line.length());
                continue;
            }
            int colon = line.indexOf(':');
            headers.add(colon < 0 ? line : line.substring(0, colon), colon < 0 ? "" : line.substring(colon + 1).strip());
        }
        return new RequestHead(method, target, "HTTP/1.1", headers);
    }
}
