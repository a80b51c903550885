package io.isthmus.webroute;

import static io.isthmus.webroute.Wire.ID;
import static io.isthmus.webroute.Wire.awaitWaiting;
import static io.isthmus.webroute.Wire.request;
import static io.isthmus.webroute.Wire.target;
import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.NginxFixture;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.webroute.client.WebRouteClient;
import io.isthmus.webroute.client.WebRouteConnection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole flow through a real nginx reverse proxy in front of the gateway (HTTP/1.1 upstream, Upgrade
 * and Connection passed on, no buffering). nginx rewrites the 101's other headers but passes
 * Sec-WebRoute-Accept, which is all the reference client checks.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BehindNginxTest {

    static Gateway gateway;
    static NginxFixture nginx;

    @BeforeAll
    static void start() throws IOException {
        gateway = TestGateways.start("isthmus.plugins.webroute.default-timeout = 20s");
        nginx = NginxFixture.reverseProxy(gateway.address());
    }

    @AfterAll
    static void stop() {
        if (nginx != null) {
            nginx.close();
        }
        gateway.close();
    }

    static RawClient viaNginx(String text) throws IOException {
        RawClient c = new RawClient(nginx.address(), 20_000);
        c.send(text);
        return c;
    }

    static void assertLinked(String head) {
        assertThat(head).startsWith("HTTP/1.1 101 Switching Protocols\r\n")
                .containsIgnoringCase("\r\nSec-WebRoute-Accept: FgtwdI1ph0NTOVQts+nD5u0AcXs=\r\n");
    }

    @Test
    @SuppressWarnings("try") // one side closes early on purpose
    void rawClientsLinkAndPassBytesBothWaysThenEof() throws Exception {
        try (RawClient a = viaNginx(request("nginx1"))) {
            awaitWaiting(gateway, 1);
            assertThat(a.staysSilentFor(200)).isTrue();
            try (RawClient b = viaNginx(request("nginx1"))) {
                assertLinked(a.readHead());
                assertLinked(b.readHead());
                byte[] payload = new byte[4 * 1024 * 1024];
                new Random(5).nextBytes(payload);
                CompletableFuture<byte[]> atB = CompletableFuture.supplyAsync(() -> {
                    try {
                        return MessageDigest.getInstance("SHA-256").digest(b.readExactly(payload.length));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                a.send(payload);
                assertThat(atB.get(30, TimeUnit.SECONDS)).isEqualTo(MessageDigest.getInstance("SHA-256").digest(payload));
                b.send("reply");
                assertThat(Wire.readAscii(a, 5)).isEqualTo("reply");
                a.send("bye");
                a.close();
                assertThat(b.readToEofAscii()).isEqualTo("bye");
            }
        }
        awaitWaiting(gateway, 0);
    }

    @Test
    void theJavaClientLinksThroughNginx() throws Exception {
        String url = "wr://127.0.0.1:" + nginx.address().getPort() + "/nginx2?accesskey=1";
        WebRouteClient client = WebRouteClient.builder().linkWait(Duration.ofSeconds(20)).id("through-nginx").build();
        CompletableFuture<WebRouteConnection> first = CompletableFuture.supplyAsync(() -> {
            try {
                return client.connect(url);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        awaitWaiting(gateway, 1);
        try (WebRouteConnection second = client.connect(url); WebRouteConnection one = first.get(20, TimeUnit.SECONDS)) {
            one.output().write("ping".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(second.input().readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("ping");
            second.output().write("pong".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(one.input().readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("pong");
        }
    }

    @Test
    void earlyBytesSurviveTheProxy() throws Exception {
        try (RawClient a = viaNginx(request("nginx3") + "EARLY-A")) {
            awaitWaiting(gateway, 1);
            try (RawClient b = viaNginx(request("nginx3"))) {
                assertLinked(b.readHead());
                assertThat(Wire.readAscii(b, 7)).isEqualTo("EARLY-A");
                assertLinked(a.readHead());
            }
        }
    }

    @Test
    void refusalsComeBackThroughTheProxy() throws IOException {
        try (RawClient c = viaNginx(request(target("nginx4"), ID).replace("Webroute-Version: 1", "Webroute-Version: 2"))) {
            String head = c.readHead();
            assertThat(head).startsWith("HTTP/1.1 426 Upgrade Required\r\n").containsIgnoringCase("WebRoute-Version: 1\r\n");
        }
    }
}
