package io.isthmus.rawsocket;

import static io.isthmus.rawsocket.WebsockifyConformanceTest.counter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.TestGateways;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One WebSocket = one connected UDP flow, against a real UDP echo on loopback. */
class UdpFlowTest {

    private static final int MAX_DATAGRAM = 65_000;

    static LoopbackTargets targets;
    static Gateway gateway;

    @BeforeAll
    static void start() throws Exception {
        targets = new LoopbackTargets();
        int echo = targets.udpEcho();
        gateway = TestGateways.start("""
                isthmus.egress.allow-cidrs = ["127.0.0.0/8"]
                isthmus.plugins.rawsocket {
                  udp { target = "127.0.0.1:%d", max-datagram = %d }
                  demo.services = false
                }
                """.formatted(echo, MAX_DATAGRAM));
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        targets.close();
    }

    @Test
    void boundariesAreKeptForAThousandDatagramsOfRandomSizes() throws IOException {
        SplittableRandom random = new SplittableRandom(13);
        try (WsClient ws = WsClient.connectBinary(gateway.address(), "/sockets/udp")) {
            assertThat(ws.status).isEqualTo(101);
            for (int i = 0; i < 1000; i++) {
                // Sizes spread evenly over their logarithm, 1 byte to the limit, and the limit itself now and
                // then: every size class is covered without the test spending its time in the largest
                // (the leak detector at PARANOID makes each large frame costly).
                int size = i % 100 == 0 ? MAX_DATAGRAM : (int) Math.exp(random.nextDouble() * Math.log(MAX_DATAGRAM));
                byte[] datagram = new byte[Math.max(1, size)];
                random.nextBytes(datagram);
                ws.sendBinary(datagram);
                WsClient.Frame back = ws.readDataOrClose();
                assertThat(back.opcode()).as("datagram %d", i).isEqualTo(WsClient.BINARY);
                assertThat(back.fin()).isTrue();
                assertThat(Arrays.equals(back.payload(), datagram)).as("datagram %d of %d bytes", i, datagram.length).isTrue();
            }
        }
        assertThat(counter(gateway, "isthmus_rawsocket_udp_datagrams_total", "direction=\"upstream\"")).isGreaterThanOrEqualTo(1000);
    }

    @Test
    void aFragmentedMessageIsOneDatagram() throws IOException {
        try (WsClient ws = WsClient.connectBinary(gateway.address(), "/sockets/udp")) {
            ws.sendFrame(WsClient.BINARY, false, "one ".getBytes(StandardCharsets.US_ASCII))
                    .sendFrame(WsClient.CONTINUATION, false, "two ".getBytes(StandardCharsets.US_ASCII))
                    .sendFrame(WsClient.CONTINUATION, true, "three".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(ws.readDataOrClose().payload(), StandardCharsets.US_ASCII)).isEqualTo("one two three");
        }
    }

    @Test
    void emscriptensPortAnnouncementIsConsumed() throws IOException {
        double before = counter(gateway, "isthmus_rawsocket_emscripten_port_messages_total", "protocol=\"rawsocket\"");
        try (WsClient ws = WsClient.connectBinary(gateway.address(), "/sockets/udp")) {
            byte[] port = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 'p', 'o', 'r', 't', 0x1F, (byte) 0x90};
            ws.sendBinary(port).sendBinary("after".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(ws.readDataOrClose().payload(), StandardCharsets.US_ASCII)).isEqualTo("after");
            // Only the first message is looked at: the same ten bytes later are a datagram like any other.
            ws.sendBinary(port);
            assertThat(ws.readDataOrClose().payload()).isEqualTo(port);
        }
        assertThat(counter(gateway, "isthmus_rawsocket_emscripten_port_messages_total", "protocol=\"rawsocket\""))
                .isEqualTo(before + 1);
    }

    @Test
    void aDatagramOverTheLimitIsDroppedAndCountedAndTheFlowGoesOn() throws IOException {
        double before = counter(gateway, "isthmus_rawsocket_udp_dropped_total", "direction=\"upstream\",");
        try (WsClient ws = WsClient.connectBinary(gateway.address(), "/sockets/udp")) {
            ws.sendBinary(new byte[MAX_DATAGRAM + 1]);
            ws.sendFrame(WsClient.BINARY, false, new byte[MAX_DATAGRAM])
                    .sendFrame(WsClient.CONTINUATION, true, new byte[10]);
            ws.sendBinary("small".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(ws.readDataOrClose().payload(), StandardCharsets.US_ASCII)).isEqualTo("small");
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(counter(gateway, "isthmus_rawsocket_udp_dropped_total", "direction=\"upstream\","))
                        .isEqualTo(before + 2));
    }
}
