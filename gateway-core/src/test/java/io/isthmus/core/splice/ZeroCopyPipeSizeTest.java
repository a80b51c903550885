package io.isthmus.core.splice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.ProbePairs;
import io.isthmus.core.testing.RandomPayloads;
import io.isthmus.core.testing.TestGateways;
import io.netty.channel.epoll.Epoll;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The kernel path's pipes as configured: a direction that carries bulk has its pipe grown to
 * {@code pipe-size} (the shipped 1m), or kept at the kernel's 64 KiB once {@code pipe-budget} is spent or
 * when {@code pipe-size} asks for nothing; an interactive direction's pipe never grows. Whichever pipe a
 * direction gets, every byte arrives in order, and closing the pair gives the budget back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ZeroCopyPipeSizeTest {

    private static final long SIZE = 16L << 20;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeAll
    void epoll() {
        assumeTrue(Epoll.isAvailable(), "zero-copy needs the epoll transport");
    }

    @AfterAll
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void theShippedPipeSizeGrowsBothDirectionsPipes() throws Exception {
        try (Gateway gateway = zeroCopyGateway("")) {
            relayBothWays(gateway);
            assertThat(growths(gateway, "enlarged")).isEqualTo(2);
            await().atMost(Duration.ofSeconds(5)).until(() -> enlargedBytes(gateway) == 0);
        }
    }

    @Test
    void pipesPastTheBudgetKeepTheKernelSizeAndMoveEveryByte() throws Exception {
        try (Gateway gateway = zeroCopyGateway("isthmus.splice.pipe-budget = 1m\n")) {
            relayBothWays(gateway);
            assertThat(growths(gateway, "enlarged")).isEqualTo(1);
            assertThat(growths(gateway, "budget-spent")).isEqualTo(1);
        }
    }

    @Test
    void theKernelsOwnSizeAsksForNothing() throws Exception {
        try (Gateway gateway = zeroCopyGateway("isthmus.splice.pipe-size = 64k\n")) {
            relayBothWays(gateway);
            assertThat(pipesMade(gateway)).isEqualTo(2);
            assertThat(growths(gateway, "enlarged") + growths(gateway, "budget-spent") + growths(gateway, "refused")).isZero();
        }
    }

    @Test
    void smallMessagesNeverGrowAPipe() throws Exception {
        try (Gateway gateway = zeroCopyGateway("")) {
            try (ProbePairs.Linked pair = ProbePairs.link(gateway, "?zerocopy=true")) {
                await().atMost(Duration.ofSeconds(5)).until(() -> pair.splice().splicingInKernel());
                for (int i = 0; i < 20; i++) {
                    pair.a().send("ping " + i + "\n");
                    assertThat(new String(pair.b().readExactly(("ping " + i + "\n").length()), StandardCharsets.US_ASCII))
                            .isEqualTo("ping " + i + "\n");
                    pair.b().send("pong " + i + "\n");
                    assertThat(new String(pair.a().readExactly(("pong " + i + "\n").length()), StandardCharsets.US_ASCII))
                            .isEqualTo("pong " + i + "\n");
                }
                assertThat(pipesMade(gateway)).isEqualTo(2);
                assertThat(growths(gateway, "enlarged")).isZero();
                assertThat(enlargedBytes(gateway)).isZero();
            }
        }
    }

    private static Gateway zeroCopyGateway(String extra) {
        return TestGateways.start("isthmus.transport = epoll\nisthmus.splice.zero-copy = true\n" + extra);
    }

    /** SIZE bytes each way at once, compared by digest, then both sides end. */
    private void relayBothWays(Gateway gateway) throws Exception {
        try (ProbePairs.Linked pair = ProbePairs.link(gateway, "?zerocopy=true")) {
            await().atMost(Duration.ofSeconds(5)).until(() -> pair.splice().splicingInKernel());
            var sentAB = RandomPayloads.send(pair.a().out(), SIZE, 31, pool, pair.a()::shutdownOutput);
            var sentBA = RandomPayloads.send(pair.b().out(), SIZE, 32, pool, pair.b()::shutdownOutput);
            var gotB = RandomPayloads.receive(pair.b().in(), Long.MAX_VALUE, pool);
            var gotA = RandomPayloads.receive(pair.a().in(), Long.MAX_VALUE, pool);
            assertSame(gotB.get(60, TimeUnit.SECONDS), sentAB.get(60, TimeUnit.SECONDS));
            assertSame(gotA.get(60, TimeUnit.SECONDS), sentBA.get(60, TimeUnit.SECONDS));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.splices().liveCount() == 0);
    }

    private static void assertSame(RandomPayloads.Digest got, RandomPayloads.Digest sent) {
        assertThat(got.bytes()).isEqualTo(sent.bytes());
        assertThat(got.digest()).isEqualTo(sent.digest());
    }

    private static double pipesMade(Gateway gateway) {
        return gateway.metrics().registry().get("isthmus.splice.pipes").counter().count();
    }

    private static double growths(Gateway gateway, String outcome) {
        var counter = gateway.metrics().registry().find("isthmus.splice.pipe.growths").tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    private static double enlargedBytes(Gateway gateway) {
        return gateway.metrics().registry().get("isthmus.splice.pipe.enlarged").gauge().value();
    }
}
