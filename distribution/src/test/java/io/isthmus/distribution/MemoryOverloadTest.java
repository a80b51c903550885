package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.overload.Admission.Work;
import io.isthmus.core.overload.MemoryGuard;
import io.isthmus.core.overload.MemoryReading;
import io.isthmus.core.testing.LeakGuard;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.core.testing.WsFrames;
import io.isthmus.wstunnel.TunnelTokens;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Memory-overload protection across every protocol on one gateway: with the guard's reading forced above
 * its high mark, each protocol refuses new work with its own error and counts it, while links admitted
 * before carry on; once the reading falls below the low mark, new work is served again.
 */
@ExtendWith(LeakGuard.class)
class MemoryOverloadTest {

    private static final String SERVER_KEY = "s3rverKeyForTheOverloadTestsOnly00000000000";
    private static final String CLIENT_KEY = "c1ientKeyForTheOverloadTestsOnly00000000000";
    private static final String WST_SECRET = "a-websocktunnel-secret-of-at-least-32-bytes!";

    private final List<AutoCloseable> open = new ArrayList<>();
    private Gateway gateway;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    private Gateway start(String extra) {
        gateway = TestGateways.start("""
                isthmus.plugins.remoted.server-keys = ["%s"]
                isthmus.plugins.remoted.client-keys = ["%s"]
                isthmus.plugins.wstunnel.secrets = ["%s"]
                """.formatted(SERVER_KEY, CLIENT_KEY, WST_SECRET) + extra);
        return gateway;
    }

    private RawClient client() throws IOException {
        RawClient c = new RawClient(gateway.address(), 10_000);
        open.add(c);
        return c;
    }

    private static String webRoute(String path, String id, String extraHeaders) {
        return "GET " + path + " HTTP/1.1\r\nHost: gateway\r\nConnection: Upgrade\r\nUpgrade: webroute\r\n"
                + "WebRoute-Version: 1\r\nWebRoute-ID: " + id + "\r\n" + extraHeaders + "\r\n";
    }

    private static String webSocket(String path, String extraHeaders) {
        return WsFrames.upgradeRequest(path, "127.0.0.1", extraHeaders);
    }

    private String wstRegistration(String id) {
        String token = TunnelTokens.mint(WST_SECRET, id, Duration.ofHours(1), "", Clock.systemUTC());
        return webSocket("/wst/", "x-websocktunnel-id: " + id + "\r\nAuthorization: Bearer " + token + "\r\n");
    }

