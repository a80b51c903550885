package io.isthmus.rawsocket.wisp;

import static io.isthmus.rawsocket.KernelPathChecks.assertHoldsAFullPipe;
import static io.isthmus.rawsocket.KernelPathChecks.assertOnPath;
import static io.isthmus.rawsocket.KernelPathChecks.assertReleased;
import static io.isthmus.rawsocket.KernelPathChecks.ioCpuNanos;
import static io.isthmus.rawsocket.KernelPathChecks.random;
import static io.isthmus.rawsocket.KernelPathChecks.switches;
import static io.isthmus.rawsocket.wisp.WispWire.connect;
import static io.isthmus.rawsocket.wisp.WispWire.data;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.rawsocket.BulkTarget;
import io.isthmus.rawsocket.FramedDownload;
import io.isthmus.rawsocket.OpenFiles;
import io.micrometer.core.instrument.Counter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How a Wisp TCP stream's download on the framed kernel path (target socket to pipe to DATA frames) ends when
 * something ends under it: the target resets or closes (while the client reads, or while the pipe is full
 * because it does not), the gateway drains, or the client's connection is reset. No byte the target sent
 * before a clean end may be lost, the close reason is the copy path's, other streams carry on, and no pipe,
 * socket or buffer outlives the stream. Each case first waits until the stream took the kernel path.
 */
class WispZeroCopyEndingsTest {

    private static final String EGRESS = "isthmus.plugins.rawsocket.wisp.egress.allow-cidrs = [\"127.0.0.0/8\"]\n";
    private static final String COPY = "isthmus.splice.zero-copy = false\n";
    private static final int SIZE = 4 * 1024 * 1024;
    private static final int STARTED = 1024 * 1024;
    private static final int NETWORK_ERROR = 0x03;
    private static final int VOLUNTARY = 0x02;

    /** The target resets once the client has read everything it sent: the copy path's reason, 0x03, either way. */
    @ParameterizedTest(name = "kernel path: {0}")
    @ValueSource(booleans = {true, false})
    void aTargetResetAfterItsBytesClosesTheStreamAsANetworkError(boolean kernel) throws Exception {
        byte[] content = random(SIZE);
        withEchoAndTarget(EGRESS + (kernel ? "" : COPY), (g, target, w) -> {
            CompletableFuture<Void> wrote = target.write(content);
            Download d = new Download(w);
            d.readUntil(content.length);
            wrote.get(20, TimeUnit.SECONDS);
            assertOnPath(g, WispRoute.PROTOCOL, kernel);
            target.reset();
            int reason = d.readToClose();
            assertThat(d.bytes()).as("every byte, in order").isEqualTo(content);
            assertThat(reason).as("the CLOSE reason of a reset target").isEqualTo(NETWORK_ERROR);
            echoRoundTrip(w, 2, "after the reset");
        });
    }

    /**
     * The target sends 4 MiB and resets while the client reads nothing, so frames wait in the pipe and the
     * reset meets a full pipe: the client still gets a prefix of the content in order, then CLOSE 0x03.
     */
    @ParameterizedTest(name = "kernel path: {0}")
    @ValueSource(booleans = {true, false})
    void aTargetResetWhileThePipeIsFullClosesTheStreamAsANetworkError(boolean kernel) throws Exception {
        byte[] content = random(SIZE);
        withEchoAndTarget(EGRESS + (kernel ? "" : COPY), (g, target, w) -> {
            CompletableFuture<Void> wrote = target.write(content);
            Download d = new Download(w);
            d.readUntil(STARTED);
            assertOnPath(g, WispRoute.PROTOCOL, kernel);
            wrote.get(20, TimeUnit.SECONDS);
            target.reset();
            // The reset's EPOLLHUP/EPOLLERR meet a paused read: it waits for the pipe without spinning.
            assertThat(ioCpuNanos(Duration.ofMillis(500))).as("I/O threads' CPU while the pipe stays full")
                    .isLessThan(250_000_000L);
            int reason = d.readToClose();
            byte[] got = d.bytes();
            assertThat(got.length).isLessThanOrEqualTo(content.length);
            assertThat(Arrays.equals(got, 0, got.length, content, 0, got.length)).as("a prefix, in order").isTrue();
            assertThat(reason).as("the CLOSE reason of a reset target").isEqualTo(NETWORK_ERROR);
            echoRoundTrip(w, 2, "after the reset");
        });
    }

