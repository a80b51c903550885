package io.isthmus.wstunnel;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.netty.util.ResourceLeakDetector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A quick measurement, not a test of correctness: not in the default run (its name is not a test name); run
 * it with {@code -Dtest=WstBench -Dwst.bench=true -Dsurefire.failIfNoSpecifiedTests=false}: viewer
 * requests per second through one wst-client session (16 keep-alive viewers, a small file from nginx), and
 * MiB/s of one 10 MiB body. Everything (gateway, client, viewers, nginx) shares this machine's cores.
 */
@EnabledIfSystemProperty(named = "wst.bench", matches = "true")
class WstBench {

    @Test
    void viewerRequestsPerSecondAndOneLargeBody() throws Exception {
        ResourceLeakDetector.Level before = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        WstClientTest.startNginx();
        Files.write(WstClientTest.www.resolve("tiny.txt"), "hello from nginx\n".getBytes(StandardCharsets.US_ASCII));
        WstClientTest.www.resolve("tiny.txt").toFile().setReadable(true, false);
        byte[] ten = Arrays.copyOf(WstClientTest.big, 10 << 20);
        Files.write(WstClientTest.www.resolve("ten.bin"), ten);
        WstClientTest.www.resolve("ten.bin").toFile().setReadable(true, false);
        try (Gateway g = WstClientTest.gateway(""); var c = WstClientTest.client(g, "b1", Jwts.A)) {
            String request = "GET /wst/b1/tiny.txt HTTP/1.1\r\nHost: h\r\n\r\n";
            long durationNanos = 10_000_000_000L;
            AtomicLong done = new AtomicLong();
            ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < 16; i++) {
                Thread t = new Thread(() -> {
                    try (RawClient v = new RawClient(g.address(), 10_000)) {
                        while (System.nanoTime() - start < durationNanos) {
                            long t0 = System.nanoTime();
                            v.send(request);
                            String head = v.readHead();
                            int len = Integer.parseInt(head.replaceAll("(?s).*Content-Length: (\\d+).*", "$1"));
                            v.readExactly(len);
                            latencies.add(System.nanoTime() - t0);
                            done.incrementAndGet();
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                t.start();
                threads.add(t);
            }
            for (Thread t : threads) {
                t.join(durationNanos / 1_000_000 + 20_000);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long[] l = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            System.out.printf("BENCH viewer requests: %d in %.1f s = %.0f req/s, p50 %.2f ms, p99 %.2f ms%n",
                    done.get(), seconds, done.get() / seconds, l[l.length / 2] / 1e6, l[(int) (l.length * 0.99)] / 1e6);
            for (int round = 0; round < 3; round++) {
                try (RawClient v = new RawClient(g.address(), 30_000)) {
                    long t0 = System.nanoTime();
                    v.send("GET /wst/b1/ten.bin HTTP/1.1\r\nHost: h\r\n\r\n");
                    v.readHead();
                    v.readExactly(ten.length);
                    double s = (System.nanoTime() - t0) / 1e9;
                    System.out.printf("BENCH 10 MiB body: %.3f s = %.0f MiB/s%n", s, 10 / s);
                }
            }
        } finally {
            WstClientTest.stopNginx();
            ResourceLeakDetector.setLevel(before);
        }
    }
}