    /** A linked WebRoute pair; checks that bytes cross both ways. */
    private RawClient[] webRoutePair(String id) throws IOException {
        RawClient a = client();
        a.send(webRoute("/pair", id, ""));
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.metrics().scrape()
                .contains("isthmus_webroute_waiting{protocol=\"webroute\"} 1"));
        RawClient b = client();
        b.send(webRoute("/pair", id, ""));
        assertThat(a.readHead()).startsWith("HTTP/1.1 101 ");
        assertThat(b.readHead()).startsWith("HTTP/1.1 101 ");
        crosses(a, b);
        return new RawClient[] {a, b};
    }

    private static void crosses(RawClient a, RawClient b) throws IOException {
        byte[] up = new byte[50_000];
        ThreadLocalRandom.current().nextBytes(up);
        a.send(up);
        assertThat(b.readExactly(up.length)).isEqualTo(up);
        b.send(up);
        assertThat(a.readExactly(up.length)).isEqualTo(up);
    }

    private void pressure(double heap) {
        MemoryGuard guard = gateway.memoryGuard();
        guard.useProbe(() -> MemoryReading.ofRatios(heap, 0.01));
        guard.sample();
    }

    /** Sends {@code request} on a new connection and returns the whole reply (the gateway closes after it). */
    private String refusal(String request) throws IOException {
        RawClient c = client();
        c.send(request);
        return c.readToEofAscii();
    }

    @Test
    void everyProtocolRefusesNewWorkWithItsOwnErrorWhileLiveLinksCarryOnThenServesAgain() throws Exception {
        start("");
        MemoryGuard guard = gateway.memoryGuard();
        assertThat(guard.underPressure()).as("a test JVM is far below 85%").isFalse();

        // Admitted before the pressure: a WebRoute pair, a Remoted registration, a websocktunnel client, a Wisp session.
        RawClient[] pair = webRoutePair("before");
        RawClient remotedServer = client();
        remotedServer.send(webSocket("/svc/", "X-Remoted-APIKey: " + SERVER_KEY + "\r\nOrigin: http://127.0.0.1\r\n"));
        assertThat(remotedServer.readHead()).startsWith("HTTP/1.1 101 ");
        RawClient wstClient = client();
        wstClient.send(wstRegistration("c1"));
        assertThat(wstClient.readHead()).startsWith("HTTP/1.1 101 ");
        RawClient wisp = client();
        wisp.send(webSocket("/sockets/wisp/", ""));
        assertThat(wisp.readHead()).startsWith("HTTP/1.1 101 ");
        DataInputStream wispIn = new DataInputStream(wisp.in());
        assertThat(hex(WsFrames.readData(wispIn).payload())).isEqualTo("030000000080000000");

        assertThat(gateway.isReady()).isTrue();
        pressure(0.90);
        assertThat(guard.underPressure()).isTrue();
        assertThat(gateway.isReady()).as("/readyz 503 memory_pressure: balancers send new clients elsewhere").isFalse();
        assertThat(gateway.metrics().scrape()).contains("isthmus_memory_pressure 1.0");

        // WebRoute: a new waiter gets the plain 503.
        assertThat(refusal(webRoute("/pair", "during", "")))
                .startsWith("HTTP/1.1 503 ").contains("short of memory");
        // Remoted: a client gets the reference's JSON shape; a new registration is refused before its upgrade.
        assertThat(refusal(webRoute("/svc/", "client-1", "X-Remoted-APIKey: " + CLIENT_KEY + "\r\n")))
                .startsWith("HTTP/1.1 503 ").contains("\"errorcode\":\"overloaded\"");
        assertThat(refusal(webSocket("/svc2/", "X-Remoted-APIKey: " + SERVER_KEY + "\r\nOrigin: http://127.0.0.1\r\n")))
                .startsWith("HTTP/1.1 503 ").contains("\"errorcode\":\"overloaded\"");
        // Bare: a forwarded request and a WebSocket get the specification's error format; the manifest is served.
        assertThat(refusal("GET /bare/v3/ HTTP/1.1\r\nHost: gateway\r\nX-Bare-URL: http://example.com/\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 503 ").contains("\"code\":\"IMPL_OVERLOADED\"");
        assertThat(refusal(webSocket("/bare/v3/", "")))
                .startsWith("HTTP/1.1 503 ").contains("IMPL_OVERLOADED");
        assertThat(refusal("GET /bare/ HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 200 ");
        // websocktunnel: Go's plain 503 to a viewer of a live client, and to a new registration.
        assertThat(refusal("GET /wst/c1/page HTTP/1.1\r\nHost: gateway\r\n\r\n"))
                .startsWith("HTTP/1.1 503 ").endsWith("Service Unavailable\n");
        assertThat(refusal(wstRegistration("c2"))).startsWith("HTTP/1.1 503 ");
        // Wisp: a CONNECT on the live session is closed with 0x49 (throttled); a new session gets 503.
        wisp.send(WsFrames.frame(WsFrames.BINARY, HexFormat.of().parseHex("0101000000015000" + HexFormat.of().formatHex(
                "example.com".getBytes(StandardCharsets.US_ASCII))), true));
        assertThat(hex(WsFrames.readData(wispIn).payload())).isEqualTo("040100000049");
        assertThat(refusal(webSocket("/sockets/wisp/", ""))).startsWith("HTTP/1.1 503 ");
        // websockify: 503 before the upgrade.
        assertThat(refusal(webSocket("/sockets/websockify", "Sec-WebSocket-Protocol: binary\r\n"))).startsWith("HTTP/1.1 503 ");

        // Counted, by protocol and kind of work.
        assertThat(guard.refusals("webroute", Work.WAIT)).isEqualTo(1);
        assertThat(guard.refusals("remoted", Work.WAIT)).isEqualTo(1);
        assertThat(guard.refusals("remoted", Work.WEBSOCKET)).isEqualTo(1);
        assertThat(guard.refusals("bare", Work.REQUEST)).isEqualTo(1);
        assertThat(guard.refusals("bare", Work.WEBSOCKET)).isEqualTo(1);
        assertThat(guard.refusals("wstunnel", Work.STREAM)).isEqualTo(1);
        assertThat(guard.refusals("wstunnel", Work.WEBSOCKET)).isEqualTo(1);
        assertThat(guard.refusals("wisp", Work.STREAM)).isEqualTo(1);
        assertThat(guard.refusals("wisp", Work.WEBSOCKET)).isEqualTo(1);
        assertThat(guard.refusals("rawsocket", Work.LINK)).isEqualTo(1);
        assertThat(gateway.metrics().scrape())
                .contains("isthmus_overload_refusals_total{protocol=\"webroute\",work=\"wait\"} 1.0");

        // Live links carry on.
        crosses(pair[0], pair[1]);
        assertThat(remotedServer.socket().isClosed()).isFalse();

        // Between the marks nothing changes; below the low mark new work is served again.
        pressure(0.80);
        assertThat(guard.underPressure()).isTrue();
        pressure(0.50);
        assertThat(guard.underPressure()).isFalse();
        assertThat(gateway.isReady()).isTrue();
        assertThat(gateway.metrics().scrape()).contains("isthmus_memory_pressure 0.0");
        webRoutePair("after");
        RawClient remotedClient = client();
        remotedClient.send(webRoute("/svc/", "client-2", "X-Remoted-APIKey: " + CLIENT_KEY + "\r\n"));
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.metrics().scrape()
                .contains("isthmus_webroute_waiting{protocol=\"remoted\"} 1"));
        assertThat(refusal("GET /bare/v3/ HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 400 ").contains("MISSING_BARE_HEADER");
        RawClient wst2 = client();
        wst2.send(wstRegistration("c2"));
        assertThat(wst2.readHead()).startsWith("HTTP/1.1 101 ");
        wisp.send(WsFrames.frame(WsFrames.BINARY, HexFormat.of().parseHex("0103000000015000" + HexFormat.of().formatHex(
                "127.0.0.1".getBytes(StandardCharsets.US_ASCII))), true));
        // Admitted now: the egress policy judges it (loopback is blocked, 0x48), no longer the memory guard.
        assertThat(hex(WsFrames.readData(wispIn).payload())).isEqualTo("040300000048");
        RawClient websockify = client();
        websockify.send(webSocket("/sockets/websockify", "Sec-WebSocket-Protocol: binary\r\n"));
        assertThat(websockify.readHead()).startsWith("HTTP/1.1 101 ");
        assertThat(guard.refusals("webroute", Work.WAIT)).isEqualTo(1);
    }

    @Test
    void theRealJvmReadingAboveATinyThresholdRefusesFromTheStart() throws Exception {
        start("isthmus.limits.memory { heap-high = \"0.0001%\", heap-low = \"0.00001%\" }\n");
        assertThat(gateway.memoryGuard().underPressure()).isTrue();
        assertThat(gateway.memoryGuard().lastReading().heapUsed()).isPositive();
        assertThat(refusal(webRoute("/pair", "tiny", ""))).startsWith("HTTP/1.1 503 ");
        assertThat(gateway.memoryGuard().refusals("webroute", Work.WAIT)).isEqualTo(1);
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
