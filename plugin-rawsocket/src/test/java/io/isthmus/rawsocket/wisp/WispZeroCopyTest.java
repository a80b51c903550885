package io.isthmus.rawsocket.wisp;

import static io.isthmus.rawsocket.KernelPathChecks.ioCpuNanos;
import static io.isthmus.rawsocket.KernelPathChecks.random;
import static io.isthmus.rawsocket.KernelPathChecks.switches;
import static io.isthmus.rawsocket.wisp.WispWire.connect;
import static io.isthmus.rawsocket.wisp.WispWire.data;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.TestGateways;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * A TCP stream's download on the framed kernel path (target socket to pipe to DATA frames, payloads never
 * in the JVM): every byte arrives in order inside well-formed DATA packets of at most 64 KiB, the CLOSE comes
 * after the last of them, and another stream on the same WebSocket keeps working in between. With
 * {@code zero-copy = false} the same download copies.
 */
class WispZeroCopyTest {

    private static final String EGRESS = "isthmus.plugins.rawsocket.wisp.egress.allow-cidrs = [\"127.0.0.0/8\"]\n";
    private static final int SIZE = 8 * 1024 * 1024;

    @Test
    void aBulkDownloadTakesTheKernelPathAndArrivesWholeBetweenAnotherStreamsEchoes() throws Exception {
        byte[] content = random(SIZE);
        try (LoopbackServices services = new LoopbackServices(); Gateway g = TestGateways.start(EGRESS)) {
            byte[] got = download(g, services.tcpSource(content), services.tcpEcho());
            assertThat(Arrays.equals(got, content)).as("the download arrives whole and in order").isTrue();
            assertThat(switches(g, WispRoute.PROTOCOL, "splice")).as("the download left the JVM")
                    .isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void withZeroCopyOffTheSameDownloadCopies() throws Exception {
        byte[] content = random(SIZE / 4);
        try (LoopbackServices services = new LoopbackServices();
             Gateway g = TestGateways.start(EGRESS + "isthmus.splice.zero-copy = false\n")) {
            byte[] got = download(g, services.tcpSource(content), services.tcpEcho());
            assertThat(Arrays.equals(got, content)).isTrue();
            assertThat(switches(g, WispRoute.PROTOCOL, "splice")).isZero();
        }
    }

    @Test
    void aStreamClosedByTheClientMidDownloadLeavesTheSessionWorking() throws Exception {
        byte[] content = random(SIZE);
        try (LoopbackServices services = new LoopbackServices(); Gateway g = TestGateways.start(EGRESS)) {
            int source = services.tcpSource(content);
            int echo = services.tcpEcho();
            try (WispWire w = WispWire.v1(g.address())) {
                w.send(connect(1, 1, source, "127.0.0.1"));
                w.send(connect(2, 1, echo, "127.0.0.1"));
                long received = 0;
                while (received < SIZE / 2) {
                    WispWire.Frame f = w.read();
                    if (f.type() == WispPacket.DATA && f.streamId() == 1) {
                        received += f.payload().length - WispPacket.HEADER;
                    }
                }
                assertThat(switches(g, WispRoute.PROTOCOL, "splice")).isGreaterThanOrEqualTo(1);
                w.send(WispWire.close(1, 0x02));
                // DATA frames already queued for stream 1 may still come; the session and stream 2 carry on.
                byte[] ping = "after the close".getBytes(StandardCharsets.US_ASCII);
                w.send(data(2, ping));
                ByteArrayOutputStream echoed = new ByteArrayOutputStream();
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (echoed.size() < ping.length) {
                    assertThat(System.nanoTime()).as("no echo on stream 2").isLessThan(deadline);
                    WispWire.Frame f = w.readWithin(20_000);
                    assertThat(f).isNotNull();
                    if (f.type() == WispPacket.DATA && f.streamId() == 2) {
                        echoed.write(f.payload(), WispPacket.HEADER, f.payload().length - WispPacket.HEADER);
                    }
                }
                assertThat(echoed.toByteArray()).isEqualTo(ping);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> g.splices().liveCount() == 0);
        }
    }

    @Test
    void aClientThatStopsReadingPausesTheKernelPathWithoutSpinningAndLosesNothing() throws Exception {
        int size = 32 * 1024 * 1024;
        byte[] content = random(size);
        try (LoopbackServices services = new LoopbackServices(); Gateway g = TestGateways.start(EGRESS)) {
            int source = services.tcpSource(content);
            try (WispWire w = WispWire.v1(g.address())) {
                w.send(connect(1, 1, source, "127.0.0.1"));
                ByteArrayOutputStream got = new ByteArrayOutputStream(size);
                while (got.size() < 1024 * 1024) {
                    readData(w, got);
                }
                assertThat(switches(g, WispRoute.PROTOCOL, "splice")).isGreaterThanOrEqualTo(1);
                // The client stops reading: socket buffers and the pipe fill, and the stream must wait
                // without polling (a paused read that kept epoll reporting would burn a core).
                await().atMost(Duration.ofSeconds(20)).until(() -> ioCpuNanos(Duration.ofMillis(300)) < 30_000_000L);
                long busy = ioCpuNanos(Duration.ofSeconds(1));
                assertThat(busy).as("I/O threads' CPU while the client reads nothing").isLessThan(200_000_000L);
                while (got.size() < size) {
                    readData(w, got);
                }
                assertThat(Arrays.equals(got.toByteArray(), content)).isTrue();
            }
        }
    }

    private static void readData(WispWire w, ByteArrayOutputStream into) throws Exception {
        WispWire.Frame f = w.readWithin(20_000);
        assertThat(f).as("nothing for 20 s at %d bytes", into.size()).isNotNull();
        if (f.type() == WispPacket.DATA && f.streamId() == 1) {
            into.write(f.payload(), WispPacket.HEADER, f.payload().length - WispPacket.HEADER);
        }
    }

    /** Downloads stream 1 from {@code source} to its CLOSE while echoing a message on stream 2 every 64 frames. */
    private static byte[] download(Gateway g, int source, int echo) throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream(SIZE);
        ByteArrayOutputStream echoed = new ByteArrayOutputStream();
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        try (WispWire w = WispWire.v1(g.address())) {
            w.send(connect(2, 1, echo, "127.0.0.1"));
            w.send(connect(1, 1, source, "127.0.0.1"));
            int frames = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            for (;;) {
                assertThat(System.nanoTime()).as("download stuck at %d bytes", got.size()).isLessThan(deadline);
                WispWire.Frame f = w.readWithin(20_000);
                assertThat(f).as("nothing for 20 s at %d bytes", got.size()).isNotNull();
                assertThat(f.opcode()).isEqualTo(WispWire.BINARY);
                int body = f.payload().length - WispPacket.HEADER;
                if (f.type() == WispPacket.DATA && f.streamId() == 1) {
                    assertThat(body).isBetween(1, 64 * 1024);
                    got.write(f.payload(), WispPacket.HEADER, body);
                    if (++frames % 64 == 0) {
                        byte[] m = ("echo " + frames).getBytes(StandardCharsets.US_ASCII);
                        sent.write(m);
                        w.send(data(2, m));
                    }
                } else if (f.type() == WispPacket.DATA && f.streamId() == 2) {
                    echoed.write(f.payload(), WispPacket.HEADER, body);
                } else if (f.type() == WispPacket.CLOSE && f.streamId() == 1) {
                    assertThat(f.payload()[WispPacket.HEADER]).as("closed by the target").isEqualTo((byte) 0x02);
                    break;
                } else {
                    assertThat(f.type()).as("unexpected " + f.hex()).isEqualTo(WispPacket.CONTINUE);
                }
            }
            while (echoed.size() < sent.size()) {
                WispWire.Frame f = w.readWithin(20_000);
                assertThat(f).as("echo missing").isNotNull();
                if (f.type() == WispPacket.DATA && f.streamId() == 2) {
                    echoed.write(f.payload(), WispPacket.HEADER, f.payload().length - WispPacket.HEADER);
                }
            }
            assertThat(echoed.toByteArray()).isEqualTo(sent.toByteArray());
        }
        return got.toByteArray();
    }
}
