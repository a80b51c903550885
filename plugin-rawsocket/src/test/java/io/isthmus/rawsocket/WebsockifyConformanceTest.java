package io.isthmus.rawsocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.TestGateways;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The websockify cases of rawsocket-browser.md §6 against real loopback services, through a token file:
 * byte values, 4 MiB each way, subprotocols, banner then close, refused target, unknown token, text
 * frames, base64 only, the target's half-close, the client's close, and the token file's reload.
 */
class WebsockifyConformanceTest {

    private static final String BANNER = "220 mail.example ESMTP ready\r\n";

    @TempDir
    static Path dir;
    static Path tokens;
    static LoopbackTargets targets;
    static Gateway gateway;
    static byte[] halfCloseBytes;

    @BeforeAll
    static void start() throws Exception {
        targets = new LoopbackTargets();
        halfCloseBytes = random(1 << 20, 7);
        tokens = dir.resolve("tokens.cfg");
        Files.writeString(tokens, "# noVNC style\n"
                + "echo: 127.0.0.1:" + targets.echo() + "\n"
                + "banner: 127.0.0.1:" + targets.banner(BANNER) + "\n"
                + "half : 127.0.0.1:" + targets.halfClose(halfCloseBytes) + "\n"
                + "refused: 127.0.0.1:" + LoopbackTargets.closedPort() + "\n"
                + "broken line\n");
        gateway = TestGateways.start("""
                isthmus.egress.allow-cidrs = ["127.0.0.0/8"]
                isthmus.plugins.rawsocket {
                  tokens { file = "%s", reload-interval = 100ms }
                  demo.services = false
                }
                """.formatted(tokens.toString().replace("\\", "\\\\")));
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        targets.close();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    private static byte[] allByteValues() {
        byte[] b = new byte[256];
        for (int i = 0; i < 256; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    @Test
    void binarySubprotocolIsSelectedAndAllByteValuesEcho() throws IOException {
        try (WsClient ws = WsClient.connectBinary(gateway.address(), "/sockets/websockify?token=echo")) {
            assertThat(ws.status).isEqualTo(101);
            assertThat(ws.headers).containsEntry("sec-websocket-protocol", "binary");
            ws.sendBinary(allByteValues());
            assertThat(ws.readBytes(256)).isEqualTo(allByteValues());
        }
    }

    @Test
    void noSubprotocolOfferedWorksAndNoneIsNamed() throws IOException {
        try (WsClient ws = WsClient.connect(gateway.address(), "/sockets/websockify?token=echo")) {
            assertThat(ws.status).isEqualTo(101);
            assertThat(ws.headers).doesNotContainKey("sec-websocket-protocol");
            ws.sendBinary(allByteValues());
            assertThat(ws.readBytes(256)).isEqualTo(allByteValues());
        }
    }

    @Test
    void binaryIsPickedWhateverTheOrderAndSpacing() throws IOException {
        for (String offer : new String[] {"binary, base64", "base64, binary", " base64 ,binary "}) {
            try (WsClient ws = WsClient.connect(gateway.address(), "/sockets/websockify?token=echo",
                    Map.of("Sec-WebSocket-Protocol", offer))) {
                assertThat(ws.status).as(offer).isEqualTo(101);
                assertThat(ws.headers).as(offer).containsEntry("sec-websocket-protocol", "binary");
            }
        }
    }

    @Test
    void base64OnlyAndUnknownSubprotocolsAreRefusedWith400() throws IOException {
        for (String offer : new String[] {"base64", "wisp-v2"}) {
            try (WsClient ws = WsClient.connect(gateway.address(), "/sockets/websockify?token=echo",
                    Map.of("Sec-WebSocket-Protocol", offer))) {
                assertThat(ws.status).as(offer).isEqualTo(400);
            }
        }
    }

    @Test
    void fourMebibytesEachWayArriveIntact() throws Exception {
        int size = 4 << 20;
        byte[] payload = random(size, 42);
        try (WsClient ws = WsClient.connectBinary(gateway.address(), "/sockets/websockify?token=echo")) {
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                try {
                    for (int at = 0; at < size; at += 60_000) {
                        ws.sendBinary(java.util.Arrays.copyOfRange(payload, at, Math.min(size, at + 60_000)));
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, targets.pool);
            byte[] back = ws.readBytes(size);
            sending.get(30, TimeUnit.SECONDS);
            assertThat(sha256(back)).isEqualTo(sha256(payload));
        }
    }

    @Test
    void bannerThenCloseGivesTheBytesThenClose1000AndWaitsForTheReply() throws IOException {
        try (WsClient ws = WsClient.connectBinary(gateway.address(), "/sockets/websockify?token=banner")) {
            assertThat(new String(ws.readBytes(BANNER.length()), StandardCharsets.US_ASCII)).isEqualTo(BANNER);
            WsClient.Frame close = ws.readDataOrClose();
            assertThat(close.opcode()).isEqualTo(WsClient.CLOSE);
            assertThat(close.closeCode()).isEqualTo(1000);
            assertThat(close.closeReason()).isEqualTo("Target closed");
            // The gateway keeps the TCP connection for our Close (so browsers see wasClean), then ends it.
            assertThat(ws.closedWithin(200)).isFalse();
            ws.sendClose(1000, "");
            assertThat(ws.closedWithin(5000)).isTrue();
        }
    }

    @Test
    void theTargetsHalfCloseDeliversEveryByteThenClose1000() throws IOException {
        try (WsClient ws = WsClient.connect(gateway.address(), "/sockets/websockify?token=half")) {
            assertThat(ws.readBytes(halfCloseBytes.length)).isEqualTo(halfCloseBytes);
            WsClient.Frame close = ws.readDataOrClose();
            assertThat(close.closeCode()).isEqualTo(1000);
        }
    }

    @Test
    void aRefusedTargetGives1011WithTheReason() throws IOException {
        try (WsClient ws = WsClient.connectBinary(gateway.address(), "/sockets/websockify?token=refused")) {
            assertThat(ws.status).isEqualTo(101);
            WsClient.Frame close = ws.readDataOrClose();
            assertThat(close.closeCode()).isEqualTo(1011);
            assertThat(close.closeReason()).isEqualTo("Failed to connect to downstream server: connection refused");
        }
    }

    @Test
    void anUnknownTokenGives1008() throws IOException {
        try (WsClient ws = WsClient.connectBinary(gateway.address(), "/sockets/websockify?token=nope")) {
            WsClient.Frame close = ws.readDataOrClose();
            assertThat(close.closeCode()).isEqualTo(1008);
            assertThat(close.closeReason()).isEqualTo("Unknown token");
        }
        assertThat(counter("isthmus_rejections_total", "reason=\"unknown_token\"")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aTextFrameIsRefusedAsWebsockifyRefusesIt() throws IOException {
        try (WsClient ws = WsClient.connectBinary(gateway.address(), "/sockets/websockify?token=echo")) {
            ws.sendText("hello");
            WsClient.Frame close = ws.readDataOrClose();
            assertThat(close.closeCode()).isEqualTo(1003);
            assertThat(close.closeReason()).isEqualTo("Unsupported: Text frames are not supported");
        }
    }

    @Test
    void emptyMessagesAreIgnored() throws IOException {
        try (WsClient ws = WsClient.connectBinary(gateway.address(), "/sockets/websockify?token=echo")) {
            ws.sendBinary(new byte[0]).sendBinary("abc".getBytes(StandardCharsets.US_ASCII));
            WsClient.Frame first = ws.readDataOrClose();
            assertThat(new String(first.payload(), StandardCharsets.US_ASCII)).isEqualTo("abc");
        }
    }

    @Test
    void theClientsCloseIsAnsweredWithItsCodeAfterQueuedBytes() throws IOException {
        try (WsClient ws = WsClient.connectBinary(gateway.address(), "/sockets/websockify?token=echo")) {
            ws.sendBinary("ping".getBytes(StandardCharsets.US_ASCII));
            assertThat(ws.readBytes(4)).isEqualTo("ping".getBytes(StandardCharsets.US_ASCII));
            ws.sendClose(4001, "done");
            WsClient.Frame close = ws.readDataOrClose();
            assertThat(close.opcode()).isEqualTo(WsClient.CLOSE);
            assertThat(close.closeCode()).isEqualTo(4001);
            assertThat(ws.closedWithin(5000)).isTrue();
        }
    }

    @Test
    void aPlainGetIsRefusedWith400() throws IOException {
        try (var s = new java.net.Socket(gateway.address().getAddress(), gateway.address().getPort())) {
            s.getOutputStream().write("GET /sockets/websockify HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(reply).startsWith("HTTP/1.1 400");
        }
    }

    @Test
    void aTokenAddedToTheFileIsServedWithoutARestart() throws Exception {
        Files.writeString(tokens, Files.readString(tokens) + "later: 127.0.0.1:" + targets.echo() + "\n");
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            try (WsClient ws = WsClient.connectBinary(gateway.address(), "/sockets/websockify?token=later")) {
                ws.sendBinary(new byte[] {1, 2, 3});
                assertThat(ws.readBytes(3)).containsExactly(1, 2, 3);
            }
        });
    }

    @Test
    void connectionsAreCountedByEndpointAndOutcome() throws IOException {
        try (WsClient ws = WsClient.connectBinary(gateway.address(), "/sockets/websockify?token=banner")) {
            ws.readBytes(BANNER.length());
            ws.readDataOrClose();
            ws.sendClose(1000, "");
            ws.closedWithin(5000);
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(counter("isthmus_rawsocket_connections_total", "endpoint=\"websockify\",outcome=\"completed\""))
                        .isGreaterThanOrEqualTo(1));
        assertThat(counter("isthmus_rawsocket_bytes_total", "direction=\"downstream\",endpoint=\"websockify\""))
                .isGreaterThanOrEqualTo(BANNER.length());
    }

    static double counter(String name, String labels) {
        return counter(gateway, name, labels);
    }

    static double counter(Gateway gateway, String name, String labels) {
        for (String line : gateway.metrics().scrape().split("\n")) {
            if (line.startsWith(name + "{") && line.contains(labels)) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }
}
