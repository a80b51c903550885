package io.isthmus.core.splice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RandomPayloads;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import java.io.IOException;
import java.time.Duration;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The splice engine between two real loopback clients, joined by the core tests' probe plugin
 * ({@code Upgrade: probe-pair}): integrity, back-pressure, half-close, idle timeout and resets. Subclasses
 * run the same cases on another transport or in zero-copy mode.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpliceTest {

    Gateway gateway;
    static ExecutorService pool = Executors.newCachedThreadPool();

    /** HOCON for this class's gateway. */
    String gatewayConfig() {
        return "isthmus.logging.access-log = true";
    }

    /** Query parameters every pair asks for, besides a test's own. */
    String pairQuery() {
        return "";
    }

    /** The mode every pair's splice must use. */
    String expectedMode() {
        return Splice.COPY;
    }

    @BeforeAll
    void start() {
        gateway = TestGateways.start(gatewayConfig());
    }

    @AfterAll
    void stop() {
        // Null when a subclass's @BeforeAll assumption skipped the class (no io_uring or epoll here).
        if (gateway != null) {
            gateway.close();
        }
    }

    /** Two clients on one probe pair, both past their 101. */
    record Pair(RawClient a, RawClient b) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            a.close();
            b.close();
        }
    }

    double splicesIn(String mode) {
        var counter = gateway.metrics().registry().find("isthmus.splices").tag("mode", mode).counter();
        return counter == null ? 0 : counter.count();
    }

    Pair pair(String query) throws IOException {
        String all = String.join("&", java.util.stream.Stream.of(query, pairQuery()).filter(q -> !q.isEmpty()).toList());
        String path = "/pair/" + UUID.randomUUID() + (all.isEmpty() ? "" : "?" + all);
        double before = splicesIn(expectedMode());
        String head = "GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: probe-pair\r\n\r\n";
        RawClient a = new RawClient(gateway.address(), 30_000);
        a.send(head);
        // The first client waits silently until the second arrives.
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.metrics().registry()
                .find("isthmus.connections.active").gauge().value() >= 1);
        RawClient b = new RawClient(gateway.address(), 30_000);
        b.send(head);
        assertThat(a.readHead()).startsWith("HTTP/1.1 101 ");
        assertThat(b.readHead()).startsWith("HTTP/1.1 101 ");
        // Polled tightly: the idle-timeout cases time from here.
        await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).atMost(Duration.ofSeconds(5))
                .until(() -> splicesIn(expectedMode()) > before);
        return new Pair(a, b);
    }

    @Test
    void randomPayloadsBothWaysArriveIntactWithHalfClose() throws Exception {
        long size = 64L * 1024 * 1024;
        try (Pair p = pair("")) {
            var sentAB = RandomPayloads.send(p.a().out(), size, 1, pool, p.a()::shutdownOutput);
            var sentBA = RandomPayloads.send(p.b().out(), size + 12345, 2, pool, p.b()::shutdownOutput);
            var gotB = RandomPayloads.receive(p.b().in(), Long.MAX_VALUE, pool).get(60, TimeUnit.SECONDS);
            var gotA = RandomPayloads.receive(p.a().in(), Long.MAX_VALUE, pool).get(60, TimeUnit.SECONDS);
            assertThat(gotB.bytes()).as("bytes at B").isEqualTo(size);
            assertThat(gotA.bytes()).as("bytes at A").isEqualTo(size + 12345);
            assertThat(gotB.digest()).isEqualTo(sentAB.get(60, TimeUnit.SECONDS).digest());
            assertThat(gotA.digest()).isEqualTo(sentBA.get(60, TimeUnit.SECONDS).digest());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.splices().liveCount() == 0);
    }

    @Test
    void halfCloseLetsTheOtherDirectionFinish() throws Exception {
        try (Pair p = pair("")) {
            p.a().send("request");
            p.a().shutdownOutput();
            assertThat(new String(p.b().readToEof())).isEqualTo("request");
            // A's input is still open: B can still answer after A's FIN.
            p.b().send("response after the FIN");
            p.b().shutdownOutput();
            assertThat(new String(p.a().readToEof())).isEqualTo("response after the FIN");
        }
    }

    @Test
    void withoutHalfCloseTheFirstEndClosesBothAfterFlushing() throws Exception {
        try (Pair p = pair("halfclose=false")) {
            p.a().send("bye");
            p.a().shutdownOutput();
            assertThat(new String(p.b().readToEof())).isEqualTo("bye");
            assertThat(p.a().isClosedByPeer()).isTrue();
        }
    }

    /**
     * Issue #10 point 1: A sends 4 MiB and half-closes while B is still sending to A and reads at a modest
     * pace. Whatever the half-close setting, every byte A sent reaches B (checksummed) followed by a clean
     * EOF, never a reset, and the byte count says what was delivered.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "half-close {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void everyByteSentBeforeAnEndArrivesWhileTheOtherSideStillSends(boolean halfClose) throws Exception {
        long size = 4L * 1024 * 1024;
        var up = gateway.metrics().registry().find("isthmus.spliced").tag("protocol", "probe").tag("direction", "upstream");
        try (Pair p = pair(halfClose ? "" : "halfclose=false")) {
            double before = up.counter() == null ? 0 : up.counter().count();
            p.b().socket().setReceiveBufferSize(64 * 1024);
            java.util.concurrent.atomic.AtomicBoolean bDone = new java.util.concurrent.atomic.AtomicBoolean();
            // B keeps sending until it has read A's end (bounded: 256 MiB or 30 s), then ends its own output.
            var bWriter = java.util.concurrent.CompletableFuture.runAsync(() -> {
                byte[] chunk = new byte[16 * 1024];
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                try {
                    for (int i = 0; i < 16 * 1024 && !bDone.get() && System.nanoTime() < deadline; i++) {
                        p.b().out().write(chunk);
                    }
                    p.b().shutdownOutput();
                } catch (IOException closedByGateway) {
                    // Without half-close the gateway may end B's pair while B still writes.
                }
            }, pool);
            // A drains whatever B sends, until its EOF (or the close of a pair without half-close).
            var aReader = RandomPayloads.receive(p.a().in(), Long.MAX_VALUE, pool);
            var sent = RandomPayloads.send(p.a().out(), size, 21, pool, p.a()::shutdownOutput);
            // B reads at a modest pace: 16 KiB, then a pause of a quarter of a millisecond.
            var got = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    var md = java.security.MessageDigest.getInstance("SHA-256");
                    byte[] buf = new byte[16 * 1024];
                    long n = 0;
                    for (int r; (r = p.b().in().read(buf)) >= 0; ) {
                        md.update(buf, 0, r);
                        n += r;
                        java.util.concurrent.locks.LockSupport.parkNanos(250_000);
                    }
                    return new RandomPayloads.Digest(md.digest(), n);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                } finally {
                    bDone.set(true);
                }
            }, pool);
            assertThat(got.get(60, TimeUnit.SECONDS).bytes()).as("A's bytes at B, then a clean EOF").isEqualTo(size);
            assertThat(got.get().digest()).isEqualTo(sent.get(60, TimeUnit.SECONDS).digest());
            bWriter.get(60, TimeUnit.SECONDS);
            aReader.handle((d, failure) -> true).get(60, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(up.counter().count() - before).as("bytes counted as delivered to B").isEqualTo(size));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.splices().liveCount() == 0);
    }

    @Test
    void aCloseDeliversEveryPendingByteThenEof() throws Exception {
        try (Pair p = pair("")) {
            byte[] payload = new byte[3 * 1024 * 1024];
            new Random(7).nextBytes(payload);
            p.a().send(payload);
            p.a().close();
            assertThat(p.b().readToEof()).isEqualTo(payload);
        }
    }

    @Test
    void idleTimeoutClosesBothSidesWithoutBytes() throws Exception {
        try (Pair p = pair("idle=300")) {
            long start = System.nanoTime();
            assertThat(p.a().readToEof()).isEmpty();
            assertThat(p.b().readToEof()).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(250), Duration.ofSeconds(5));
        }
    }

    @Test
    void trafficKeepsAnIdleTimeoutFromFiring() throws Exception {
        try (Pair p = pair("idle=600")) {
            for (int i = 0; i < 8; i++) {
                p.a().send("tick" + i);
                assertThat(new String(p.b().readExactly(5))).isEqualTo("tick" + i);
                // Paced traffic (150 ms) that in total outlives the idle timeout several times over.
                assertThat(p.a().staysSilentFor(150)).isTrue();
            }
            assertThat(p.b().readToEof()).isEmpty();
        }
    }

    @Test
    void aPeerResetClosesTheOtherSide() throws Exception {
        try (Pair p = pair("")) {
            p.a().send("partial");
            assertThat(new String(p.b().readExactly(7))).isEqualTo("partial");
            p.a().reset();
            assertThat(p.b().isClosedByPeer()).isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.splices().liveCount() == 0);
    }

    @Test
    void aSlowReaderKeepsTheGatewaysBufferingBounded() throws Exception {
        try (Pair p = pair("")) {
            p.b().socket().setReceiveBufferSize(64 * 1024);
            // A writes far more than B reads. The gateway must stop reading A, so A's writes block; what the
            // gateway holds meanwhile stays near its water marks, not near what A wanted to send.
            long want = 256L * 1024 * 1024;
            var writer = RandomPayloads.send(p.a().out(), want, 3, pool, RandomPayloads.Then.NOTHING);
            io.netty.buffer.ByteBufAllocatorMetric alloc =
                    ((io.netty.buffer.ByteBufAllocatorMetricProvider) gateway.channels().allocator()).metric();
            long baseline = alloc.usedDirectMemory();
            await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(10))
                    .until(() -> gateway.splices().liveCount() > 0);
            long relayed = gateway.metrics().registry().find("isthmus.spliced").tag("protocol", "probe")
                    .tag("direction", "upstream").counter() == null ? 0 : 1;
            assertThat(writer.isDone()).as("the writer must be blocked by back-pressure").isFalse();
            long held = alloc.usedDirectMemory() - baseline;
            assertThat(held).as("direct memory held by the gateway for one stalled pair").isLessThan(16L * 1024 * 1024);
            assertThat(relayed).isGreaterThanOrEqualTo(0);
            // Now read: everything arrives, intact, and the writer completes.
            var got = RandomPayloads.receive(p.b().in(), Long.MAX_VALUE, pool);
            var sent = writer.get(60, TimeUnit.SECONDS);
            p.a().shutdownOutput();
            assertThat(got.get(60, TimeUnit.SECONDS).digest()).isEqualTo(sent.digest());
            assertThat(got.get().bytes()).isEqualTo(want);
        }
    }

    @Test
    void bytesAreCountedWhileTheyMove() throws Exception {
        var up = gateway.metrics().registry().find("isthmus.spliced").tag("protocol", "probe").tag("direction", "upstream");
        try (Pair p = pair("")) {
            double before = up.counter().count();
            p.a().send(new byte[10_000]);
            p.b().readExactly(10_000);
            // Counted once written to B's socket, which B may read a moment before the count is made.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(up.counter().count() - before).isEqualTo(10_000));
        }
    }
}
