package io.isthmus.rawsocket.wisp;

import static io.isthmus.rawsocket.wisp.WispWire.ascii;
import static io.isthmus.rawsocket.wisp.WispWire.connect;
import static io.isthmus.rawsocket.wisp.WispWire.data;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.TestGateways;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** At the gateway's drain a Wisp session refuses new streams (0x49), keeps its open ones, and closes (1001) with the last. */
class WispDrainTest {

    @Test
    void drainRefusesNewStreamsAndClosesWithTheLastOne() throws Exception {
        try (LoopbackServices services = new LoopbackServices();
             Gateway g = TestGateways.start("""
                     isthmus.shutdown.drain-timeout = 20s
                     isthmus.plugins.rawsocket.wisp.egress.allow-cidrs = ["127.0.0.0/8"]
                     """)) {
            int echo = services.tcpEcho();
            try (WispWire w = WispWire.v1(g.address())) {
                w.send(connect(1, 1, echo, "127.0.0.1"));
                w.send(data(1, "a".getBytes()));
                assertThat(w.read().hex()).isEqualTo("0201000000" + ascii("a"));
                Thread shutdown = new Thread(() -> g.shutdown(Duration.ofSeconds(20)));
                shutdown.start();
                await().atMost(Duration.ofSeconds(5)).until(() -> !g.isReady());
                // New CONNECTs are refused once the drain reached the plugin (earlier ones may still open).
                List<Integer> opened = new ArrayList<>();
                WispWire.Frame refusal = null;
                for (int id = 2; id < 60 && refusal == null; id++) {
                    w.send(connect(id, 1, echo, "127.0.0.1"));
                    refusal = w.readWithin(200);
                    if (refusal == null) {
                        opened.add(id);
                    }
                }
                assertThat(refusal).isNotNull();
                assertThat(refusal.type()).isEqualTo(0x04);
                assertThat(refusal.body()).containsExactly(0x49);
                // The open stream still works.
                w.send(data(1, "b".getBytes()));
                assertThat(w.read().hex()).isEqualTo("0201000000" + ascii("b"));
                w.send(WispWire.close(1, 0x02));
                for (int id : opened) {
                    w.send(WispWire.close(id, 0x02));
                }
                WispWire.Frame close = w.read();
                assertThat(close.opcode()).isEqualTo(WispWire.CLOSE);
                assertThat(((close.payload()[0] & 0xff) << 8) | (close.payload()[1] & 0xff)).isEqualTo(1001);
                shutdown.join(25_000);
            }
        }
    }
}
