package io.isthmus.rawsocket;

import static org.assertj.core.api.Assertions.assertThat;
import static io.isthmus.rawsocket.KernelPathChecks.assertHoldsAFullPipe;
import static io.isthmus.rawsocket.KernelPathChecks.assertOnPath;
import static io.isthmus.rawsocket.KernelPathChecks.assertReleased;
import static io.isthmus.rawsocket.KernelPathChecks.random;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.TestGateways;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How a websockify download on the framed kernel path (target socket to pipe to binary frames) ends when the
 * target resets or closes (also into a full pipe, the client not reading) or the client's connection is
 * reset: no byte sent before a clean end is lost, the Close is the copy path's, and no pipe or socket
 * outlives the bridge. Each case first waits until the download took the kernel path.
 */
class WebsockifyZeroCopyEndingsTest {

    private static final int SIZE = 4 * 1024 * 1024;
    private static final int STARTED = 1024 * 1024;

    @TempDir
    Path dir;

    /** The target resets once the client has read all it sent: Close 1000, as on the copy path. */
    @ParameterizedTest(name = "kernel path: {0}")
    @ValueSource(booleans = {true, false})
    void aTargetResetAfterItsBytesEndsWithTheCopyPathsClose(boolean kernel) throws Exception {
        byte[] content = random(SIZE);
        bulkDownload(kernel, (g, target, ws) -> {
            CompletableFuture<Void> wrote = target.write(content);
            Download d = new Download(ws);
            d.readUntil(content.length);
            wrote.get(20, TimeUnit.SECONDS);
            assertOnPath(g, kernel);
            target.reset();
            WsClient.Frame close = d.readToClose();
            assertThat(d.bytes()).as("every byte, in order").isEqualTo(content);
            assertThat(close.closeCode()).isEqualTo(1000);
        });
    }

    /** The target sends 4 MiB and resets while the client reads nothing: a prefix in order, then Close 1000. */
    @ParameterizedTest(name = "kernel path: {0}")
    @ValueSource(booleans = {true, false})
    void aTargetResetWhileThePipeIsFullEndsWithTheCopyPathsClose(boolean kernel) throws Exception {
        byte[] content = random(SIZE);
        bulkDownload(kernel, (g, target, ws) -> {
            CompletableFuture<Void> wrote = target.write(content);
            Download d = new Download(ws);
            d.readUntil(STARTED);
            assertOnPath(g, kernel);
            wrote.get(20, TimeUnit.SECONDS);
            target.reset();
            WsClient.Frame close = d.readToClose();
            byte[] got = d.bytes();
            assertThat(got.length).isLessThanOrEqualTo(content.length);
            assertThat(Arrays.equals(got, 0, got.length, content, 0, got.length)).as("a prefix, in order").isTrue();
            assertThat(close.closeCode()).isEqualTo(1000);
        });
    }

    /**
     * The target sends 8 MiB and closes cleanly while the client reads nothing: its FIN reaches the gateway
     * while frames still wait in a full pipe. Once the client reads again it gets every byte, then Close 1000.
     */
    @Test
    void aCleanCloseWhileThePipeIsFullLosesNothing() throws Exception {
        int size = 8 * 1024 * 1024;
        byte[] content = random(size);
        bulkDownload(true, (g, target, ws) -> {
            ws.socket.setReceiveBufferSize(64 * 1024);
            CompletableFuture<Void> wrote = target.write(content);
            Download d = new Download(ws);
            d.readUntil(STARTED);
            assertOnPath(g, true);
            wrote.get(20, TimeUnit.SECONDS);
            target.fin();
            assertHoldsAFullPipe(g, size);
            WsClient.Frame close = d.readToClose();
            assertThat(d.bytes().length).isEqualTo(size);
            assertThat(d.bytes()).as("every byte, in order").isEqualTo(content);
            assertThat(close.closeCode()).isEqualTo(1000);
        });
    }

    /** What a test does with one bridge to a {@link BulkTarget}. */
    private interface BridgeSteps {
        void run(Gateway g, BulkTarget target, WsClient ws) throws Exception;
    }

    /** Runs {@code steps} on a bridge to a fresh target (token bulk), then checks that everything was released. */
    private void bulkDownload(boolean kernel, BridgeSteps steps) throws Exception {
        try (BulkTarget target = new BulkTarget(); Gateway g = gateway(target.port(), 0, kernel)) {
            OpenFiles before = OpenFiles.now();
            try (WsClient ws = WsClient.connectBinary(g.address(), "/sockets/websockify?token=bulk")) {
                steps.run(g, target, ws);
            }
            assertReleased(g, before);
        }
    }

