package io.isthmus.webroute;

import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Requests as the reference client writes them, the reference's replies, and the gateway's WebRoute meters. */
public final class Wire {

    public static final String ID = "6fa1a1490ee0fe617b36530054e984786897e022";
    /** The 101 of conformance case 1, spelled out rather than computed. */
    public static final String OK101 = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: webroute\r\nConnection: Upgrade\r\n"
            + "Sec-WebRoute-Accept: FgtwdI1ph0NTOVQts+nD5u0AcXs=\r\n\r\n";
    public static final String BAD_REQUEST = "HTTP/1.1 400 Bad Request\r\n\r\n";
    public static final String METHOD_NOT_ALLOWED = "HTTP/1.1 405 Method Not Allowed\r\n\r\n";
    public static final String UPGRADE_REQUIRED = "HTTP/1.1 426 Upgrade Required\r\nWebRoute-Version: 1\r\n\r\n";
    public static final String GATEWAY_TIMEOUT = "HTTP/1.1 504 Gateway Timeout\r\nWebRoute-Version: 1\r\nConnection: close\r\n\r\n";

    private Wire() {
    }

    /** The reference client's request (protocol notes §1) for {@code target} and {@code id}, plus extra lines. */
    public static String request(String target, String id, String... extraLines) {
        StringBuilder s = new StringBuilder("GET " + target + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1:47735\r\n"
                + "Connection: keep-alive, Upgrade\r\n"
                + "Accept: text/html, application/xhtml+xml, */*\r\n"
                + "Accept-Language: en-us,en;q=0.5\r\n"
                + "Cache-Control: max-age=0\r\n"
                + "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:98.0) Gecko/20100101 Firefox/98.0\r\n"
                + "Pragma: no-cache\r\n"
                + "Webroute-Version: 1\r\n"
                + "Webroute-Id: " + id + "\r\n");
        for (String line : extraLines) {
            s.append(line).append("\r\n");
        }
        return s.append("Upgrade: webroute\r\n\r\n").toString();
    }

    /** A request with the standard test ID under {@code /<name>?accesskey=123456789101112}. */
    public static String request(String name) {
        return request(target(name), ID);
    }

    public static String target(String name) {
        return "/" + name + "?accesskey=123456789101112";
    }

    public static String ascii(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    public static String readAscii(RawClient c, int n) throws IOException {
        return ascii(c.readExactly(n));
    }

    /** Connects and sends {@code text} in one write. */
    public static RawClient send(Gateway g, String text) throws IOException {
        RawClient c = new RawClient(g.address(), 15_000);
        c.send(text);
        return c;
    }

    public static double waiting(Gateway g) {
        Gauge gauge = g.metrics().registry().find("isthmus.webroute.waiting").tag("protocol", "webroute").gauge();
        return gauge == null ? 0 : gauge.value();
    }

    public static void awaitWaiting(Gateway g, int n) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> waiting(g) == n);
    }

    public static double counter(Gateway g, String name, String tag, String value) {
        Counter c = g.metrics().registry().find(name).tag("protocol", "webroute").tag(tag, value).counter();
        return c == null ? 0 : c.count();
    }

    public static double rejections(Gateway g, String reason) {
        return counter(g, "isthmus.rejections", "reason", reason);
    }

    public static double handshakes(Gateway g, String outcome) {
        return counter(g, "isthmus.handshakes", "outcome", outcome);
    }

    /** A waiter that is parked (the gauge says so) before the caller goes on. */
    public static RawClient park(Gateway g, String text) throws IOException {
        double before = waiting(g);
        RawClient c = send(g, text);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> waiting(g) > before);
        return c;
    }
}
