package io.isthmus.core.splice;

import static org.assertj.core.api.Assertions.assertThat;
import static io.isthmus.core.testing.WsFrames.frame;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.core.testing.WsFrames;
import io.isthmus.core.testing.WsFrames.Frame;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two WebSocket clients spliced by the probe plugin ({@code /wspair/}): what a terminated WebSocket owes
 * its peer at the end (issue #10 points 1 and 8): every byte sent before the other side's close, then a
 * close frame, with no reset; and on a protocol violation the RFC 6455 close code before the close.
 */
class WebSocketEndpointTest {

    static Gateway gateway;
    static ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeAll
    static void start() {
        gateway = TestGateways.start("");
    }

    @AfterAll
    static void stop() {
        gateway.close();
        pool.shutdownNow();
    }

    static RawClient open(String path) throws IOException {
        RawClient c = new RawClient(gateway.address(), 15_000);
        c.send(WsFrames.upgradeRequest(path, "t", ""));
        assertThat(c.readHead()).startsWith("HTTP/1.1 101 ");
        return c;
    }

    /** Two clients on one path, spliced. */
    static RawClient[] pair() throws IOException {
        String path = "/wspair/" + UUID.randomUUID();
        // Splices of earlier cases may still be ending (lingering closes): wait for a new one, not a count.
        var before = gateway.splices().liveSplices();
        RawClient a = open(path);
        RawClient b = open(path);
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.splices().liveSplices().stream()
                .anyMatch(s -> !before.contains(s)));
        return new RawClient[] {a, b};
    }

    static Frame read(RawClient c) throws IOException {
        return WsFrames.read(new DataInputStream(c.in()));
    }

    /** The first close frame, skipping data; fails on EOF (a close without a close frame). */
    static Frame closeFrame(RawClient c) throws IOException {
        for (int i = 0; i < 10_000; i++) {
            Frame f = read(c);
            if (f.opcode() == 8) {
                return f;
            }
        }
        throw new AssertionError("no close frame");
    }

    @Test
    void aTextFrameGetsClose1003() throws IOException {
        RawClient[] p = pair();
        try {
            p[0].send(frame(1, "text".getBytes(), true));
            assertThat(closeFrame(p[0]).closeCode()).isEqualTo(1003);
        } finally {
            p[0].close();
            p[1].close();
        }
    }

    @Test
    void anUnmaskedFrameGetsClose1002() throws IOException {
        RawClient[] p = pair();
        try {
            p[0].send(frame(2, "unmasked".getBytes(), false));
            assertThat(closeFrame(p[0]).closeCode()).isEqualTo(1002);
        } finally {
            p[0].close();
            p[1].close();
        }
    }

    @Test
    void aFrameOverTheLimitGetsClose1009() throws IOException {
        RawClient[] p = pair();
        try {
            p[0].send(frame(2, new byte[1024 + 1], true));
            assertThat(closeFrame(p[0]).closeCode()).isEqualTo(1009);
        } finally {
            p[0].close();
            p[1].close();
        }
    }

    /**
     * A sends 256 KiB in binary frames and closes while B still sends and reads at a modest pace: B gets every
     * byte, then a close frame 1000, never a reset.
     */
    @Test
    void everyByteBeforeACloseArrivesWhileTheOtherSideStillSends() throws Exception {
        RawClient[] p = pair();
        RawClient a = p[0];
        RawClient b = p[1];
        try {
            b.socket().setReceiveBufferSize(32 * 1024);
            AtomicBoolean bDone = new AtomicBoolean();
            CompletableFuture<Void> bWriter = CompletableFuture.runAsync(() -> {
                byte[] f = frame(2, new byte[1000], true);
                try {
                    for (int i = 0; i < 100_000 && !bDone.get(); i++) {
                        b.send(f);
                    }
                } catch (IOException endedByGateway) {
                    // The gateway may end B's side while B writes.
                }
            }, pool);
            CompletableFuture<Void> aReader = CompletableFuture.runAsync(() -> {
                try {
                    a.readToEof();
                } catch (IOException ignored) {
                    // The pair ends while A's side still gets B's bytes.
                }
            }, pool);
            MessageDigest sentDigest = MessageDigest.getInstance("SHA-256");
            SplittableRandom r = new SplittableRandom(5);
            int total = 256 * 1024;
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (int sent = 0; sent < total; sent += 1024) {
                byte[] chunk = new byte[1024];
                r.nextBytes(chunk);
                sentDigest.update(chunk);
                all.writeBytes(frame(2, chunk, true));
            }
            all.writeBytes(frame(8, new byte[] {0x03, (byte) 0xe8}, true));
            CompletableFuture<Void> aWriter = CompletableFuture.runAsync(() -> {
                try {
                    a.send(all.toByteArray());
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, pool);
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            long n = 0;
            Frame last = null;
            try {
                for (int i = 0; i < 100_000; i++) {
                    Frame f = read(b);
                    if (f.opcode() == 8) {
                        last = f;
                        break;
                    }
                    got.update(f.payload());
                    n += f.payload().length;
                    if (i % 16 == 0) {
                        LockSupport.parkNanos(200_000);
                    }
                }
            } finally {
                bDone.set(true);
            }
            assertThat(n).as("A's bytes at B before the close frame").isEqualTo(total);
            assertThat(got.digest()).isEqualTo(sentDigest.digest());
            assertThat(last).isNotNull();
            assertThat(last.closeCode()).isEqualTo(1000);
            aWriter.get(30, TimeUnit.SECONDS);
            bWriter.get(30, TimeUnit.SECONDS);
            b.send(frame(8, new byte[] {0x03, (byte) 0xe8}, true));
            aReader.get(30, TimeUnit.SECONDS);
            assertThat(Arrays.asList(b.isClosedByPeer())).containsExactly(true);
        } finally {
            a.close();
            b.close();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.splices().liveCount() == 0);
    }
}
