package io.isthmus.core.splice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.testing.RandomPayloads;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every case of {@link SpliceTest} with {@code zero-copy = auto} on epoll: the pairs start copying and move
 * to the kernel path mid-stream once a direction carries bulk (the 64 MiB cases), so integrity, half-close,
 * lingering closes and byte counts are checked across the switch. The cases of its own drive a pair through
 * both switches (bulk: to the kernel; ping-pong: back to copying) with every byte checked in order.
 */
class AutoZeroCopySpliceTest extends KernelPathSpliceTest {

    @Override
    String gatewayConfig() {
        // zero-copy = auto is the default; the smallest chunk makes the splice loop yield after every pipe-full.
        return """
                isthmus.logging.access-log = true
                isthmus.transport = epoll
                isthmus.splice.zero-copy-chunk = 64k
                """;
    }

    @Override
    String expectedMode() {
        return Splice.AUTO;
    }

    double switches(String to) {
        var counter = gateway.metrics().registry().find("isthmus.zero.copy.switches").tag("to", to).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void bulkMovesThePairToTheKernelAndPingPongMovesItBackEveryByteInOrder() throws Exception {
        try (Pair p = pair("")) {
            Splice splice = theSplice();
            double toSplice = switches(Splice.SPLICE);
            double toCopy = switches(Splice.COPY);
            long up = 0;
            long down = 0;

            // Small messages copy: never a bulk read.
            up += ZeroCopyAutoTest.pingPong(p.a(), p.b(), 40, 1);
            down += 40 * 64;
            assertThat(splice.splicingInKernel()).isFalse();
            assertThat(switches(Splice.SPLICE)).isEqualTo(toSplice);

            // Bulk A to B: the pair moves to the kernel path while the stream runs.
            up += ZeroCopyAutoTest.bulk(p.a(), p.b(), 24 * MIB, 2, pool);
            assertThat(switches(Splice.SPLICE)).isGreaterThan(toSplice);
            await().atMost(Duration.ofSeconds(5)).until(splice::splicingInKernel);
            assertThat(splice.kernelBytes()).as("most of the bulk went through the kernel").isGreaterThan(12 * MIB);

            // Interactive again: after auto-interactive-turns small turns the pair copies again.
            up += ZeroCopyAutoTest.pingPong(p.a(), p.b(), 40, 3);
            down += 40 * 64;
            assertThat(switches(Splice.COPY)).isGreaterThan(toCopy);
            assertThat(splice.splicingInKernel()).isFalse();
            long kernelBefore = splice.kernelBytes();
            double toSpliceBefore = switches(Splice.SPLICE);

            // Bulk the other way: the kernel path again, a new pipe, every byte in order.
            down += ZeroCopyAutoTest.bulk(p.b(), p.a(), 24 * MIB, 4, pool);
            assertThat(switches(Splice.SPLICE)).isGreaterThan(toSpliceBefore);
            assertThat(splice.kernelBytes() - kernelBefore).isGreaterThan(12 * MIB);

            // The ends still pass both ways (half-close), and the counts are exact.
            up += ZeroCopyAutoTest.pingPong(p.a(), p.b(), 20, 5);
            down += 20 * 64;
            p.a().shutdownOutput();
            assertThat(p.b().readToEof()).isEmpty();
            p.b().send("last words");
            down += 10;
            p.b().shutdownOutput();
            assertThat(new String(p.a().readToEof())).isEqualTo("last words");
            long wantUp = up;
            long wantDown = down;
            assertThat(splice.completion().get(10, TimeUnit.SECONDS).outcome()).isEqualTo("completed");
            assertThat(splice.upstreamBytes()).isEqualTo(wantUp);
            assertThat(splice.downstreamBytes()).isEqualTo(wantDown);
        }
    }

    @Test
    void bothWaysAtOnceThePairSwitchesMidStreamWithoutLosingAByte() throws Exception {
        long size = 48 * MIB;
        try (Pair p = pair("")) {
            Splice splice = theSplice();
            double toSplice = switches(Splice.SPLICE);
            var sentAB = RandomPayloads.send(p.a().out(), size, 21, pool, RandomPayloads.Then.NOTHING);
            var sentBA = RandomPayloads.send(p.b().out(), size + 777, 22, pool, RandomPayloads.Then.NOTHING);
            var gotB = RandomPayloads.receive(p.b().in(), size, pool);
            var gotA = RandomPayloads.receive(p.a().in(), size + 777, pool);
            assertThat(gotB.get(60, TimeUnit.SECONDS).digest()).isEqualTo(sentAB.get(60, TimeUnit.SECONDS).digest());
            assertThat(gotA.get(60, TimeUnit.SECONDS).digest()).isEqualTo(sentBA.get(60, TimeUnit.SECONDS).digest());
            assertThat(switches(Splice.SPLICE)).isGreaterThan(toSplice);
            assertThat(splice.kernelBytes()).as("some copied first, most in the kernel")
                    .isGreaterThan(size).isLessThan(2 * size + 777);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                assertThat(splice.upstreamBytes()).isEqualTo(size);
                assertThat(splice.downstreamBytes()).isEqualTo(size + 777);
            });
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.splices().liveCount() == 0);
    }
}
