package io.isthmus.bare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bodies stream with back-pressure: a large download and upload pass through with the gateway's buffer
 * memory bounded, and a reader that stops reading stops the origin instead of filling memory. The size is
 * 256 MiB by default; {@code -Pbare-soak} runs 1 GiB.
 */
class BareStreamingTest {

    private static final long SIZE = Long.getLong("isthmus.bare.stream-bytes", 256L << 20);
    /** Loose on purpose: buffering a body whole would take SIZE; streaming takes a few water marks. */
    private static final long MEMORY_BOUND = 64L << 20;

    private static TestOrigin origin;
    private static Gateway gateway;

    @BeforeAll
    static void start() throws Exception {
        origin = new TestOrigin();
        gateway = TestGateways.start("isthmus.plugins.bare.egress.allow-cidrs = [\"127.0.0.0/8\"]");
    }

    @AfterAll
    static void stop() {
        gateway.close();
        origin.close();
    }

    /** Bytes the gateway's allocator holds now (every buffer of every connection is taken from it). */
    private static long gatewayBufferMemory() {
        var metric = ((ByteBufAllocatorMetricProvider) gateway.channels().allocator()).metric();
        return metric.usedDirectMemory() + metric.usedHeapMemory();
    }

    /** Samples the gateway's buffer memory on a thread of its own until stopped; returns the peak. */
    private static final class Sampler implements AutoCloseable {
        final AtomicLong peak = new AtomicLong();
        final AtomicLong heapPeak = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread = new Thread(() -> {
            Runtime rt = Runtime.getRuntime();
            while (running.get()) {
                peak.accumulateAndGet(gatewayBufferMemory(), Math::max);
                heapPeak.accumulateAndGet(rt.totalMemory() - rt.freeMemory(), Math::max);
                java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
            }
        });

        Sampler() {
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(5_000);
        }
    }

    private String request(String method, String path, String... more) {
        String[] lines = new String[more.length + 2];
        lines[0] = "X-Bare-URL: " + origin.base() + path;
        lines[1] = "X-Bare-Headers: {\"Host\":\"127.0.0.1:" + origin.port() + "\"}";
        System.arraycopy(more, 0, lines, 2, more.length);
        return Wire.head(method, "/bare/v3/", lines);
    }

    @Test
    void largeDownloadStreamsWithBoundedMemory() throws Exception {
        long started = System.nanoTime();
        long received = 0;
        try (Sampler sampler = new Sampler(); RawClient c = new RawClient(gateway.address(), 60_000)) {
            c.send(request("GET", "/big?bytes=" + SIZE));
            String head = c.readHead();
            assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("content-length: " + SIZE);
            InputStream in = c.in();
            byte[] buf = new byte[256 * 1024];
            while (received < SIZE) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, SIZE - received));
                assertThat(n).isPositive();
                received += n;
            }
            sampler.close();
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("bare download: %d MiB in %.2f s (%.0f MiB/s), gateway buffers peak %.1f MiB, JVM heap peak %.0f MiB%n",
                    SIZE >> 20, seconds, (SIZE >> 20) / seconds, sampler.peak.get() / 1048576.0, sampler.heapPeak.get() / 1048576.0);
            assertThat(sampler.peak.get()).isLessThan(MEMORY_BOUND);
        }
        assertThat(received).isEqualTo(SIZE);
    }

    @Test
    void largeUploadStreamsWithBoundedMemory() throws Exception {
        long before = origin.sunk.get();
        try (Sampler sampler = new Sampler(); RawClient c = new RawClient(gateway.address(), 60_000)) {
            c.send(request("POST", "/sink", "Content-Length: " + SIZE));
            OutputStream out = c.out();
            byte[] block = new byte[256 * 1024];
            for (long sent = 0; sent < SIZE; sent += block.length) {
                out.write(block, 0, (int) Math.min(block.length, SIZE - sent));
            }
            out.flush();
            Wire.Response r = Wire.read(c, false);
            sampler.close();
            System.out.printf("bare upload: %d MiB, gateway buffers peak %.1f MiB%n", SIZE >> 20, sampler.peak.get() / 1048576.0);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo(Long.toString(SIZE));
            assertThat(sampler.peak.get()).isLessThan(MEMORY_BOUND);
        }
        assertThat(origin.sunk.get() - before).isEqualTo(SIZE);
    }

    @Test
    void aReaderThatStopsStopsTheOrigin() throws Exception {
        long size = 256L << 20;
        try (RawClient c = new RawClient(gateway.address(), 60_000)) {
            c.socket().setReceiveBufferSize(64 * 1024);
            c.send(request("GET", "/big?bytes=" + size));
            c.readHead();
            c.readExactly(1 << 20);
            // Not reading now: the origin must stall with only water marks and socket buffers in between.
            await().pollDelay(Duration.ofMillis(200)).during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(10))
                    .until(() -> gatewayBufferMemory() < MEMORY_BOUND);
            long held = gatewayBufferMemory();
            // Then everything still arrives.
            InputStream in = c.in();
            byte[] buf = new byte[256 * 1024];
            long received = 1 << 20;
            while (received < size) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, size - received));
                assertThat(n).isPositive();
                received += n;
            }
            System.out.printf("bare stalled reader: gateway buffers %.1f MiB while the client did not read%n", held / 1048576.0);
            assertThat(received).isEqualTo(size);
        }
    }
}
