package io.isthmus.rawsocket.wisp;

import static io.isthmus.rawsocket.wisp.WispWire.connect;
import static io.isthmus.rawsocket.wisp.WispWire.data;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.mux.MuxStream;
import io.isthmus.core.splice.Splice;
import io.isthmus.core.testing.TestGateways;
import io.micrometer.core.instrument.Counter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A target that stops reading slows only its own stream: the client runs out of CONTINUE credit on it,
 * while another stream on the same WebSocket keeps moving, and what the gateway holds for the stalled
 * stream stays within its window ({@code buffer} packets).
 */
class WispSlowTargetTest {

    @Test
    void aSlowTargetStallsItsStreamOnlyAndMemoryStaysBounded() throws Exception {
        try (LoopbackServices services = new LoopbackServices();
             Gateway g = TestGateways.start("isthmus.plugins.rawsocket.wisp.egress.allow-cidrs = [\"127.0.0.0/8\"]")) {
            int slow = services.tcpSlow();
            int sink = services.tcpSink();
            byte[] packet = new byte[4096];
            try (WispWire w = WispWire.v1(g.address())) {
                w.send(connect(1, 1, slow, "127.0.0.1"));
                w.send(connect(2, 1, sink, "127.0.0.1"));
                long creditSlow = 128;
                long creditFast = 128;
                long sentSlow = 0;
                long sentFast = 0;
                long target = 1500; // 6 MiB through the fast stream
                long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
                while (sentFast < target) {
                    assertThat(System.nanoTime()).as("fast stream stuck at %d packets", sentFast).isLessThan(deadline);
                    while (creditSlow > 0) {
                        w.send(data(1, packet));
                        creditSlow--;
                        sentSlow++;
                    }
                    while (creditFast > 0 && sentFast < target) {
                        w.send(data(2, packet));
                        creditFast--;
                        sentFast++;
                    }
                    if (sentFast == target) {
                        break;
                    }
                    WispWire.Frame f = w.readWithin(5000);
                    assertThat(f).as("no CONTINUE for the fast stream").isNotNull();
                    if (f.type() == 0x03) {
                        long value = Integer.toUnsignedLong(ByteBuffer.wrap(f.payload(), 5, 4).order(ByteOrder.LITTLE_ENDIAN).getInt());
                        if (f.streamId() == 1) {
                            creditSlow = value;
                        } else {
                            creditFast = value;
                        }
                    } else {
                        assertThat(f.type()).as("unexpected " + f.hex()).isEqualTo(0x03);
                    }
                }
                long fastBytes = target * packet.length;
                await().atMost(Duration.ofSeconds(20)).until(() -> services.sunk.get() >= fastBytes);
                // The slow stream got what the target's socket buffers took, then no more credit.
                assertThat(creditSlow).isZero();
                assertThat(sentSlow).isLessThan(target);
                MuxStream stalled = null;
                for (Splice s : g.splices().liveSplices()) {
                    if (s.a() instanceof MuxStream m && m.id() == 1) {
                        stalled = m;
                    }
                }
                assertThat(stalled).isNotNull();
                // Held for the stalled stream: at most one window of packets, although the client (like
                // wisp-js) replaces its credit with each CONTINUE while packets are in flight.
                assertThat(stalled.heldBytes()).isGreaterThan(0).isLessThanOrEqualTo(128L * packet.length);
                assertThat(stalled.state()).isEqualTo(MuxStream.State.OPEN);
                Counter stalls = g.metrics().registry().find("isthmus.wisp.credit.stalls").counter();
                assertThat(stalls.count()).isGreaterThanOrEqualTo(1);
            }
        }
    }
}