    /**
     * The target sends 8 MiB and closes cleanly while the client reads nothing: its FIN reaches the gateway
     * while frames still wait in a full pipe. Once the client reads again it gets every byte, then CLOSE 0x02.
     */
    @Test
    void aCleanCloseWhileThePipeIsFullLosesNothing() throws Exception {
        int size = 8 * 1024 * 1024;
        byte[] content = random(size);
        withEchoAndTarget(EGRESS, (g, target, w) -> {
            // Set before the target writes a byte, so the client's small window fills the pipe.
            w.client.socket().setReceiveBufferSize(64 * 1024);
            CompletableFuture<Void> wrote = target.write(content);
            Download d = new Download(w);
            d.readUntil(STARTED);
            assertOnPath(g, WispRoute.PROTOCOL, true);
            wrote.get(20, TimeUnit.SECONDS);
            target.fin();
            assertHoldsAFullPipe(g, size);
            assertThat(g.metrics().registry().get("isthmus.splice.pipe.growths").tag("outcome", "enlarged").counter()
                    .count()).as("the pipe grew (its capacity returns to the budget at the end)").isGreaterThanOrEqualTo(1);
            int reason = d.readToClose();
            assertThat(d.bytes().length).isEqualTo(size);
            assertThat(d.bytes()).as("every byte, in order").isEqualTo(content);
            assertThat(reason).isEqualTo(VOLUNTARY);
            echoRoundTrip(w, 2, "after the close");
        });
    }

    /**
     * Two streams download 8 MiB each on one WebSocket, both on the framed kernel path (two pipes feeding one
     * socket), then their targets close: each gets every byte of its own content, in order, then CLOSE 0x02.
     */
    @Test
    void twoSplicedDownloadsOnOneWebSocketEachArriveWhole() throws Exception {
        int size = 8 * 1024 * 1024;
        byte[] one = random(size);
        byte[] two = random(size + 1);
        try (BulkTarget a = new BulkTarget(); BulkTarget b = new BulkTarget(); Gateway g = TestGateways.start(EGRESS)) {
            OpenFiles before = OpenFiles.now();
            try (WispWire w = WispWire.v1(g.address())) {
                w.send(connect(1, 1, a.port(), "127.0.0.1"));
                w.send(connect(3, 1, b.port(), "127.0.0.1"));
                CompletableFuture<Void> finA = a.write(one).thenRun(() -> finQuietly(a));
                CompletableFuture<Void> finB = b.write(two).thenRun(() -> finQuietly(b));
                ByteArrayOutputStream gotOne = new ByteArrayOutputStream(size);
                ByteArrayOutputStream gotTwo = new ByteArrayOutputStream(size);
                int closes = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (closes < 2) {
                    assertThat(System.nanoTime()).as("stuck at %d and %d bytes", gotOne.size(), gotTwo.size())
                            .isLessThan(deadline);
                    WispWire.Frame f = w.readWithin(20_000);
                    assertThat(f).as("nothing for 20 s").isNotNull();
                    ByteArrayOutputStream into = f.streamId() == 1 ? gotOne : f.streamId() == 3 ? gotTwo : null;
                    if (f.type() == WispPacket.DATA && into != null) {
                        into.write(f.payload(), WispPacket.HEADER, f.payload().length - WispPacket.HEADER);
                    } else if (f.type() == WispPacket.CLOSE && into != null) {
                        assertThat(f.payload()[WispPacket.HEADER]).isEqualTo((byte) VOLUNTARY);
                        closes++;
                    }
                }
                finA.get(20, TimeUnit.SECONDS);
                finB.get(20, TimeUnit.SECONDS);
                assertThat(gotOne.toByteArray()).as("stream 1, every byte in order").isEqualTo(one);
                assertThat(gotTwo.toByteArray()).as("stream 3, every byte in order").isEqualTo(two);
            }
            assertThat(switches(g, WispRoute.PROTOCOL, "splice")).as("both took the kernel path")
                    .isGreaterThanOrEqualTo(2);
            assertReleased(g, before);
        }
    }

    /**
     * The client closes the stream while the pipe is full (it reads nothing): the frames already queued may
     * still come, the pipe is released once they went out, and another stream keeps working.
     */
    @Test
    void aClientCloseWhileThePipeIsFullReleasesThePipe() throws Exception {
        withEchoAndTarget(EGRESS, (g, target, w) -> {
            target.writeEndlessly();
            Download d = new Download(w, false);
            d.readUntil(STARTED);
            assertOnPath(g, WispRoute.PROTOCOL, true);
            // Unread frames pile up: the pipe fills and the read pauses.
            await().atMost(Duration.ofSeconds(10)).until(() -> target.written.get() > 4L * STARTED);
            w.send(WispWire.close(1, VOLUNTARY));
            assertThat(target.closedByGateway.await(10, TimeUnit.SECONDS)).as("the target's connection closed")
                    .isTrue();
            echoRoundTrip(w, 2, "after the close");
            await().atMost(Duration.ofSeconds(10)).until(() -> g.splices().liveCount() == 1);
        });
    }

