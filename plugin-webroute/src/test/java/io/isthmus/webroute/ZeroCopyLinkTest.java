package io.isthmus.webroute;

import static io.isthmus.webroute.Wire.OK101;
import static io.isthmus.webroute.Wire.park;
import static io.isthmus.webroute.Wire.readAscii;
import static io.isthmus.webroute.Wire.request;
import static io.isthmus.webroute.Wire.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.isthmus.core.Gateway;
import io.isthmus.core.splice.ChannelEndpoint;
import io.isthmus.core.splice.Splice;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.netty.channel.Channel;
import io.netty.channel.epoll.Epoll;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A real WebRoute link asks the splice engine for zero-copy, so the operator's switch alone decides how
 * bytes move: with {@code isthmus.splice.zero-copy} on, a linked pair on epoll splices in the kernel, on
 * one event loop, bytes intact both ways, early bytes first; with it off, the same pair copies; with
 * {@code auto} (the default) it starts copying and its megabytes move it to the kernel path.
 */
class ZeroCopyLinkTest {

    @ParameterizedTest(name = "zero-copy = {0}")
    @ValueSource(strings = {"true", "false", "auto"})
    void theConfigSwitchDecidesHowALinkMovesBytes(String zeroCopy) throws Exception {
        assumeTrue(Epoll.isAvailable(), "zero-copy needs the epoll transport");
        try (Gateway gateway = TestGateways.start("isthmus.transport = epoll\nisthmus.event-loop-threads = 2\n"
                + "isthmus.splice.zero-copy = " + zeroCopy + "\nisthmus.plugins.webroute.link-grace = 0\n")) {
            for (int round = 0; round < 4; round++) {
                byte[] up = new byte[3 * 1024 * 1024 + round];
                byte[] down = new byte[1024 * 1024 + 7 * round];
                new Random(round).nextBytes(up);
                new Random(~round).nextBytes(down);
                String name = "zc" + zeroCopy + round;
                try (RawClient a = park(gateway, request(name) + "early-a;");
                     RawClient b = send(gateway, request(name))) {
                    assertThat(readAscii(a, 127)).isEqualTo(OK101);
                    assertThat(readAscii(b, 127)).isEqualTo(OK101);
                    assertThat(readAscii(b, 8)).isEqualTo("early-a;");
                    Splice splice = gateway.splices().liveSplices().get(0);
                    assertThat(splice.mode()).isEqualTo(switch (zeroCopy) {
                        case "true" -> Splice.SPLICE;
                        case "auto" -> Splice.AUTO;
                        default -> Splice.COPY;
                    });
                    Channel ca = ((ChannelEndpoint) splice.a()).channel();
                    Channel cb = ((ChannelEndpoint) splice.b()).channel();
                    assertThat(cb.eventLoop()).as("both sides on one loop").isSameAs(ca.eventLoop());

                    Thread writer = new Thread(() -> {
                        try {
                            a.send(up);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    writer.start();
                    b.send(down);
                    assertThat(b.readExactly(up.length)).isEqualTo(up);
                    assertThat(a.readExactly(down.length)).isEqualTo(down);
                    writer.join(10_000);
                    // A side counts its bytes when the write completes, which may be just after the peer read them.
                    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                        assertThat(splice.upstreamBytes()).isEqualTo(8L + up.length);
                        assertThat(splice.downstreamBytes()).isEqualTo(down.length);
                    });
                    if (zeroCopy.equals("auto")) {
                        var switches = gateway.metrics().registry().find("isthmus.zero.copy.switches")
                                .tag("to", Splice.SPLICE).counter();
                        assertThat(switches).as("3 MiB is bulk: the link moved to the kernel path").isNotNull();
                        assertThat(switches.count()).isEqualTo(round + 1);
                    }
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> gateway.splices().liveCount() == 0);
            }
        }
    }
}
