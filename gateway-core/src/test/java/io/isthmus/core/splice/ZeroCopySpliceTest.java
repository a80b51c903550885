package io.isthmus.core.splice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.testing.RandomPayloads;
import io.netty.channel.Channel;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every case of {@link SpliceTest} again, with both sides moving bytes through a kernel pipe: integrity both
 * ways with half-close, bytes pending at a close, idle timeout, resets, a slow reader, live byte counts.
 * Each pair must really have used the kernel path ({@code isthmus_splices_total{mode="splice"}}).
 *
 * <p>The smallest {@code zero-copy-chunk} makes the splice loop yield after every pipe-full, so these cases
 * also cover its turn-taking (the shipped default is covered by plugin-webroute's {@code ZeroCopyLinkTest}).
 *
 * <p>The cases of its own check that the splice loop, not Netty, moves the bytes (the channels are
 * deregistered while it does, and {@link Splice#kernelBytes()} counts them), that it stops reading when the
 * target is full and never spins, and that every way out (FIN, reset, abort, idle) hands the link back to
 * Netty without losing a byte, closing both channels properly and leaving no pipe open.
 */
class ZeroCopySpliceTest extends KernelPathSpliceTest {

    @Override
    String gatewayConfig() {
        return """
                isthmus.logging.access-log = true
                isthmus.transport = epoll
                isthmus.splice.zero-copy = true
                isthmus.splice.max-read-size = 64k
                isthmus.splice.zero-copy-chunk = 64k
                """;
    }

    @Override
    String expectedMode() {
        return Splice.SPLICE;
    }

    /** The live splice once its kernel path is set up (bytes sent earlier may be held and copied). */
    private Splice splicingInKernel() {
        Splice splice = theSplice();
        await().atMost(Duration.ofSeconds(5)).until(splice::splicingInKernel);
        return splice;
    }

    private static Channel channelA(Splice splice) {
        return ((ChannelEndpoint) splice.a()).channel();
    }

    private static Channel channelB(Splice splice) {
        return ((ChannelEndpoint) splice.b()).channel();
    }

    @Test
    void bothWaysAtOnceEveryByteMovesInTheKernelAndIsCounted() throws Exception {
        long size = 64 * MIB;
        try (Pair p = pair("")) {
            Splice splice = splicingInKernel();
            var sentAB = RandomPayloads.send(p.a().out(), size, 11, pool, RandomPayloads.Then.NOTHING);
            var sentBA = RandomPayloads.send(p.b().out(), size + 4321, 12, pool, RandomPayloads.Then.NOTHING);
            var gotB = RandomPayloads.receive(p.b().in(), size, pool);
            var gotA = RandomPayloads.receive(p.a().in(), size + 4321, pool);
            assertThat(gotB.get(60, TimeUnit.SECONDS).digest()).isEqualTo(sentAB.get(60, TimeUnit.SECONDS).digest());
            assertThat(gotA.get(60, TimeUnit.SECONDS).digest()).isEqualTo(sentBA.get(60, TimeUnit.SECONDS).digest());

            assertThat(splice.mode()).isEqualTo(Splice.SPLICE);
            assertThat(splice.splicingInKernel()).as("still on the kernel path: nothing ended").isTrue();
            assertThat(channelA(splice).isRegistered()).as("A's channel left Netty's loop").isFalse();
            assertThat(channelB(splice).isRegistered()).as("B's channel left Netty's loop").isFalse();
            assertThat(splice.kernelBytes()).as("bytes moved by the splice loop").isEqualTo(2 * size + 4321);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(splice.upstreamBytes()).isEqualTo(size));
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(splice.downstreamBytes()).isEqualTo(size + 4321));

            // The ends still go through: each FIN is handed back to Netty and passed on.
            p.a().shutdownOutput();
            assertThat(p.b().readToEof()).isEmpty();
            assertThat(splice.splicingInKernel()).as("handed back at the FIN").isFalse();
            assertThat(channelA(splice).isRegistered()).as("A's channel is Netty's again").isTrue();
            assertThat(channelB(splice).isRegistered()).as("B's channel is Netty's again").isTrue();
            p.b().send("last words");
            p.b().shutdownOutput();
            assertThat(new String(p.a().readToEof())).isEqualTo("last words");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.splices().liveCount() == 0);
    }

    @Test
    void aPairStreamingFromItsFirstByteStillGetsOntoTheKernelPath() throws Exception {
        long size = 16 * MIB;
        try (Pair p = pair("")) {
            // Bytes arrive while the splice opens and sets up: early ones are copied, then reading pauses
            // until the kernel path takes over, and nothing is read into buffers meanwhile.
            var sent = RandomPayloads.send(p.b().out(), size, 19, pool, RandomPayloads.Then.NOTHING);
            var got = RandomPayloads.receive(p.a().in(), size, pool);
            Splice splice = splicingInKernel();
            assertThat(got.get(60, TimeUnit.SECONDS).digest()).isEqualTo(sent.get(60, TimeUnit.SECONDS).digest());
            assertThat(splice.splicingInKernel()).isTrue();
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(splice.downstreamBytes()).isEqualTo(size));
            assertThat(splice.kernelBytes()).as("most bytes went through the kernel").isGreaterThan(size / 2);
        }
    }

    @Test
    void aStalledReaderStopsTheLoopReadingWithoutSpinningAndItResumes() throws Exception {
        try (Pair p = pair("")) {
            p.b().socket().setReceiveBufferSize(64 * 1024);
            Splice splice = splicingInKernel();
            long want = 128 * MIB;
            var writer = RandomPayloads.send(p.a().out(), want, 13, pool, RandomPayloads.Then.NOTHING);
            await().atMost(Duration.ofSeconds(10)).until(() -> splice.kernelBytes() > 0);
            long stalledAt = awaitStalled(splice);
            assertThat(writer.isDone()).as("the writer must be blocked by back-pressure").isFalse();
            assertThat(stalledAt).as("what the gateway took from A while B reads nothing").isLessThan(32 * MIB);
            assertThat(splice.splicingInKernel()).isTrue();

            var got = RandomPayloads.receive(p.b().in(), want, pool);
            assertThat(got.get(60, TimeUnit.SECONDS).digest()).isEqualTo(writer.get(60, TimeUnit.SECONDS).digest());
            assertThat(splice.kernelBytes()).isEqualTo(want);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(splice.upstreamBytes()).isEqualTo(want));
        }
    }

    @Test
    void aFinWhileTheReaderStallsIsPassedOnAfterEveryByteWithoutSpinning() throws Exception {
        try (Pair p = pair("")) {
            p.b().socket().setReceiveBufferSize(64 * 1024);
            long want = 24 * MIB;
            var writer = RandomPayloads.send(p.a().out(), want, 14, pool, p.a()::shutdownOutput);
            Splice splice = theSplice();
            awaitStalled(splice);
            var got = RandomPayloads.receive(p.b().in(), Long.MAX_VALUE, pool);
            assertThat(got.get(60, TimeUnit.SECONDS).bytes()).as("bytes up to B's EOF").isEqualTo(want);
            assertThat(got.get().digest()).isEqualTo(writer.get(60, TimeUnit.SECONDS).digest());
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(splice.upstreamBytes()).isEqualTo(want));
            p.b().shutdownOutput();
            assertThat(p.a().readToEof()).isEmpty();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.splices().liveCount() == 0);
    }

    @Test
    void aHalfCloseMidStreamPassesTheFinWhileTheOtherWayKeepsFlowing() throws Exception {
        long fromA = 8 * MIB;
        long fromB = 32 * MIB;
        try (Pair p = pair("")) {
            Splice splice = theSplice();
            var sentAB = RandomPayloads.send(p.a().out(), fromA, 15, pool, p.a()::shutdownOutput);
            var gotB = RandomPayloads.receive(p.b().in(), Long.MAX_VALUE, pool);
            // B sends half, then waits for A's FIN to arrive, then sends the rest after it.
            var sentBA = RandomPayloads.send(p.b().out(), fromB, 16, pool, fromB / 2,
                    () -> join(gotB), p.b()::shutdownOutput);
            var gotA = RandomPayloads.receive(p.a().in(), Long.MAX_VALUE, pool);
            assertThat(gotB.get(60, TimeUnit.SECONDS).bytes()).isEqualTo(fromA);
            assertThat(gotB.get().digest()).isEqualTo(sentAB.get(60, TimeUnit.SECONDS).digest());
            assertThat(gotA.get(60, TimeUnit.SECONDS).bytes()).isEqualTo(fromB);
            assertThat(gotA.get().digest()).isEqualTo(sentBA.get(60, TimeUnit.SECONDS).digest());
            assertThat(splice.kernelBytes()).as("the part before the FIN went through the kernel").isPositive();
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(splice.upstreamBytes()).isEqualTo(fromA));
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(splice.downstreamBytes()).isEqualTo(fromB));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.splices().liveCount() == 0);
    }

    @Test
    void aResetMidStreamClosesTheOtherSideAndFreesThePipes() throws Exception {
        int pipesBefore = openPipes();
        Splice splice;
        try (Pair p = pair("")) {
            var writer = RandomPayloads.send(p.a().out(), 1024 * MIB, 17, pool, RandomPayloads.Then.NOTHING);
            splice = theSplice();
            var got = RandomPayloads.receive(p.b().in(), 2 * MIB, pool);
            got.get(10, TimeUnit.SECONDS);
            assertThat(splice.splicingInKernel()).isTrue();
            p.a().reset();
            var rest = RandomPayloads.receive(p.b().in(), Long.MAX_VALUE, pool);
            assertThat(rest.handle((digest, failure) -> true).get(10, TimeUnit.SECONDS)).as("B's stream ended").isTrue();
            writer.handle((digest, failure) -> true).get(10, TimeUnit.SECONDS);
        }
        assertThat(splice.completion().get(5, TimeUnit.SECONDS).outcome()).isEqualTo("reset");
        assertTornDown(splice, pipesBefore);
    }

    @Test
    void anAbortWhileSplicingClosesBothProperlyAndFreesThePipes() throws Exception {
        int pipesBefore = openPipes();
        Splice splice;
        try (Pair p = pair("")) {
            var writer = RandomPayloads.send(p.a().out(), 1024 * MIB, 18, pool, RandomPayloads.Then.NOTHING);
            var reader = RandomPayloads.receive(p.b().in(), Long.MAX_VALUE, pool);
            splice = theSplice();
            await().atMost(Duration.ofSeconds(10)).until(() -> splice.kernelBytes() > 4 * MIB);
            assertThat(splice.splicingInKernel()).isTrue();
            splice.abort();
            assertThat(reader.handle((digest, failure) -> true).get(10, TimeUnit.SECONDS)).as("B's stream ended").isTrue();
            assertThat(writer.handle((digest, failure) -> true).get(10, TimeUnit.SECONDS)).as("A's stream ended").isTrue();
        }
        assertThat(splice.completion().get(5, TimeUnit.SECONDS).outcome()).isEqualTo("aborted");
        assertTornDown(splice, pipesBefore);
    }

    @Test
    void anIdleTimeoutWhileSplicingClosesBothProperly() throws Exception {
        int pipesBefore = openPipes();
        Splice splice;
        try (Pair p = pair("idle=300")) {
            splice = splicingInKernel();
            p.a().send("ping");
            assertThat(new String(p.b().readExactly(4))).isEqualTo("ping");
            p.b().send("pong");
            assertThat(new String(p.a().readExactly(4))).isEqualTo("pong");
            assertThat(splice.splicingInKernel()).isTrue();
            assertThat(splice.kernelBytes()).isEqualTo(8);
            assertThat(p.a().readToEof()).isEmpty();
            assertThat(p.b().readToEof()).isEmpty();
        }
        assertThat(splice.completion().get(5, TimeUnit.SECONDS).outcome()).isEqualTo("idle");
        assertTornDown(splice, pipesBefore);
    }

    /** Both channels closed through their pipelines (so the endpoint handler is gone), no pipe left. */
    private void assertTornDown(Splice splice, int pipesBefore) {
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            for (Channel ch : new Channel[] {channelA(splice), channelB(splice)}) {
                assertThat(ch.isOpen()).isFalse();
                assertThat(ch.pipeline().get(ChannelEndpoint.HANDLER_NAME)).as("pipeline torn down").isNull();
            }
            assertThat(openPipes()).isLessThanOrEqualTo(pipesBefore);
            assertThat(gateway.splices().liveCount()).isZero();
        });
    }

    /**
     * Waits until the splice's upstream count stops moving for 300 ms and returns it; asserts that the
     * event loop spent little CPU meanwhile (a level-triggered event firing forever would use all of it).
     */
    private long awaitStalled(Splice splice) throws Exception {
        long[] last = {-1};
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
            long now = splice.upstreamBytes();
            boolean same = now == last[0];
            last[0] = now;
            return same;
        });
        long loopThread = channelA(splice).eventLoop().submit(() -> Thread.currentThread().getId()).get();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpuBefore = threads.getThreadCpuTime(loopThread);
        long stalledAt = splice.upstreamBytes();
        long start = System.nanoTime();
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> splice.upstreamBytes() == stalledAt);
        long wall = System.nanoTime() - start;
        long cpu = threads.getThreadCpuTime(loopThread) - cpuBefore;
        assertThat(cpu).as("event loop CPU ns while stalled for %d ns", wall).isLessThan(wall / 5);
        return stalledAt;
    }

    private static int openPipes() throws IOException {
        File[] fds = new File("/proc/self/fd").listFiles();
        int pipes = 0;
        for (File fd : fds == null ? new File[0] : fds) {
            try {
                if (Files.readSymbolicLink(fd.toPath()).toString().startsWith("pipe:")) {
                    pipes++;
                }
            } catch (IOException closedMeanwhile) {
                // The listing's own descriptor, or one closed since.
            }
        }
        return pipes;
    }

    private static void join(CompletableFuture<?> f) throws IOException {
        try {
            f.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IOException(e);
        }
    }
}
