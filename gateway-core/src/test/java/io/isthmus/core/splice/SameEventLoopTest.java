package io.isthmus.core.splice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.ProbePairing;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.Epoll;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Joining two clients accepted on different event loops moves the second onto the first one's loop
 * (deregister, register there) — through the epoll workaround handler on epoll — without losing what the
 * second side held or what reached its socket during the move, a FIN included.
 */
class SameEventLoopTest {

    private static final String HEAD = "GET %s HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: probe-pair\r\n\r\n";

    /** On epoll and NIO copying, and on epoll with zero-copy, where held bytes go out before the kernel path starts. */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "nio", "epoll zero-copy"})
    void theSecondSideMovesToTheFirstSidesLoopWithEveryByteAndItsFin(String variant) throws Exception {
        String transport = variant.split(" ")[0];
        boolean zeroCopy = variant.endsWith("zero-copy");
        assumeTrue(!transport.equals("epoll") || Epoll.isAvailable(), "no epoll here");
        // The accept thread hands connections to the loops in turn (accepting on the loops, each on its own
        // SO_REUSEPORT socket, the kernel's hash would decide which pairs straddle two loops).
        try (Gateway gateway = TestGateways.start("isthmus.transport = " + transport + "\nisthmus.event-loop-threads = 2\n"
                + "isthmus.accept-on-io-threads = false\nisthmus.splice.zero-copy = " + zeroCopy + "\n")) {
            int moved = 0;
            for (int round = 0; round < 6; round++) {
                moved += pairAcrossLoops(gateway, round, zeroCopy) ? 1 : 0;
            }
            // Two loops, connections handed out in turn: the two clients of a pair sit on different loops.
            assertThat(moved).as("pairs that started on different loops").isGreaterThan(0);
        }
    }

    /** Returns whether the pair started on two loops; asserts that it ends on one, with every byte. */
    private static boolean pairAcrossLoops(Gateway gateway, int round, boolean zeroCopy) throws Exception {
        String path = "/pair/" + UUID.randomUUID() + (zeroCopy ? "?zerocopy=true" : "");
        byte[] fromB = new byte[256 * 1024 + round];
        new Random(round).nextBytes(fromB);
        try (RawClient a = new RawClient(gateway.address(), 10_000)) {
            // A sends before it is paired: held by A's endpoint.
            a.send(HEAD.formatted(path) + "a-early;");
            await().atMost(Duration.ofSeconds(5)).until(() -> gateway.metrics().registry()
                    .find("isthmus.connections.active").gauge().value() >= 1);
            try (RawClient b = new RawClient(gateway.address(), 10_000)) {
                // B sends its head, a burst and its FIN at once: some of it lands behind the head (held),
                // some arrives while B's channel is between two loops.
                byte[] head = HEAD.formatted(path).getBytes(StandardCharsets.ISO_8859_1);
                byte[] all = new byte[head.length + fromB.length];
                System.arraycopy(head, 0, all, 0, head.length);
                System.arraycopy(fromB, 0, all, head.length, fromB.length);
                b.send(all);
                if (!zeroCopy) {
                    b.shutdownOutput();
                }
                assertThat(a.readHead()).startsWith("HTTP/1.1 101 ");
                assertThat(b.readHead()).startsWith("HTTP/1.1 101 ");

                assertThat(a.readExactly(fromB.length)).isEqualTo(fromB);
                if (zeroCopy) {
                    // An input that ended before the splice opened makes it copy; here the FIN follows the
                    // held bytes through the kernel path instead.
                    b.shutdownOutput();
                }
                assertThat(new String(b.readExactly(8), StandardCharsets.ISO_8859_1)).isEqualTo("a-early;");
                Splice splice = gateway.splices().liveSplices().stream()
                        .filter(s -> s.options().protocol().equals("probe")).findFirst().orElseThrow();
                Channel ca = ((ChannelEndpoint) splice.a()).channel();
                Channel cb = ((ChannelEndpoint) splice.b()).channel();
                assertThat(cb.eventLoop()).as("B's loop after the join").isSameAs(ca.eventLoop());
                assertThat(splice.mode()).isEqualTo(zeroCopy ? Splice.SPLICE : Splice.COPY);
                assertThat(ca.alloc()).isSameAs(gateway.channels().allocator());
                assertThat(cb.alloc()).isSameAs(gateway.channels().allocator());

                // B's FIN reached A (half-close), and A's direction still works.
                assertThat(a.readToEof()).isEmpty();
                a.send("a-late");
                a.shutdownOutput();
                assertThat(new String(b.readToEof(), StandardCharsets.ISO_8859_1)).isEqualTo("a-late");
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.splices().liveCount() == 0);
        List<EventLoop> before = ProbePairing.LOOPS_BEFORE_JOIN.remove(path.split("\\?")[0]);
        return before.get(0) != before.get(1);
    }
}
