package io.isthmus.distribution.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.LeakGuard;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.distribution.edge.Links.Mode;
import io.isthmus.distribution.edge.Links.Outcome;
import io.isthmus.distribution.edge.Links.Protocol;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * Issue #15 point 3: a bounded soak across all five protocols — WebRoute pairs, Remoted server and
 * clients, Bare v3 HTTP and WebSocket, websocktunnel viewers through our wst-client, websockify and Wisp
 * streams to loopback echo services — with random payload sizes, slow readers, half-closes and peers that
 * reset mid-stream. Every completed payload is checked by SHA-256; afterwards the gateway holds no link
 * beyond the long-lived ones, descriptors and heap (after GC) are back near their baseline, and Netty's
 * PARANOID leak detector reports nothing.
 *
 * <p>Default run: {@code isthmus.soak.seconds} (45), {@code isthmus.soak.workers} (16),
 * {@code isthmus.soak.max-bytes} (1 MiB); {@code mvn -Psoak} runs the long version (see distribution/pom.xml).
 */
class SoakTest {

    static final long SECONDS = Long.getLong("isthmus.soak.seconds", 45);
    static final int WORKERS = Integer.getInteger("isthmus.soak.workers", 16);
    static final int MAX_BYTES = Integer.getInteger("isthmus.soak.max-bytes", 1 << 20);

    /** Per protocol: links run, payloads completed and verified, bytes moved, failures. */
    static final class Tally {
        final LongAdder links = new LongAdder();
        final LongAdder completed = new LongAdder();
        final LongAdder resets = new LongAdder();
        final LongAdder bytes = new LongAdder();
        final LongAdder failures = new LongAdder();
        final LongAdder nanos = new LongAdder();
    }

    @Test
    void everyCompletedPayloadArrivesIntactAndNothingLeaks() throws Exception {
        Map<Protocol, Tally> tallies = new EnumMap<>(Protocol.class);
        for (Protocol p : Protocol.values()) {
            tallies.put(p, new Tally());
        }
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        try (Services services = new Services();
             Gateway gateway = TestGateways.start(Links.config(services, ""));
             Links links = new Links(gateway, services)) {
            // One clean link per protocol first: a broken protocol fails here with its own message.
            for (Protocol p : Protocol.values()) {
                assertThat(links.run(p, Mode.NORMAL, 100_000, 1).completed()).as(p.name()).isTrue();
            }
            // The long-lived sessions (Remoted registration, wst-client) are no splices: none is left when idle.
            await().atMost(Duration.ofSeconds(30)).until(() -> Figures.gaugeSum(gateway, "isthmus.splices.active") == 0);
            double baseConnections = Figures.gaugeSum(gateway, "isthmus.connections.active");
            double baseSplices = 0;
            long baseFds = Figures.descriptors();
            long baseHeap = Figures.heapAfterGc();
            Instant start = Instant.now();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
            AtomicLong seeds = new AtomicLong(1000);
            ExecutorService workers = Executors.newFixedThreadPool(WORKERS);
            Figures.Peaks peaks = new Figures.Peaks();
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                running.add(workers.submit(() -> {
                    for (int i = 0; i < 1_000_000 && System.nanoTime() < deadline; i++) {
                        long seed = seeds.incrementAndGet();
                        SplittableRandom r = new SplittableRandom(seed);
                        Protocol p = Protocol.values()[(int) (seed % Protocol.values().length)];
                        Mode mode = mode(p, r.nextInt(100));
                        int size = 1 + (int) Math.exp(r.nextDouble() * Math.log(MAX_BYTES));
                        Tally t = tallies.get(p);
                        t.links.increment();
                        long t0 = System.nanoTime();
                        try {
                            Outcome o = links.run(p, mode, size, seed);
                            t.nanos.add(System.nanoTime() - t0);
                            t.bytes.add(o.bytes());
                            (o.completed() ? t.completed : t.resets).increment();
                        } catch (Exception | AssertionError e) {
                            t.failures.increment();
                            errors.add(p + " " + mode + " " + size + " B seed " + seed + ": " + e);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get(SECONDS + 120, TimeUnit.SECONDS);
            }
            workers.shutdown();
            Duration took = Duration.between(start, Instant.now());
            peaks.close();

            assertThat(errors).as("failed links").isEmpty();
            for (Protocol p : Protocol.values()) {
                assertThat(tallies.get(p).completed.sum()).as("%s links completed", p).isPositive();
            }
            // Everything the soak opened is gone: only the long-lived sessions stay.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(Figures.gaugeSum(gateway, "isthmus.splices.active")).as("live links").isEqualTo(baseSplices);
                assertThat(Figures.gaugeSum(gateway, "isthmus.connections.active")).as("open connections")
                        .isLessThanOrEqualTo(baseConnections + 2 * WORKERS);
                assertThat(Figures.descriptors()).as("descriptors").isLessThanOrEqualTo(baseFds + 4L * WORKERS);
            });
            long heapAfter = Figures.heapAfterGc();
            assertThat(heapAfter).as("heap after GC").isLessThan(baseHeap + 64L * 1024 * 1024);
            assertThat(LeakGuard.drainReports()).as("leaked buffers").isEmpty();

            long linksRun = 0;
            long bytes = 0;
            long resets = 0;
            StringBuilder perProtocol = new StringBuilder();
            for (Protocol p : Protocol.values()) {
                Tally t = tallies.get(p);
                linksRun += t.links.sum();
                bytes += t.bytes.sum();
                resets += t.resets.sum();
                perProtocol.append(' ').append(p.name().toLowerCase()).append('=').append(t.completed.sum())
                        .append('/').append(t.links.sum())
                        .append(" (").append(t.nanos.sum() / 1_000_000 / Math.max(1, t.links.sum())).append(" ms)");
            }
            String row = String.format(java.util.Locale.ROOT,
                    "| %s | %d s | %d | %d | %d | %s | 0 | %s (baseline %s) | %d (baseline %d) | %s |",
                    Instant.now().toString().substring(0, 16), took.toSeconds(), WORKERS, linksRun, resets,
                    Figures.mib(bytes), Figures.mib(peaks.heap.get()), Figures.mib(baseHeap), peaks.fds.get(), baseFds,
                    perProtocol.toString().trim());
            System.out.println("SOAK | date | duration | workers | links | resets | bytes | bytes lost | peak heap | peak fds | completed/links |");
            System.out.println("SOAK " + row);
            Figures.record("soak.md", row);
        }
    }

    /** 70 % plain, 10 % slow reader, 10 % half-close (byte streams only), 10 % reset mid-stream. */
    static Mode mode(Protocol p, int dice) {
        if (dice < 70) {
            return Mode.NORMAL;
        }
        if (dice < 80) {
            return p == Protocol.BARE_HTTP || p == Protocol.WSTUNNEL ? Mode.NORMAL : Mode.SLOW_READER;
        }
        if (dice < 90) {
            return p == Protocol.WEBROUTE || p == Protocol.REMOTED ? Mode.HALF_CLOSE : Mode.NORMAL;
        }
        return Mode.RESET;
    }
}
