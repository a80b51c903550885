package io.isthmus.bare;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.http.RequestHead;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Locale;
import java.util.Set;

/**
 * Request heads for the Bare fuzz tests, shaped as the front door's parser hands them over: text lines
 * (LF-separated, ISO-8859-1), the first the request target, the others {@code name: value}; a line whose
 * name is not a token or whose value has a CR or NUL is dropped (the parser would refuse the request), and
 * values lose their surrounding spaces and tabs.
 */
final class FuzzHeads {

    private FuzzHeads() {
    }

    static RequestHead of(String method, String text) {
        String[] lines = text.split("\n", -1);
        String target = lines[0].isEmpty() || lines[0].charAt(0) != '/' || lines[0].chars().anyMatch(c -> c <= ' ' || c >= 0x7f)
                ? "/v3/" : lines[0];
        HttpHeaders headers = new DefaultHttpHeaders(false);
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = lines[i].substring(0, colon);
            String value = lines[i].substring(colon + 1).replaceAll("^[ \t]+|[ \t]+$", "");
            if (!BareRequests.isToken(name) || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
                continue;
            }
            headers.add(name, value);
        }
        return new RequestHead(method, target, "HTTP/1.1", headers);
    }

    /** What every request the gateway sends upstream must be: a request-line target and header lines that cannot break the head. */
    static void assertSendable(RemoteRequest remote, String input) {
        assertThat(remote.target()).as("target for %s", input).startsWith("/");
        assertThat(remote.target().chars().allMatch(c -> c > ' ' && c < 0x7f)).as("target %s for %s", remote.target(), input).isTrue();
        assertThat(remote.port()).as("port for %s", input).isBetween(0, 65535);
        assertThat(remote.host()).as("host for %s", input).isNotEmpty().doesNotContain("\r", "\n", "\0");
        assertLines(remote.sendHeaders(), input, false);
    }

    /**
     * Header lines that cannot break the head, at most one Host, and no framing header; for an upgrade
     * request ({@code upgrade}) no body framing and exactly one {@code Connection} (the gateway's own).
     */
    static void assertLines(java.util.List<String[]> lines, String input, boolean upgrade) {
        int hosts = 0;
        int connections = 0;
        for (String[] line : lines) {
            assertThat(BareRequests.isToken(line[0])).as("name %s for %s", line[0], input).isTrue();
            assertThat(line[1].chars().noneMatch(c -> c == '\r' || c == '\n' || c == 0 || c > 0xFF))
                    .as("value of %s for %s", line[0], input).isTrue();
            String name = line[0].toLowerCase(Locale.ROOT);
            assertThat(upgrade ? Set.of("content-length", "transfer-encoding") : Set.of("connection", "transfer-encoding"))
                    .as("framing header for %s", input).doesNotContain(name);
            hosts += name.equals("host") ? 1 : 0;
            connections += name.equals("connection") ? 1 : 0;
        }
        if (upgrade) {
            assertThat(connections).as("Connection lines for %s", input).isEqualTo(1);
        }
        assertThat(hosts).as("Host lines for %s", input).isLessThanOrEqualTo(1);
    }
}
