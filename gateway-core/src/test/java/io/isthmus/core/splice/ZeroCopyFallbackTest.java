package io.isthmus.core.splice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.ProbePairing;
import io.isthmus.core.testing.ProbePairs;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.netty.channel.epoll.Epoll;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Zero-copy is asked for but cannot or may not be used: the splice copies, says so in {@link Splice#mode()}
 * and in {@code isthmus_splices_total{mode}}, counts the reason in {@code isthmus_zero_copy_fallbacks_total},
 * and moves every byte.
 */
class ZeroCopyFallbackTest {

    @Test
    void theNioTransportCopies() throws Exception {
        try (Gateway gateway = TestGateways.start("isthmus.transport = nio\nisthmus.splice.zero-copy = true\n")) {
            assertCopiesIntact(gateway);
            assertThat(fallbacks(gateway, "not-epoll")).isEqualTo(1);
        }
    }

    @Test
    void twoEventLoopsCopyWhenTheSecondSideMayNotMove() throws Exception {
        assumeTrue(Epoll.isAvailable(), "no epoll here");
        try (Gateway gateway = TestGateways.start("""
                isthmus.transport = epoll
                isthmus.event-loop-threads = 2
                isthmus.splice.zero-copy = true
                isthmus.splice.same-event-loop = false
                isthmus.accept-on-io-threads = false
                """)) {
            // The accept thread hands connections to the two loops in turn: one pair sits on both. (Accepting
            // on the loops, each on its own SO_REUSEPORT socket, the kernel's hash would decide.)
            assertCopiesIntact(gateway);
            assertThat(fallbacks(gateway, "cross-loop")).isEqualTo(1);
        }
    }

    @Test
    void theGatewaySwitchOverridesThePlugin() throws Exception {
        assumeTrue(Epoll.isAvailable(), "no epoll here");
        try (Gateway gateway = TestGateways.start("isthmus.transport = epoll\nisthmus.splice.zero-copy = false\n")) {
            assertCopiesIntact(gateway);
            assertThat(gateway.metrics().registry().find("isthmus.zero.copy.fallbacks").counter())
                    .as("not asked for, so not a fallback").isNull();
        }
    }

    @Test
    void aSideThatTakesNothingDuringSetUpLeavesThePairCopyingSoTheOtherWayFlows() throws Exception {
        assumeTrue(Epoll.isAvailable(), "no epoll here");
        String query = "?zerocopy=true&hold=" + (16 << 20);
        String path = "/pair/" + UUID.randomUUID();
        byte[] early = new byte[8 << 20];
        new Random(9).nextBytes(early);
        try (Gateway gateway = TestGateways.start("isthmus.transport = epoll\nisthmus.splice.zero-copy = true\n");
             RawClient a = new RawClient(gateway.address(), 10_000);
             Socket b = new Socket()) {
            // A waits with more early bytes than the gateway's socket buffers take...
            a.send(ProbePairs.HEAD.formatted(path + query));
            a.send(early);
            await().atMost(Duration.ofSeconds(10)).until(() -> ProbePairing.heldFor(path) == early.length);
            // ...and B, behind a small window, reads nothing: they cannot all be flushed to it.
            b.setReceiveBufferSize(4096);
            b.setSoTimeout(10_000);
            b.connect(gateway.address());
            b.getOutputStream().write(ProbePairs.HEAD.formatted(path + query).getBytes(StandardCharsets.US_ASCII));
            assertThat(a.readHead()).startsWith("HTTP/1.1 101 ");
            // Once the set-up gives up, B is read again (B's bytes may also have been read before the set-up paused
            // it: then they wait in the gateway's queue towards A, which the set-up flushes, until the same give-up).
            b.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(a.readExactly(4), StandardCharsets.US_ASCII)).isEqualTo("ping");
            await().atMost(Duration.ofSeconds(5)).until(() -> fallbacks(gateway, "setup-timeout") == 1);
            assertThat(RawClient.readHeadFrom(b.getInputStream())).startsWith("HTTP/1.1 101 ");
            assertThat(b.getInputStream().readNBytes(early.length)).isEqualTo(early);
        }
    }

    private static double fallbacks(Gateway gateway, String reason) {
        var counter = gateway.metrics().registry().find("isthmus.zero.copy.fallbacks").tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    private static void assertCopiesIntact(Gateway gateway) throws Exception {
        byte[] payload = new byte[2 * 1024 * 1024];
        new Random(5).nextBytes(payload);
        try (ProbePairs.Linked pair = ProbePairs.link(gateway, "?zerocopy=true")) {
            RawClient a = pair.a();
            RawClient b = pair.b();
            assertThat(pair.splice().mode()).isEqualTo(Splice.COPY);
            a.send(payload);
            a.shutdownOutput();
            assertThat(b.readExactly(payload.length)).isEqualTo(payload);
            assertThat(b.readToEof()).isEmpty();
            b.send("done");
            b.shutdownOutput();
            assertThat(new String(a.readToEof(), StandardCharsets.ISO_8859_1)).isEqualTo("done");
        }
        assertThat(gateway.metrics().registry().find("isthmus.splices").tag("mode", Splice.COPY).counter().count()).isEqualTo(1);
        assertThat(gateway.metrics().registry().find("isthmus.splices").tag("mode", Splice.SPLICE).counter()).isNull();
    }
}