    /** The gateway drains mid-download: the bridge runs to its end, every byte arrives, then Close 1000. */
    @Test
    void aDrainLetsASplicedDownloadFinishWhole() throws Exception {
        byte[] content = random(SIZE);
        try (BulkTarget target = new BulkTarget(); Gateway g = gateway(target.port(), 0, true)) {
            OpenFiles before = OpenFiles.now();
            CompletableFuture<Void> drained;
            try (WsClient ws = WsClient.connectBinary(g.address(), "/sockets/websockify?token=bulk")) {
                CompletableFuture<Void> wrote = target.write(content);
                Download d = new Download(ws);
                d.readUntil(STARTED);
                assertOnPath(g, true);
                drained = CompletableFuture.runAsync(() -> g.shutdown(Duration.ofSeconds(20)));
                await().atMost(Duration.ofSeconds(5)).until(() -> !g.isReady());
                wrote.get(20, TimeUnit.SECONDS);
                target.fin();
                WsClient.Frame close = d.readToClose();
                assertThat(d.bytes()).as("every byte, in order").isEqualTo(content);
                assertThat(close.closeCode()).isEqualTo(1000);
            }
            drained.get(15, TimeUnit.SECONDS);
            Counter aborted = g.metrics().registry().find("isthmus.drain.aborted").counter();
            assertThat(aborted == null ? 0 : aborted.count()).as("nothing was cut at the deadline").isZero();
            await().atMost(Duration.ofSeconds(10)).until(() -> OpenFiles.now().pipes() <= before.pipes());
        }
    }

    /** The client's connection is reset mid-download: the target is closed, the pipe released, the next bridge served. */
    @Test
    void aClientResetMidDownloadClosesTheTargetAndReleasesThePipe() throws Exception {
        try (LoopbackTargets targets = new LoopbackTargets(); BulkTarget target = new BulkTarget();
             Gateway g = gateway(target.port(), targets.echo(), true)) {
            OpenFiles before = OpenFiles.now();
            try (WsClient ws = WsClient.connectBinary(g.address(), "/sockets/websockify?token=bulk")) {
                target.writeEndlessly();
                Download d = new Download(ws);
                d.readUntil(STARTED);
                assertOnPath(g, true);
                ws.socket.setSoLinger(true, 0);
            }
            assertThat(target.closedByGateway.await(10, TimeUnit.SECONDS)).as("the target's connection closed").isTrue();
            assertReleased(g, before);
            try (WsClient ws = WsClient.connectBinary(g.address(), "/sockets/websockify?token=echo")) {
                byte[] ping = "a new bridge".getBytes(StandardCharsets.US_ASCII);
                ws.sendBinary(ping);
                assertThat(ws.readBytes(ping.length)).isEqualTo(ping);
            }
        }
    }

    /** Reads binary frames as they come, keeping only the first {@code SIZE * 2} bytes or so. */
    private static final class Download extends FramedDownload<WsClient.Frame> {
        private final WsClient ws;

        Download(WsClient ws) {
            super(SIZE, SIZE * 2);
            this.ws = ws;
        }

        WsClient.Frame readToClose() throws IOException {
            return readTo(this::isClose, "Close");
        }

        @Override
        protected WsClient.Frame next() throws IOException {
            WsClient.Frame f = ws.readDataOrClose();
            if (f.opcode() == WsClient.BINARY || f.opcode() == WsClient.CONTINUATION) {
                received(f.payload(), 0, f.payload().length);
            }
            return f;
        }

        @Override
        protected boolean isClose(WsClient.Frame f) {
            return f.opcode() == WsClient.CLOSE;
        }
    }

    private Gateway gateway(int bulk, int echo, boolean kernel) throws Exception {
        Path tokens = dir.resolve("tokens.cfg");
        Files.writeString(tokens, "bulk: 127.0.0.1:" + bulk + "\n" + (echo > 0 ? "echo: 127.0.0.1:" + echo + "\n" : ""));
        return TestGateways.start("""
                isthmus.egress.allow-cidrs = ["127.0.0.0/8"]
                isthmus.plugins.rawsocket {
                  tokens { file = "%s" }
                  demo.services = false
                }
                """.formatted(tokens.toString().replace("\\", "\\\\")) + (kernel ? "" : "isthmus.splice.zero-copy = false\n"));
    }
}
