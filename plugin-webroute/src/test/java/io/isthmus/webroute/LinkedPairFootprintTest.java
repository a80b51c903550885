package io.isthmus.webroute;

import static io.isthmus.webroute.Wire.OK101;
import static io.isthmus.webroute.Wire.park;
import static io.isthmus.webroute.Wire.readAscii;
import static io.isthmus.webroute.Wire.request;
import static io.isthmus.webroute.Wire.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.splice.ChannelEndpoint;
import io.isthmus.core.splice.Splice;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.netty.channel.Channel;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Once linked, a pair keeps nothing of its wait: the waiter watch leaves both pipelines (with it the
 * waiter, its request and its cancelled deadline become garbage), which is about a quarter of the heap an
 * idle linked pair costs (docs/BENCHMARKS.md, idle pairs). The link still ends cleanly when a side closes.
 */
class LinkedPairFootprintTest {

    @Test
    void aLinkedPairsPipelinesHoldOnlyTheSplice() throws Exception {
        try (Gateway gateway = TestGateways.start("isthmus.event-loop-threads = 2\n")) {
            try (RawClient a = park(gateway, request("footprint")); RawClient b = send(gateway, request("footprint"))) {
                assertThat(readAscii(a, 127)).isEqualTo(OK101);
                assertThat(readAscii(b, 127)).isEqualTo(OK101);
                a.send("ping");
                assertThat(readAscii(b, 4)).isEqualTo("ping");
                Splice splice = gateway.splices().liveSplices().get(0);
                for (Channel ch : new Channel[] {((ChannelEndpoint) splice.a()).channel(), ((ChannelEndpoint) splice.b()).channel()}) {
                    await().atMost(Duration.ofSeconds(5)).until(() -> ch.pipeline().get("webroute-waiter-watch") == null);
                    assertThat(ch.pipeline().get(ChannelEndpoint.HANDLER_NAME)).isNotNull();
                }
                b.close();
                assertThat(a.readToEof()).isEmpty();
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> gateway.splices().liveCount() == 0);
            assertThat(Wire.waiting(gateway)).isZero();
        }
    }
}