    /** What a test does on a session whose stream 2 goes to an echo service and stream 1 to a {@link BulkTarget}. */
    private interface SessionSteps {
        void run(Gateway g, BulkTarget target, WispWire w) throws Exception;
    }

    /**
     * Runs {@code steps} on a session (gateway configured with {@code config}) with stream 2 connected to an echo
     * service and stream 1 to a fresh target, then checks that everything was released.
     */
    private static void withEchoAndTarget(String config, SessionSteps steps) throws Exception {
        try (LoopbackServices services = new LoopbackServices(); BulkTarget target = new BulkTarget();
             Gateway g = TestGateways.start(config)) {
            int echo = services.tcpEcho();
            OpenFiles before = OpenFiles.now();
            try (WispWire w = WispWire.v1(g.address())) {
                w.send(connect(2, 1, echo, "127.0.0.1"));
                w.send(connect(1, 1, target.port(), "127.0.0.1"));
                steps.run(g, target, w);
            }
            assertReleased(g, before);
        }
    }

    private static void finQuietly(BulkTarget t) {
        try {
            t.fin();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The gateway drains mid-download: the open stream runs to its end (the target finishes and closes), every
     * byte arrives, then CLOSE 0x02 and the session's close 1001, well before the drain deadline.
     */
    @Test
    void aDrainLetsASplicedDownloadFinishWhole() throws Exception {
        byte[] content = random(SIZE);
        try (BulkTarget target = new BulkTarget();
             Gateway g = TestGateways.start(EGRESS + "isthmus.shutdown.drain-timeout = 20s\n")) {
            OpenFiles before = OpenFiles.now();
            CompletableFuture<Void> drained;
            try (WispWire w = WispWire.v1(g.address())) {
                w.send(connect(1, 1, target.port(), "127.0.0.1"));
                CompletableFuture<Void> wrote = target.write(content);
                Download d = new Download(w);
                d.readUntil(STARTED);
                assertOnPath(g, WispRoute.PROTOCOL, true);
                drained = CompletableFuture.runAsync(() -> g.shutdown(Duration.ofSeconds(20)));
                await().atMost(Duration.ofSeconds(5)).until(() -> !g.isReady());
                wrote.get(20, TimeUnit.SECONDS);
                target.fin();
                int reason = d.readToClose();
                assertThat(d.bytes()).as("every byte, in order").isEqualTo(content);
                assertThat(reason).isEqualTo(VOLUNTARY);
                WispWire.Frame close = w.readWithin(10_000);
                assertThat(close).as("the session's close").isNotNull();
                assertThat(close.opcode()).isEqualTo(WispWire.CLOSE);
                assertThat(((close.payload()[0] & 0xff) << 8) | (close.payload()[1] & 0xff)).isEqualTo(1001);
            }
            drained.get(15, TimeUnit.SECONDS);
            assertThat(counter(g, "isthmus.drain.aborted")).as("nothing was cut at the deadline").isZero();
            await().atMost(Duration.ofSeconds(10)).until(() -> OpenFiles.now().pipes() <= before.pipes());
        }
    }

    /** A stream still downloading at the drain deadline is cut: the target is closed and no pipe is left. */
    @Test
    void aSplicedDownloadStillRunningAtTheDrainDeadlineIsCutCleanly() throws Exception {
        try (BulkTarget target = new BulkTarget();
             Gateway g = TestGateways.start(EGRESS + "isthmus.shutdown.drain-timeout = 1s\n")) {
            OpenFiles before = OpenFiles.now();
            try (WispWire w = WispWire.v1(g.address())) {
                w.send(connect(1, 1, target.port(), "127.0.0.1"));
                target.writeEndlessly();
                Download d = new Download(w, false);
                d.readUntil(STARTED);
                assertOnPath(g, WispRoute.PROTOCOL, true);
                CompletableFuture<Void> drained = CompletableFuture.runAsync(() -> g.shutdown(Duration.ofSeconds(1)));
                // The client keeps reading. At the deadline the stream is cut with a CLOSE that must not claim a clean
                // end (0x02): 0x01 here, as Wisp has no reason for a server going away. The connection's close may
                // overtake it (-1), as the CLOSE waits behind what the pipe still holds.
                int reason = d.readToEnd();
                assertThat(reason).as("the cut stream's close reason").isNotEqualTo(VOLUNTARY);
                drained.get(15, TimeUnit.SECONDS);
            }
            assertThat(counter(g, "isthmus.drain.aborted")).isEqualTo(1);
            assertThat(target.closedByGateway.await(10, TimeUnit.SECONDS)).as("the target's connection closed").isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> OpenFiles.now().pipes() <= before.pipes());
        }
    }

    /**
     * The client's connection is reset mid-download: the gateway closes the target, releases the pipe and the
     * sockets, and serves the next session.
     */
    @Test
    void aClientResetMidDownloadClosesTheTargetAndReleasesThePipe() throws Exception {
        try (LoopbackServices services = new LoopbackServices(); BulkTarget target = new BulkTarget();
             Gateway g = TestGateways.start(EGRESS)) {
            int echo = services.tcpEcho();
            OpenFiles before = OpenFiles.now();
            try (WispWire w = WispWire.v1(g.address())) {
                w.send(connect(1, 1, target.port(), "127.0.0.1"));
                target.writeEndlessly();
                Download d = new Download(w, false);
                d.readUntil(STARTED);
                assertOnPath(g, WispRoute.PROTOCOL, true);
                w.client.socket().setSoLinger(true, 0);
            }
            assertThat(target.closedByGateway.await(10, TimeUnit.SECONDS)).as("the target's connection closed").isTrue();
            assertReleased(g, before);
            try (WispWire w = WispWire.v1(g.address())) {
                w.send(connect(1, 1, echo, "127.0.0.1"));
                echoRoundTrip(w, 1, "a new session");
            }
        }
    }

    /** Reads stream 1's DATA as it comes; other streams' frames and CONTINUEs are skipped. */
    private static final class Download extends FramedDownload<WispWire.Frame> {
        private final WispWire w;

        Download(WispWire w) {
            this(w, true);
        }

        /** With {@code keep} false only counts (an endless target would fill the heap). */
        Download(WispWire w, boolean keep) {
            super(SIZE, keep ? Long.MAX_VALUE : 0);
            this.w = w;
        }

        /** Reads to stream 1's CLOSE; returns its reason. */
        int readToClose() throws IOException {
            return readTo(this::isClose, "CLOSE").payload()[WispPacket.HEADER] & 0xff;
        }

        /** Reads until stream 1's CLOSE (returns its reason), the WebSocket's close or the connection's end (-1). */
        int readToEnd() throws IOException {
            try {
                WispWire.Frame f = readTo(f2 -> f2.opcode() == WispWire.CLOSE || isClose(f2), "end");
                return isClose(f) ? f.payload()[WispPacket.HEADER] & 0xff : -1;
            } catch (java.io.EOFException | java.net.SocketException e) {
                return -1; // the connection ended
            }
        }

        @Override
        protected WispWire.Frame next() throws IOException {
            WispWire.Frame f = w.readWithin(20_000);
            assertThat(f).as("nothing for 20 s at %d bytes", count()).isNotNull();
            if (f.opcode() == WispWire.BINARY && f.type() == WispPacket.DATA && f.streamId() == 1) {
                received(f.payload(), WispPacket.HEADER, f.payload().length - WispPacket.HEADER);
            }
            return f;
        }

        @Override
        protected boolean isClose(WispWire.Frame f) {
            return f.type() == WispPacket.CLOSE && f.streamId() == 1;
        }
    }

    private static void echoRoundTrip(WispWire w, int stream, String text) throws IOException {
        byte[] ping = text.getBytes(StandardCharsets.US_ASCII);
        w.send(data(stream, ping));
        ByteArrayOutputStream echoed = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (echoed.size() < ping.length) {
            assertThat(System.nanoTime()).as("no echo on stream %d", stream).isLessThan(deadline);
            WispWire.Frame f = w.readWithin(20_000);
            assertThat(f).as("no echo on stream %d", stream).isNotNull();
            if (f.opcode() == WispWire.BINARY && f.type() == WispPacket.DATA && f.streamId() == stream) {
                echoed.write(f.payload(), WispPacket.HEADER, f.payload().length - WispPacket.HEADER);
            }
        }
        assertThat(echoed.toByteArray()).isEqualTo(ping);
    }

    private static double counter(Gateway g, String name) {
        Counter c = g.metrics().registry().find(name).counter();
        return c == null ? 0 : c.count();
    }
}
