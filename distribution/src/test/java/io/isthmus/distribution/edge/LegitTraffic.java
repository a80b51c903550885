package io.isthmus.distribution.edge;

import io.isthmus.distribution.edge.Links.Mode;
import io.isthmus.distribution.edge.Links.Protocol;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Legitimate clients of every protocol, one thread each, running complete verified links (4 to 64 KiB)
 * back to back while an attack runs; {@link #snapshot} and {@link Counts#minus} give what was served during
 * one attack.
 */
final class LegitTraffic implements AutoCloseable {

    /** Links served and failed per protocol at one moment. */
    record Counts(Map<Protocol, Long> served, Map<Protocol, Long> failed) {
        Counts minus(Counts earlier) {
            Map<Protocol, Long> s = new EnumMap<>(Protocol.class);
            Map<Protocol, Long> f = new EnumMap<>(Protocol.class);
            for (Protocol p : Protocol.values()) {
                s.put(p, served.get(p) - earlier.served.get(p));
                f.put(p, failed.get(p) - earlier.failed.get(p));
            }
            return new Counts(s, f);
        }

        long totalServed() {
            return served.values().stream().mapToLong(Long::longValue).sum();
        }

        long totalFailed() {
            return failed.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** At most one link per protocol this often: 20 a second, 1200 per 30 s for Bare's two clients together. */
    private static final long PACE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Map<Protocol, LongAdder> served = new EnumMap<>(Protocol.class);
    private final Map<Protocol, LongAdder> failed = new EnumMap<>(Protocol.class);
    final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    private final Thread[] threads;
    private volatile boolean stop;
    private volatile boolean paused;

    LegitTraffic(Links links) {
        AtomicLong seeds = new AtomicLong(500_000);
        threads = new Thread[Protocol.values().length];
        for (Protocol p : Protocol.values()) {
            served.put(p, new LongAdder());
            failed.put(p, new LongAdder());
            Thread t = new Thread(() -> {
                for (long i = 0; i < 10_000_000 && !stop; i++) {
                    if (paused) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                        continue;
                    }
                    long started = System.nanoTime();
                    long seed = seeds.incrementAndGet();
                    int size = 4096 + (int) (seed % 61_440);
                    try {
                        links.run(p, Mode.NORMAL, size, seed);
                        served.get(p).increment();
                    } catch (Exception | AssertionError e) {
                        failed.get(p).increment();
                        errors.add(p + ": " + e);
                    }
                    // Paced, as a real client is: unpaced on a fast machine, Bare's two clients alone went past the
                    // test's Bare rate limit (2000 requests per 30 s for their address) and got 429s.
                    LockSupport.parkNanos(started + PACE_NANOS - System.nanoTime());
                }
            }, "legit-" + p);
            t.setDaemon(true);
            threads[p.ordinal()] = t;
        }
        for (Thread t : threads) {
            t.start();
        }
    }

    Counts snapshot() {
        Map<Protocol, Long> s = new EnumMap<>(Protocol.class);
        Map<Protocol, Long> f = new EnumMap<>(Protocol.class);
        for (Protocol p : Protocol.values()) {
            s.put(p, served.get(p).sum());
            f.put(p, failed.get(p).sum());
        }
        return new Counts(s, f);
    }

    /** Stops starting new links (those running finish); for attacks that take every new connection. */
    void pause(boolean pause) {
        this.paused = pause;
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        for (Thread t : threads) {
            t.join(60_000);
        }
    }
}
